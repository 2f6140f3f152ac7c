// The kiosk on the Wayland backend when the compositor resizes the window:
// the output's binding is replaced by one of the new size, the protocol
// client's lease is revoked with output_changed, it is configured again,
// leases the new frame and goes on drawing; it stays connected throughout.
// Turned (--transform 90) the same: the frame and the buffers are the window
// with width and height swapped, before and after the resize.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <optional>
#include <thread>

#include "compositor/session.hpp"
#include "tests/test_support.hpp"
#include "tests/wayland/fake_compositor.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kGround = 0x00102030u;
constexpr uint32_t kClientSquare = 0xffe0a020u;  // tools/examples/client_damage.c, with the X byte the copy sets

// The main client: one picture of one colour, reported as damage.
class GroundClient final : public MainClient {
public:
    std::string name() const override { return "the ground"; }
    std::optional<TrackerKind> tracker() const override { return TrackerKind::explicit_damage; }
    Result<void> attach(OutputBinding& binding) override
    {
        const BufferLayout& l = binding.state().layout();
        for (uint32_t y = 0; y < l.height; ++y)
            std::fill_n(binding.state().buffer().row(y), l.width, kGround);
        binding.state().add_damage({0, 0, int32_t(l.width), int32_t(l.height)});
        return {};
    }
    void detach() override {}
};

size_t count(const test::FakeCommit& c, uint32_t colour)
{
    return size_t(std::count(c.pixels.begin(), c.pixels.end(), colour));
}

class WaylandSession : public testing::TestWithParam<Transform> {};

TEST_P(WaylandSession, AResizeKeepsTheClientsConnectedAndDrawing)
{
    const Transform t = GetParam();
    const bool swapped = swaps_axes(t);
    // The buffers, which hold the frame: the window's size, turned.
    auto buffer_is = [swapped](const test::FakeCommit& c, uint32_t w, uint32_t h) {
        return swapped ? c.width == h && c.height == w : c.width == w && c.height == h;
    };
    const char* client_damage = std::getenv("UDEFIO_CLIENT_DAMAGE");
    if (!client_damage)
        GTEST_SKIP() << "UDEFIO_CLIENT_DAMAGE is not set (meson test sets it)";
    char dir[] = "/tmp/udefio-wl-session-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    ::setenv("XDG_RUNTIME_DIR", dir, 1);
    ::setenv("WAYLAND_DISPLAY", "udefio-fake", 1);
    test::FakeCompositor compositor("udefio-fake", {});
    auto loop = EventLoop::create().value();
    SessionConfig config;
    config.backend.name = "wayland";
    config.backend.wayland = {false, 128, 96};
    config.backend.wayland.transforms.others = t;
    config.socket = std::string(dir) + "/udefio-0";
    config.clients = {std::string("exec ") + client_damage};
    config.restart.policy = RestartPolicy::never;
    auto session = Session::start(*loop, std::move(config), std::make_unique<GroundClient>()).value();
    std::optional<Result<void>> outcome;
    std::thread runner([&] { outcome = session->run(); });
    auto on_loop = [&](auto fn) {
        std::promise<void> done;
        loop->post([&] {
            fn();
            done.set_value();
        });
        done.get_future().wait();
    };

    // The client's square shows on the ground in the 128x96 window.
    ASSERT_TRUE(compositor.wait_for([&](const test::FakeState& s) {
        return !s.commits.empty() && buffer_is(s.commits.back(), 128, 96) && count(s.commits.back(), kClientSquare) > 0;
    }));
    // The compositor makes the window 192x160.
    compositor.configure(192, 160);
    EXPECT_TRUE(test::wait_for(
        [&] {
            return compositor.wait_for([&](const test::FakeState& s) {
                const test::FakeCommit& c = s.commits.back();
                // The client leased the lower half of the new frame and draws there.
                return buffer_is(c, 192, 160) && count(c, kClientSquare) > 0 &&
                       count(c, kGround | 0xff000000u) > 0;
            });
        },
        20s))
        << "after the resize the client's square did not show in the new window";
    size_t clients = 0;
    on_loop([&] { clients = session->server()->clients(); });
    EXPECT_EQ(clients, 1u) << "the client was dropped by the resize";
    on_loop([&] {
        ASSERT_NE(session->main_binding(), nullptr);
        EXPECT_EQ(session->main_binding()->state().layout().width, swapped ? 160u : 192u);
    });
    EXPECT_FALSE(outcome.has_value());
    loop->post([&] { session->stop(); });
    runner.join();
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(outcome->ok()) << outcome->error().message();
    session.reset();
    std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Transforms, WaylandSession, testing::Values(Transform::normal, Transform::rotate_90),
                         [](const testing::TestParamInfo<Transform>& param) {
                             return "t" + std::string(transform_name(param.param));
                         });

}  // namespace
