// A protocol server on the test's loop thread with clients on socketpairs
// (tests/unit/test_server*.cpp): the client's end of a connection, a
// fixture with one output (more can be added), and one whose loop the test
// steps itself, a wakeup at a time.
#pragma once

#include <gtest/gtest.h>

#include <event2/event.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <deque>
#include <optional>

#include "compositor/server.hpp"
#include "tests/loop_thread.hpp"
#include "tests/test_support.hpp"
#include "util/scm_rights.hpp"

namespace udefio::test {

using namespace std::chrono_literals;

// The client's end of a socketpair.
class TestClient {
public:
    explicit TestClient(int fd) : fd_(fd) {}

    std::vector<wire::OutputInfo> outputs;  // what came before the welcome

    void send_raw(const void* data, size_t size, int fd = -1)
    {
        ASSERT_GE(send_with_fd(fd_.get(), std::span(static_cast<const std::byte*>(data), size), fd), 0)
            << std::strerror(errno);
    }
    void send(const wire::Request& r, int fd = -1)
    {
        const auto bytes = wire::encode(r);
        send_raw(bytes.data(), bytes.size(), fd);
    }

    // The next event (and its fd), or nullopt at EOF / after 5 s.
    std::optional<wire::Event> next(UniqueFd* fd = nullptr)
    {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1)
            return std::nullopt;
        std::byte data[wire::kMaxMessage];
        ReceivedPacket packet = receive_with_fds(fd_.get(), data, wire::kMaxFds);
        if (packet.bytes <= 0)
            return std::nullopt;
        UniqueFd received = packet.fds.empty() ? UniqueFd() : std::move(packet.fds.front());
        auto event = wire::decode_event(std::span(data, size_t(packet.bytes)), received ? 1 : 0);
        EXPECT_TRUE(event.ok()) << event.error().message();
        if (fd)
            *fd = std::move(received);
        return event.ok() ? std::optional(*event) : std::nullopt;
    }
    template <class T>
    T expect()
    {
        auto e = next();
        EXPECT_TRUE(e && std::holds_alternative<T>(*e)) << "another event, or none";
        return e && std::holds_alternative<T>(*e) ? std::get<T>(*e) : T{};
    }
    // The error event, then the end of the connection.
    std::string expect_error_and_disconnect()
    {
        auto e = next();
        std::string message = e && std::holds_alternative<wire::ErrorEvent>(*e)
                                  ? std::string(std::get<wire::ErrorEvent>(*e).message)
                                  : std::string();
        EXPECT_FALSE(message.empty()) << "no error event";
        EXPECT_FALSE(next().has_value()) << "still connected after a protocol error";
        return message;
    }
    int fd() const { return fd_.get(); }
    // An event is waiting (no wait).
    bool has_event() const
    {
        pollfd p{fd_.get(), POLLIN, 0};
        return ::poll(&p, 1, 0) == 1;
    }

private:
    UniqueFd fd_;
};

// The server's parts that do not depend on how its loop runs: an output of
// 256x64 (a 1024-byte stride, so a page is 4 rows) and more on demand.
class ServerOutputs {
protected:
    static constexpr uint32_t kOutput = 1;

    std::shared_ptr<DeferredIoState> make_state(uint32_t width, uint32_t height)
    {
        DeferredIoOptions options;
        options.tracker = TrackerKind::explicit_damage;
        options.delay = std::chrono::milliseconds(1);
        auto state = DeferredIoState::create(BufferLayout::make(width, height).value(), options).value();
        EXPECT_TRUE(state->attach(sink_).ok());
        return state;
    }
    // The state and lease target of one more output (the server is told by the fixture).
    LeaseTarget& make_output(uint32_t width, uint32_t height)
    {
        Extra& extra = extras_.emplace_back();
        extra.state = make_state(width, height);
        extra.target = LeaseTarget::create(extra.state).value();
        return *extra.target;
    }
    // Once the server is gone.
    void detach_outputs()
    {
        for (Extra& e : extras_) {
            e.target.reset();
            e.state->detach();
        }
        target_.reset();
        state_->detach();
    }
    struct NullSink : Sink {
        FlushResult flush(const SharedBuffer&, std::span<PageRef* const>,
                          const Damage&, std::chrono::nanoseconds) override { return {}; }
    } sink_;
    std::shared_ptr<DeferredIoState> state_;
    std::unique_ptr<LeaseTarget> target_;
    struct Extra {
        std::shared_ptr<DeferredIoState> state;
        std::unique_ptr<LeaseTarget> target;
    };
    std::deque<Extra> extras_;
};

class ServerTest : public testing::Test, protected ServerOutputs {
protected:
    void SetUp() override
    {
        state_ = make_state(256, 64);
        target_ = LeaseTarget::create(state_).value();
        loop_.run_on_loop([this] {
            server_ = std::make_unique<Server>(loop_.loop());
            server_->add_output({kOutput, "test-0", 60'000, target_.get()});
        });
    }
    void TearDown() override
    {
        loop_.run_on_loop([this] { server_.reset(); });
        loop_.stop();
        detach_outputs();
    }

    TestClient connect()
    {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        loop_.run_on_loop([&] { server_->add_client(UniqueFd(sv[0])); });
        return TestClient(sv[1]);
    }
    // Greeted in protocol version 1 (the tests of version 2 say so); in
    // version 2 the outputs come before the welcome, into c.outputs.
    TestClient greeted(uint32_t version = 1)
    {
        TestClient c = connect();
        c.send(wire::Hello{version});
        for (;;) {
            auto e = c.next();
            if (e && std::holds_alternative<wire::OutputInfo>(*e) && version >= 2) {
                c.outputs.push_back(std::get<wire::OutputInfo>(*e));
                continue;
            }
            EXPECT_TRUE(e && std::holds_alternative<wire::Welcome>(*e)) << "no welcome";
            EXPECT_EQ(e && std::holds_alternative<wire::Welcome>(*e) ? std::get<wire::Welcome>(*e).version : 0,
                      version);
            return c;
        }
    }
    // A pixel of the output's frame, read on the loop thread that composes it.
    uint32_t pixel(uint32_t x, uint32_t y)
    {
        uint32_t value = 0;
        loop_.run_on_loop([&] { value = state_->buffer().row(y)[x]; });
        return value;
    }
    size_t clients()
    {
        size_t n = 0;
        loop_.run_on_loop([&] { n = server_->clients(); });
        return n;
    }

    // Another output of the given size, added to the server as `id`.
    LeaseTarget& add_output(uint32_t id, const std::string& name, uint32_t width, uint32_t height)
    {
        LeaseTarget& target = make_output(width, height);
        loop_.run_on_loop([&] { server_->add_output({id, name, 60'000, &target}); });
        return target;
    }

    test::LoopThread loop_;
    std::unique_ptr<Server> server_;
};

// A server whose loop only runs when the test calls step(): one wakeup of
// the loop (what is ready runs once), so what the server does between two
// wakeups is the test's to see. Everything runs on the test's thread.
class SteppedServerTest : public testing::Test, protected ServerOutputs {
protected:
    void SetUp() override
    {
        loop_ = EventLoop::create().value();
        state_ = make_state(256, 64);
        target_ = LeaseTarget::create(state_).value();
        server_ = std::make_unique<Server>(*loop_);
        server_->add_output({kOutput, "test-0", 60'000, target_.get()});
    }
    void TearDown() override
    {
        server_.reset();
        detach_outputs();
    }

    void step() { event_base_loop(loop_->base(), EVLOOP_ONCE | EVLOOP_NONBLOCK); }
    // Steps until the client has an event (at most `steps` wakeups).
    bool step_until_event(TestClient& c, int steps = 10000)
    {
        for (int i = 0; i < steps && !c.has_event(); ++i)
            step();
        return c.has_event();
    }
    template <class T>
    T await(TestClient& c, UniqueFd* fd = nullptr)
    {
        EXPECT_TRUE(step_until_event(c)) << "no event came";
        auto e = c.next(fd);
        EXPECT_TRUE(e && std::holds_alternative<T>(*e)) << "another event, or none";
        return e && std::holds_alternative<T>(*e) ? std::get<T>(*e) : T{};
    }
    // Sends without blocking the one thread: while the socket is full, the loop reads it.
    void send(TestClient& c, const wire::Request& r)
    {
        const auto bytes = wire::encode(r);
        while (send_with_fd(c.fd(), bytes, -1, MSG_DONTWAIT) < 0) {
            ASSERT_EQ(errno, EAGAIN) << std::strerror(errno);
            step();
        }
    }
    TestClient connect()
    {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        server_->add_client(UniqueFd(sv[0]));
        return TestClient(sv[1]);
    }
    TestClient greeted(uint32_t version = 1)
    {
        TestClient c = connect();
        c.send(wire::Hello{version});
        for (;;) {
            EXPECT_TRUE(step_until_event(c));
            auto e = c.next();
            if (e && std::holds_alternative<wire::OutputInfo>(*e))
                continue;
            EXPECT_TRUE(e && std::holds_alternative<wire::Welcome>(*e)) << "no welcome";
            return c;
        }
    }
    LeaseTarget& add_output(uint32_t id, const std::string& name, uint32_t width, uint32_t height)
    {
        LeaseTarget& target = make_output(width, height);
        server_->add_output({id, name, 60'000, &target});
        return target;
    }

    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<Server> server_;
};

}  // namespace udefio::test
