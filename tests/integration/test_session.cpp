// The compositor session end to end on headless outputs: two outputs show
// two different programs (the main program on one, a protocol client on the
// other); an output that goes away ends nothing else, its client moves to the
// default output and draws there; the main program's output going away
// stops it until an output appears, where it starts again.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <future>
#include <sstream>
#include <thread>

#include "backends/headless/headless_backend.hpp"
#include "compositor/program_client.hpp"
#include "compositor/session.hpp"
#include "tests/headless_pixels.hpp"
#include "tests/test_support.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPlainSquare = 0x00f0a020u;   // tools/examples/plain_stores.c
constexpr uint32_t kPlainGround = 0x00202830u;
constexpr uint32_t kClientSquare = 0x00e0a020u;  // tools/examples/client_damage.c

std::string example(const char* variable)
{
    const char* path = std::getenv(variable);
    return path ? path : "";
}

// The session's loop on a thread of its own; the test talks to it by posting.
class SessionTest : public testing::Test {
protected:
    void SetUp() override
    {
        if (example("UDEFIO_PLAIN_STORES").empty() || example("UDEFIO_CLIENT_DAMAGE").empty())
            GTEST_SKIP() << "the examples' paths are not in the environment (meson test sets them)";
        char dir[] = "/tmp/udefio-session-XXXXXX";
        ASSERT_TRUE(::mkdtemp(dir));
        dir_ = dir;
        loop_ = EventLoop::create().value();
    }
    void TearDown() override
    {
        if (session_) {
            loop_->post([this] { session_->stop(); });
            runner_.join();
            session_.reset();
        }
        if (!dir_.empty())
            ::rmdir(dir_.c_str());
    }

    void start(SessionConfig config, std::vector<std::string> program)
    {
        config.socket = dir_ + "/udefio-0";
        config.restart.policy = RestartPolicy::never;
        auto main = std::make_unique<ProgramClient>(*loop_, std::move(program), config.socket, config.restart);
        auto session = Session::start(*loop_, std::move(config), std::move(main));
        ASSERT_TRUE(session.ok()) << session.error().message();
        session_ = std::move(session).value();
        runner_ = std::thread([this] {
            outcome_ = session_->run();
            ended_.store(true);  // after the outcome: a reader that sees it ended may read it
        });
    }
    HeadlessBackend& headless() { return static_cast<HeadlessBackend&>(session_->backend()); }
    // Runs `fn` on the loop thread and waits for it.
    template <class Fn>
    void on_loop(Fn fn) { test::run_on(*loop_, fn); }
    size_t pixels_of(const std::string& output, uint32_t colour)
    {
        return test::headless_pixels(*loop_, headless(), output, colour);
    }
    bool running() { return !ended_.load(); }

    std::string dir_;
    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<Session> session_;
    std::thread runner_;
    std::optional<Result<void>> outcome_;  // the runner's; read by the test once ended_
    std::atomic<bool> ended_{false};
};

SessionConfig two_outputs()
{
    SessionConfig config;
    config.backend.name = "headless";
    config.backend.headless.modes = {{320, 256, 60'000}, {256, 128, 60'000}};
    config.main_output = "headless-0";
    return config;
}

TEST_F(SessionTest, TwoOutputsShowTwoProgramsAndOneGoingKeepsTheOtherRunning)
{
    SessionConfig config = two_outputs();
    config.clients = {"UDEFIO_OUTPUT=headless-1 exec " + example("UDEFIO_CLIENT_DAMAGE")};
    start(std::move(config), {example("UDEFIO_PLAIN_STORES")});
    // The main program on headless-0, the client on headless-1; neither on the other.
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", kPlainSquare) > 0; }, 20s));
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-1", kClientSquare) > 0; }, 20s));
    EXPECT_GT(pixels_of("headless-0", kPlainGround), 320u * 100);
    EXPECT_EQ(pixels_of("headless-1", kPlainSquare), 0u);
    EXPECT_EQ(pixels_of("headless-1", kPlainGround), 0u);

    // headless-1 goes: the client's surface moves to the default output
    // (headless-0, the main program's) and it draws there now.
    on_loop([&] { EXPECT_TRUE(headless().remove_output("headless-1")); });
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", kClientSquare) > 0; }, 20s))
        << "the client did not lease again on the default output";
    EXPECT_TRUE(running());
    // The main program still draws: its square moves on.
    const size_t before = session_->stats().flushes;
    ASSERT_TRUE(test::wait_for([&] { return session_->stats().flushes > before + 5; }, 20s));
    EXPECT_TRUE(running());
}

TEST_F(SessionTest, TheMainProgramStartsAgainOnTheNextOutputThatAppears)
{
    SessionConfig config = two_outputs();
    config.main_output.clear();  // any output will do
    start(std::move(config), {example("UDEFIO_PLAIN_STORES")});
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", kPlainSquare) > 0; }, 20s));
    on_loop([&] { EXPECT_TRUE(headless().remove_output("headless-0")); });
    on_loop([&] { EXPECT_EQ(session_->main_binding(), nullptr) << "the main program still has an output"; });
    EXPECT_TRUE(running());
    // A display is plugged in: the program starts again there, with its frame.
    on_loop([&] { EXPECT_TRUE(headless().add_output({200, 120, 60'000}).ok()); });
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-2", kPlainSquare) > 0; }, 20s));
    on_loop([&] {
        ASSERT_NE(session_->main_binding(), nullptr);
        EXPECT_EQ(session_->main_binding()->name(), "headless-2");
        EXPECT_EQ(session_->main_binding()->state().layout().width, 200u);
    });
    EXPECT_EQ(pixels_of("headless-1", kPlainSquare), 0u) << "it went to an output that was already there";
    EXPECT_TRUE(running());
}

TEST_F(SessionTest, InputGoesToTheMainProgramsSurfaceAndARefusedClientGetsNone)
{
    // The main program is a protocol client (tools/examples/client_input.c):
    // it has the input focus from its first surface, as a process of the
    // main program's group. A --client that asks for the focus is refused
    // under --focus-requests main. The program exits 0 after 4 input events,
    // which ends the session; what it got is in its output file.
    if (example("UDEFIO_CLIENT_INPUT").empty())
        GTEST_SKIP() << "UDEFIO_CLIENT_INPUT is not in the environment (meson test sets it)";
    const std::string got = dir_ + "/main.txt", refused = dir_ + "/client.txt";
    SessionConfig config = two_outputs();
    config.focus_requests = FocusRequests::main_program;
    config.clients = {"exec " + example("UDEFIO_CLIENT_INPUT") + " --request-focus > " + refused};
    start(std::move(config), {"/bin/sh", "-c", "exec " + example("UDEFIO_CLIENT_INPUT") + " 4 > " + got});
    // The refused client answered, and the main program has the focus.
    ASSERT_TRUE(test::wait_for([&] { return test::read_file(refused).find("focus 0") != std::string::npos; }, 20s));
    ASSERT_TRUE(test::wait_for([&] {
        bool main_has_it = false;
        on_loop([&] { main_has_it = session_->server()->focus().has_value(); });
        return main_has_it;
    }, 20s));
    on_loop([&] {
        KeyEvent key;
        key.key = 30;
        key.pressed = true;
        key.keysym = 0x61;
        key.utf8 = "a";
        session_->on_input({{}, 1, key});
        session_->on_input({{}, 2, PointerMotion{{40.5, 20}, {}, true}});
        session_->on_input({{}, 3, TouchDown{1, {100, 50}}});
        session_->on_input({{}, 3, TouchUp{1}});
    });
    ASSERT_TRUE(test::wait_for([&] { return !running(); }, 20s)) << "the program did not get its 4 events";
    ASSERT_TRUE(outcome_->ok()) << outcome_->error().message();
    std::string events;  // without its "presented" lines: those are its commits' business
    std::istringstream lines(test::read_file(got));
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("presented", 0) != 0)
            events += line + "\n";
    EXPECT_EQ(events, "focus 1\nready 320x256\nkey 30 pressed keysym 0x61 text \"a\" mods 0x0\n"
                      "pointer absolute 40.50 20.00\ntouch down 1 100.00 50.00\ntouch up 1\n");
    EXPECT_EQ(test::read_file(refused).find("key"), std::string::npos) << "the refused client got input";
}

// White pixels of the arrow, drawn alone: what the output must show of it.
size_t arrow_whites()
{
    std::vector<uint32_t> alone(size_t(CursorOverlay::kWidth) * CursorOverlay::kHeight, 0);
    const OutputGeometry tile{{CursorOverlay::kWidth, CursorOverlay::kHeight}, Transform::normal};
    CursorOverlay::draw(reinterpret_cast<std::byte*>(alone.data()), size_t(CursorOverlay::kWidth) * 4, {true, 0, 0},
                        {{0, 0, CursorOverlay::kWidth, CursorOverlay::kHeight}}, tile, XByte::keep);
    return size_t(std::count(alone.begin(), alone.end(), 0x00ffffffu));
}

TEST_F(SessionTest, TheSoftwareCursorFollowsThePointerAndGoesWithTheLastPointerDevice)
{
    SessionConfig config = two_outputs();
    start(std::move(config), {example("UDEFIO_PLAIN_STORES")});  // --cursor auto
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", kPlainSquare) > 0; }, 20s));
    auto whites_in = [&](Rect r) {
        size_t n = 0;
        on_loop([&] {
            const Image frame = headless().output("headless-0")->frame();
            for (int32_t y = r.y; y < r.y + r.height; ++y)
                for (int32_t x = r.x; x < r.x + r.width; ++x)
                    n += (frame.pixels[size_t(y) * frame.width + x] & 0xffffff) == 0xffffff;
        });
        return n;
    };
    const size_t arrow = arrow_whites();
    const Rect centre{160, 128, CursorOverlay::kWidth, CursorOverlay::kHeight};
    const Rect moved{40, 30, CursorOverlay::kWidth, CursorOverlay::kHeight};
    EXPECT_EQ(pixels_of("headless-0", 0xffffff), 0u) << "no pointer device yet";
    on_loop([&] { session_->on_input({{}, 7, DeviceAdded{"mouse", {false, true, false}}}); });
    ASSERT_TRUE(test::wait_for([&] { return whites_in(centre) == arrow; }, 20s)) << "not shown at the centre";
    on_loop([&] { session_->on_input({{}, 7, PointerMotion{{40.5, 30}, {}, true}}); });
    ASSERT_TRUE(test::wait_for([&] { return whites_in(moved) == arrow && whites_in(centre) == 0; }, 20s))
        << "the move was not flushed: " << whites_in(moved) << " and " << whites_in(centre) << " white";
    EXPECT_EQ(pixels_of("headless-0", 0xffffff), arrow) << "drawn once, on the main output only";
    EXPECT_EQ(pixels_of("headless-1", 0xffffff), 0u);
    // A touch screen is no pointer; the last pointer device going hides it.
    on_loop([&] {
        session_->on_input({{}, 8, DeviceAdded{"touch", {false, false, true}}});
        session_->on_input({{}, 7, DeviceRemoved{"mouse"}});
    });
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", 0xffffff) == 0; }, 20s));
    EXPECT_EQ(session_->cursor().placement().visible, false);
}

TEST_F(SessionTest, CursorNeverShowsNoCursorWhateverThePointerDoes)
{
    SessionConfig config = two_outputs();
    config.cursor = CursorMode::never;
    start(std::move(config), {example("UDEFIO_PLAIN_STORES")});
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", kPlainSquare) > 0; }, 20s));
    on_loop([&] {
        session_->on_input({{}, 7, DeviceAdded{"cec", {false, true, false}}});
        session_->on_input({{}, 7, PointerMotion{{40, 30}, {}, true}});
    });
    // The program's flushes go on; a cursor would be in the next ones.
    const size_t before = session_->stats().flushes;
    ASSERT_TRUE(test::wait_for([&] { return session_->stats().flushes > before + 3; }, 20s));
    EXPECT_EQ(pixels_of("headless-0", 0xffffff), 0u);
}

TEST_F(SessionTest, AnUnknownOutputNameIsAClearError)
{
    SessionConfig config = two_outputs();
    config.main_output = "HDMI-A-1";
    config.socket = dir_ + "/udefio-0";
    auto main = std::make_unique<ProgramClient>(*loop_, std::vector<std::string>{"/bin/true"}, config.socket,
                                                RestartOptions{});
    auto session = Session::start(*loop_, std::move(config), std::move(main));
    ASSERT_FALSE(session.ok());
    EXPECT_EQ(session.error().message(), "--output HDMI-A-1: no such output (there are: headless-0, headless-1)");
}

}  // namespace
