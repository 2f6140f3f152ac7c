// libudefio-client against the real server on a real socket: connect, lease,
// draw, commit, presented; and the SIGBUS guard: a lease revoked while the
// app writes to it gives an error return, not a crash.
#include <gtest/gtest.h>

#include <unistd.h>

#include "compositor/server.hpp"
#include "compositor/socket_listener.hpp"
#include "tests/loop_thread.hpp"
#include "tests/test_support.hpp"
#include "udefio/udefio-client.h"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

class ClientLibrary : public testing::Test {
protected:
    void SetUp() override
    {
        char dir[] = "/tmp/udefio-lib-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        dir_ = dir;
        DeferredIoOptions options;
        options.tracker = TrackerKind::explicit_damage;
        state_ = DeferredIoState::create(BufferLayout::make(256, 64).value(), options).value();
        ASSERT_TRUE(state_->attach(sink_).ok());
        target_ = LeaseTarget::create(state_).value();
        loop_.run_on_loop([this] {
            server_ = std::make_unique<Server>(loop_.loop());
            server_->add_output({1, "test-0", 200'000, target_.get()});
            listener_ = SocketListener::listen(loop_.loop(), dir_ + "/udefio-0",
                                               [this](UniqueFd c) { server_->add_client(std::move(c)); })
                            .value();
            // A vblank every 5 ms presents what was committed.
            vblank_ = loop_.loop().make_timer([this] { tick(); }).value();
            vblank_.arm(5ms);
        });
    }
    void TearDown() override
    {
        client_.reset();
        loop_.run_on_loop([this] {
            vblank_ = EventSource();
            listener_.reset();
            server_.reset();
        });
        loop_.stop();
        target_.reset();
        state_->detach();
        ::rmdir(dir_.c_str());
    }
    // Connects client_ and makes its surface_; false (with the test's failure) if that failed.
    bool connect_with_surface()
    {
        client_.reset(udefio_connect((dir_ + "/udefio-0").c_str(), nullptr, 0));
        if (!client_) {
            ADD_FAILURE() << "connect to " << dir_ << "/udefio-0 failed";
            return false;
        }
        if (udefio_create_surface(client_.get(), &surface_, nullptr, nullptr) != 0) {
            ADD_FAILURE() << udefio_last_error(client_.get());
            return false;
        }
        return true;
    }
    // Writes `value` into every page of the lease, guarded: end_access's answer.
    static int write_guarded(udefio_buffer& b, uint32_t value)
    {
        udefio_begin_access(&b);
        for (size_t i = 0; i < b.size / 4; i += 1024)
            static_cast<volatile uint32_t*>(b.data)[i] = value;
        return udefio_end_access(&b);
    }
    void tick()
    {
        ++sequence_;
        server_->on_presented(1, sequence_, std::chrono::milliseconds(sequence_));
        vblank_.arm(5ms);
    }

    struct NullSink : Sink {
        FlushResult flush(const SharedBuffer&, std::span<PageRef* const>,
                          const Damage&, std::chrono::nanoseconds) override { return {}; }
    } sink_;
    std::string dir_;
    std::shared_ptr<DeferredIoState> state_;
    std::unique_ptr<LeaseTarget> target_;
    test::LoopThread loop_;
    std::unique_ptr<Server> server_;
    std::unique_ptr<SocketListener> listener_;
    EventSource vblank_;
    uint64_t sequence_ = 0;
    // The test's client (disconnected at its end, also when an assertion ends it) and its surface.
    std::unique_ptr<udefio_client, void (*)(udefio_client*)> client_{nullptr, udefio_disconnect};
    uint32_t surface_ = 0;
};

}  // namespace

TEST_F(ClientLibrary, LeaseDrawCommitPresented)
{
    char error[256] = "";
    client_.reset(udefio_connect((dir_ + "/udefio-0").c_str(), error, sizeof error));
    ASSERT_TRUE(client_) << error;
    udefio_client* c = client_.get();
    uint32_t surface = 0, width = 0, height = 0;
    ASSERT_EQ(udefio_create_surface(c, &surface, &width, &height), 0) << udefio_last_error(c);
    EXPECT_EQ(width, 256u);
    EXPECT_EQ(height, 64u);
    udefio_buffer b{};
    ASSERT_EQ(udefio_lease(c, surface, 16, 16, &b), 0) << udefio_last_error(c);
    EXPECT_EQ(b.first_row, 16u);
    EXPECT_EQ(b.rows, 16u);
    // On a kernel with WP_ASYNC and PAGEMAP_SCAN the library registers the
    // lease and udefio reads our writes from our pagemap.
    const std::string why_not = test::why_tracker_cannot_run(TrackerKind::uffd_async);
    if (why_not.empty()) {
        size_t tracked = 0;
        ASSERT_TRUE(test::wait_for([&] {
            loop_.run_on_loop([&] { tracked = server_->pagemap_leases(); });
            return tracked == 1;
        })) << "the lease is not tracked through the pagemap";
    }
    static_cast<uint32_t*>(b.data)[5] = 0x00123456;  // row 16, x 5
    const int64_t serial = udefio_commit(c, surface);  // no damage: udefio finds the row
    ASSERT_GT(serial, 0);
    ASSERT_EQ(udefio_wait_presented(c, surface, serial, 2000), 0) << udefio_last_error(c);
    uint32_t shown = 0;
    loop_.run_on_loop([&] { shown = state_->buffer().row(16)[5]; });
    EXPECT_EQ(shown, 0x00123456u);
    EXPECT_EQ(udefio_release(c, &b), 0);
}

TEST_F(ClientLibrary, RevokedLeaseIsAnErrorReturnNotACrash)
{
    ASSERT_TRUE(connect_with_surface());
    udefio_client* c = client_.get();
    const uint32_t surface = surface_;
    udefio_buffer b{};
    ASSERT_EQ(udefio_lease(c, surface, 0, 0, &b), 0);
    EXPECT_EQ(write_guarded(b, 1), 0) << "not revoked yet";
    int revoked = 0;
    udefio_set_revoked_callback(c, [](void* data, uint32_t, uint32_t) { ++*static_cast<int*>(data); }, &revoked);
    loop_.run_on_loop([&] { server_->revoke_all(wire::RevokeReason::output_gone); });
    ASSERT_TRUE(test::wait_for([&] {
        udefio_dispatch(c);
        return revoked == 1;
    }));
    EXPECT_EQ(write_guarded(b, 2), -1) << "the write into a revoked lease (SIGBUS, guarded) was not reported";
}

TEST_F(ClientLibrary, AFailedAccessFindsTheReasonAlreadyArrived)
{
    // The client writes while the output goes. The moment its guarded
    // access fails, why is among the events that have arrived: udefio sends
    // `revoked` before it takes the memory, so a client does not have to
    // wait for it (tools/examples/client_damage.c relies on that).
    ASSERT_TRUE(connect_with_surface());
    udefio_client* c = client_.get();
    const uint32_t surface = surface_;
    for (int round = 0; round < 20; ++round) {
        udefio_buffer b{};
        ASSERT_EQ(udefio_lease(c, surface, 0, 0, &b), 0);
        loop_.loop().post([&] { server_->revoke_all(wire::RevokeReason::output_gone); });
        ASSERT_TRUE(test::wait_for([&] { return write_guarded(b, uint32_t(round)) != 0; }, 20s));
        EXPECT_EQ(udefio_revoke_reason(c, b.lease), UDEFIO_REVOKED_OUTPUT_GONE) << "round " << round;
        EXPECT_EQ(udefio_release(c, &b), 0);
    }
}

TEST_F(ClientLibrary, InputReachesTheCallbackOfTheFocusedSurface)
{
    ASSERT_TRUE(connect_with_surface());
    udefio_client* c = client_.get();
    const uint32_t surface = surface_;
    struct Seen {
        std::vector<udefio_input_event> events;
        std::vector<std::string> texts;
    } seen;
    udefio_set_input_callback(
        c,
        [](void* data, const udefio_input_event* e) {
            auto* s = static_cast<Seen*>(data);
            s->events.push_back(*e);
            s->texts.emplace_back(e->text);
        },
        &seen);
    ASSERT_EQ(udefio_request_focus(c, surface), 0) << udefio_last_error(c);
    ASSERT_TRUE(test::wait_for([&] {
        udefio_dispatch(c);
        return !seen.events.empty();
    }));
    EXPECT_EQ(seen.events[0].type, UDEFIO_INPUT_FOCUS);
    EXPECT_EQ(seen.events[0].focused, 1);
    loop_.run_on_loop([&] {
        KeyEvent key;
        key.key = 30;
        key.pressed = true;
        key.keysym = 0x61;
        key.utf8 = "a";
        EXPECT_TRUE(server_->deliver_input({std::chrono::microseconds(77), 1, key}));
        EXPECT_TRUE(server_->deliver_input({{}, 2, PointerButton{0x110, true, {12.5, 3}}}));
        EXPECT_TRUE(server_->deliver_input({{}, 3, TouchDown{2, {100.25, 50}}}));
    });
    ASSERT_TRUE(test::wait_for([&] {
        udefio_dispatch(c);
        return seen.events.size() == 4;
    }));
    const udefio_input_event& key = seen.events[1];
    EXPECT_EQ(key.type, UDEFIO_INPUT_KEY);
    EXPECT_EQ(key.surface, surface);
    EXPECT_EQ(key.key_state, UDEFIO_KEY_PRESSED);
    EXPECT_EQ(key.key, 30u);
    EXPECT_EQ(key.keysym, 0x61u);
    EXPECT_EQ(key.time_us, 77u);
    EXPECT_EQ(seen.texts[1], "a");
    const udefio_input_event& button = seen.events[2];
    EXPECT_EQ(button.type, UDEFIO_INPUT_POINTER_BUTTON);
    EXPECT_EQ(button.button, 0x110u);
    EXPECT_EQ(button.pressed, 1);
    EXPECT_DOUBLE_EQ(button.x, 12.5);
    EXPECT_DOUBLE_EQ(button.y, 3);
    const udefio_input_event& touch = seen.events[3];
    EXPECT_EQ(touch.type, UDEFIO_INPUT_TOUCH_DOWN);
    EXPECT_EQ(touch.touch_id, 2);
    EXPECT_DOUBLE_EQ(touch.x, 100.25);
    EXPECT_DOUBLE_EQ(touch.y, 50);
}

TEST(ClientLibraryErrors, NoCompositorIsAClearError)
{
    char error[256] = "";
    EXPECT_EQ(udefio_connect("/nonexistent/udefio-0", error, sizeof error), nullptr);
    EXPECT_NE(std::string(error).find("connect to /nonexistent/udefio-0"), std::string::npos) << error;
}
