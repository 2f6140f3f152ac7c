// fbdev programs in the compositor session, on headless outputs: an
// unmodified /dev/fb0 program (fb_probe: raw system calls, static) as the
// kiosk's main client draws and the output shows it; a program written for
// UDEFIO_BUFFER_FD runs the same way (its mapping is one of /dev/fb0); vblank
// waits end with nothing drawn; each restart is a new framebuffer. And the
// lifetime rule of the framebuffer's flush thread painting into a binding's
// frame: the binding's teardown waits for a paint in progress and none
// starts after (a stress test, run under ThreadSanitizer by the tsan lane).
#include <gtest/gtest.h>
#include <xkbcommon/xkbcommon-keysyms.h>
#include <linux/kd.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <future>
#include <thread>

#include "backends/headless/headless_backend.hpp"
#include "compositor/fbdev_client.hpp"
#include "compositor/session.hpp"
#include "fbdev/framebuffer.hpp"
#include "tests/loop_thread.hpp"
#include "tests/headless_pixels.hpp"
#include "tests/test_support.hpp"
#include "util/mapping.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPlainSquare = 0x00f0a020u;  // tools/examples/plain_stores.c
constexpr uint32_t kPlainGround = 0x00202830u;

class FbdevSessionTest : public testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "fbdev programs need root here (private /dev, ptrace of the program)";
        loop_ = EventLoop::create().value();
    }
    void TearDown() override
    {
        if (session_) {
            if (running())
                loop_->post([this] { session_->stop(); });
            runner_.join();
            session_.reset();
        }
    }

    void start(std::vector<std::string> program, RestartPolicy policy = RestartPolicy::never,
               std::vector<OutputMode> modes = {{320, 200, 60'000}}, SessionConfig config = {})
    {
        config.backend.name = "headless";
        config.backend.headless.modes = std::move(modes);
        config.restart.policy = policy;
        config.restart.backoff = 1ms;
        auto main = std::make_unique<FbdevClient>(*loop_, std::move(program), "", config.restart);
        client_ = main.get();
        auto session = Session::start(*loop_, std::move(config), std::move(main));
        ASSERT_TRUE(session.ok()) << session.error().message();
        session_ = std::move(session).value();
        runner_ = std::thread([this] {
            auto outcome = session_->run();
            std::lock_guard lock(mutex_);
            outcome_ = std::move(outcome);
        });
    }
    HeadlessBackend& headless() { return static_cast<HeadlessBackend&>(session_->backend()); }
    template <class Fn>
    void on_loop(Fn fn) { test::run_on(*loop_, fn); }
    size_t pixels_of(const std::string& output, uint32_t colour)
    {
        return test::headless_pixels(*loop_, headless(), output, colour);
    }
    bool running()
    {
        std::lock_guard lock(mutex_);
        return !outcome_.has_value();
    }
    std::optional<Result<void>> outcome()
    {
        std::lock_guard lock(mutex_);
        return outcome_;
    }

    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<Session> session_;
    FbdevClient* client_ = nullptr;  // the session's; loop thread
    std::thread runner_;
    std::mutex mutex_;  // outcome_
    std::optional<Result<void>> outcome_;
};

TEST_F(FbdevSessionTest, AnUnmodifiedFbdevProgramIsTheMainClient)
{
    start({FB_PROBE_PATH, "fill", "0x123456"});
    // Every pixel of the output: fb_probe fills its whole /dev/fb0, which is the output's size.
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", 0x123456) == 320u * 200; }, 20s))
        << pixels_of("headless-0", 0x123456) << " pixels show the program's colour";
    on_loop([&] {
        EXPECT_EQ(session_->main_tracker(), TrackerKind::explicit_damage) << "only udefio writes the output's frame";
        ASSERT_NE(client_->program(), nullptr);
        EXPECT_EQ(client_->program()->stats().mappings_tracked, 1u) << client_->tracking();
        EXPECT_NE(client_->tracking().find("userfaultfd"), std::string::npos) << client_->tracking();
    });
    EXPECT_TRUE(running());
}

TEST_F(FbdevSessionTest, AProgramOfTheBufferFdDrawsThroughTheFramebuffer)
{
    const char* plain = std::getenv("UDEFIO_PLAIN_STORES");
    if (!plain)
        GTEST_SKIP() << "UDEFIO_PLAIN_STORES is not set (meson test sets it)";
    start({plain, "100000"});
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", kPlainSquare) > 0; }, 20s));
    EXPECT_GT(pixels_of("headless-0", kPlainGround), 320u * 100);
    on_loop([&] {
        ASSERT_NE(client_->program(), nullptr);
        // Its mmap of UDEFIO_BUFFER_FD is a mapping of the framebuffer's memory, tracked in its page tables.
        EXPECT_EQ(client_->program()->stats().mappings_tracked, 1u) << client_->tracking();
    });
}

TEST_F(FbdevSessionTest, VblankWaitsEndWithNothingDrawn)
{
    // 30 FBIO_WAITFORVSYNC in a row after one fill: no flush, no presentation
    // is pending, yet each returns at the output's next vblank. The program
    // ends by itself (restart never), which ends the session successfully.
    start({FB_PROBE_PATH, "vsync", "30"});
    ASSERT_TRUE(test::wait_for([&] { return !running(); }, 30s)) << "the vblank waits did not return";
    auto ended = outcome();
    ASSERT_TRUE(ended.has_value());
    EXPECT_TRUE(ended->ok()) << ended->error().message();
}

TEST_F(FbdevSessionTest, FbioblankSwitchesTheOutputOff)
{
    // The program fills, blanks (FB_BLANK_POWERDOWN) and goes on drawing: the
    // output is off (a blanked headless output reads black) and, as the
    // kernel's, stays off while flushes of what it draws come (the fill's own
    // flush may come after the blank on a busy machine).
    start({FB_PROBE_PATH, "blank", "0x123456"});
    const auto off = [&] {
        bool blanked = false;
        on_loop([&] { blanked = headless().output("headless-0")->blanked(); });
        return blanked;
    };
    ASSERT_TRUE(test::wait_for(off, 20s)) << "FBIOBLANK did not switch the output off";
    const uint64_t flushes = session_->stats().flushes;
    ASSERT_TRUE(test::wait_for([&] { return session_->stats().flushes > flushes + 3; }, 20s))
        << "the program's drawing after the blank was not flushed";
    EXPECT_TRUE(off()) << "drawing switched the output on";
    EXPECT_EQ(pixels_of("headless-0", 0x123456), 0u);
    EXPECT_TRUE(running());
}

TEST_F(FbdevSessionTest, KeysReachTheProgramsConsoleAsTtyBytes)
{
    // The seat's key events as the session hands them to its input focus,
    // the main client: 'a', Up and Return reach the program's console as the
    // Linux console sends them. fb_probe exits 0 only if it read exactly
    // those bytes, which ends the session successfully.
    start({FB_PROBE_PATH, "keys", "611b5b410d"});
    // Typed before the program made its console raw, Return would be read as \n (ICRNL).
    ASSERT_TRUE(test::wait_for([&] {
        bool ready = false;
        on_loop([&] { ready = client_->program() && client_->program()->console().display_mode() == KD_GRAPHICS; });
        return ready;
    }, 20s)) << "the program did not set its console up";
    // All in one call on the loop thread: the program exits once it has read
    // them, which ends the session and its loop, so a later call would wait
    // for a loop that no longer runs (seen on a loaded machine).
    on_loop([&] {
        auto press = [&](uint32_t keysym, std::string utf8) {
            auto& focus = const_cast<MainClient&>(session_->main_client());
            KeyEvent key;
            key.pressed = true;
            key.keysym = keysym;
            key.utf8 = std::move(utf8);
            focus.on_input(InputEvent{{}, 1, key});
            key.pressed = false;  // a release types nothing
            key.utf8.clear();
            focus.on_input(InputEvent{{}, 1, key});
        };
        press(XKB_KEY_a, "a");
        press(XKB_KEY_Up, "");
        press(XKB_KEY_Return, "\r");
    });
    ASSERT_TRUE(test::wait_for([&] { return !running(); }, 20s)) << "the program did not get its keys";
    auto ended = outcome();
    ASSERT_TRUE(ended.has_value());
    EXPECT_TRUE(ended->ok()) << ended->error().message();
}

TEST_F(FbdevSessionTest, EachRunGetsANewFramebuffer)
{
    // `paint` fills and exits; restarted always, each run is a new program
    // with a fresh (black) framebuffer that it paints again.
    start({FB_PROBE_PATH, "paint", "0x00ff00"}, RestartPolicy::always);
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", 0x00ff00) == 320u * 200; }, 20s));
    // A run is known by its framebuffer's memory (a memfd of its own).
    const auto run = [&] {
        ino_t ino = 0;
        uint64_t opens = 0;
        on_loop([&] {
            struct stat st {};
            if (client_->program() && ::fstat(client_->program()->memory_fd(), &st) == 0) {
                ino = st.st_ino;
                opens = client_->program()->stats().framebuffer_opens;
            }
        });
        return std::pair(ino, opens);
    };
    const ino_t first = run().first;
    ASSERT_NE(first, 0u);
    ASSERT_TRUE(test::wait_for(
        [&] {
            const auto [ino, opens] = run();
            return ino != 0 && ino != first && opens == 1;
        },
        20s))
        << "no second run with a framebuffer of its own";
    EXPECT_TRUE(running());
}

TEST_F(FbdevSessionTest, TheOutputGoingStopsTheProgramAndTheNextOneRunsIt)
{
    start({FB_PROBE_PATH, "fill", "0x123456"}, RestartPolicy::never, {{320, 200, 60'000}});
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", 0x123456) == 320u * 200; }, 20s));
    on_loop([&] { EXPECT_TRUE(headless().remove_output("headless-0")); });
    on_loop([&] { EXPECT_EQ(client_->program(), nullptr); });
    on_loop([&] { EXPECT_TRUE(headless().add_output({160, 100, 60'000}).ok()); });
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-1", 0x123456) == 160u * 100; }, 20s));
    EXPECT_TRUE(running());
}

TEST_F(FbdevSessionTest, AClientSeesAFramebufferOfItsBandOfRows)
{
    // The client starts drawing once the main program's picture is on the
    // output (the test's file says so), so that the band is drawn last.
    char dir[] = "/tmp/udefio-fbdev-band-XXXXXX";
    ASSERT_TRUE(::mkdtemp(dir));
    const std::string go = std::string(dir) + "/go";
    SessionConfig config;
    config.clients = {"while [ ! -e " + go + " ]; do sleep 0.01; done; exec " FB_PROBE_PATH " fill 0xff0000"};
    config.fbdev_clients = true;
    config.client_rows = {{150, 50}};
    start({FB_PROBE_PATH, "fill", "0x123456"}, RestartPolicy::never, {{320, 200, 60'000}}, std::move(config));
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", 0x123456) == 320u * 200; }, 20s));
    ASSERT_EQ(::close(::creat(go.c_str(), 0644)), 0);
    // fb_probe fills all of its /dev/fb0: 320x50, at rows 150..199.
    ASSERT_TRUE(test::wait_for([&] { return pixels_of("headless-0", 0xff0000) == 320u * 50; }, 20s))
        << pixels_of("headless-0", 0xff0000) << " pixels show the client's colour";
    EXPECT_EQ(pixels_of("headless-0", 0x123456), 320u * 150);
    on_loop([&] {
        const Image frame = headless().output("headless-0")->frame();
        EXPECT_EQ(frame.pixels[149 * 320] & 0xffffff, 0x123456u);
        EXPECT_EQ(frame.pixels[150 * 320] & 0xffffff, 0xff0000u);
        EXPECT_EQ(frame.pixels[199 * 320 + 319] & 0xffffff, 0xff0000u);
    });
    EXPECT_TRUE(running());
    ::unlink(go.c_str());
    ::rmdir(dir);
}

// Pages that are always written: the framebuffer flushes again after each
// delay, for as long as it lives.
class EverWritten final : public Tracker {
public:
    TrackerKind kind() const override { return TrackerKind::explicit_damage; }
    Result<NextLook> collect(std::vector<uint32_t>& out, const PageSet&) override
    {
        out.insert(out.end(), {0, 1});  // the shown rows of a 64x32 framebuffer
        return NextLook::after_delay;   // written again by then
    }
};

TEST(FbdevScreenLifetime, TeardownOfTheBindingRacesTheFramebuffersFlushes)
{
    test::LoopThread loop;
    std::unique_ptr<HeadlessOutput> output;
    loop.run_on_loop([&] { output = HeadlessOutput::create(loop.loop(), "headless-0", {64, 48, 60'000}, {}).value(); });
    BindingOptions options;
    options.defio.tracker = TrackerKind::explicit_damage;
    options.defio.delay = 200us;
    options.delay_is_refresh_period = false;
    const int rounds = 60;
    for (int round = 0; round < rounds; ++round) {
        std::unique_ptr<OutputBinding> binding;
        std::unique_ptr<FbdevScreen> screen;
        std::unique_ptr<fbdev::Framebuffer> fb;
        loop.run_on_loop([&] {
            binding = OutputBinding::create(*output, 1, options).value();
            screen = FbdevScreen::create(loop.loop(), *binding, {8, 32}).value();
            auto made = fbdev::Framebuffer::create(
                *screen,
                [](std::span<std::byte>, int) -> Result<std::unique_ptr<Tracker>> {
                    return std::unique_ptr<Tracker>(std::make_unique<EverWritten>());
                },
                100us);
            ASSERT_TRUE(made) << made.error().message();
            fb = std::move(made).value();
            fb->show();
        });
        ASSERT_TRUE(fb);
        auto memory = Mapping::map_shared(fb->memfd(), fb->memory_bytes(), PROT_READ | PROT_WRITE).value();
        std::fill_n(reinterpret_cast<uint32_t*>(memory.data()), 64 * 32, 0x00abcdefu);
        // The band shows it, at its rows only.
        ASSERT_TRUE(test::wait_for([&] {
            const SharedBuffer& frame = binding->state().buffer();
            return (frame.row(8)[0] & 0xffffff) == 0xabcdef && (frame.row(39)[63] & 0xffffff) == 0xabcdef;
        }));
        EXPECT_EQ(binding->state().buffer().row(7)[0], 0u);
        EXPECT_EQ(binding->state().buffer().row(40)[0], 0u);
        // Teardown while the framebuffer keeps flushing: revoked first, then
        // the binding (its lease target, its frame) destroyed.
        const uint64_t before = fb->state().stats().flushes;
        loop.run_on_loop([&] {
            screen->revoke();
            binding.reset();
        });
        // Flushes went on after the teardown: each tried to paint and found
        // the place gone (ASan/TSan see any touch of the freed frame).
        ASSERT_TRUE(test::wait_for([&] { return fb->state().stats().flushes >= before + 3; }));
        bool painted = false;
        EXPECT_FALSE(screen->draw([&](const fbdev::Canvas&) { painted = true; }));
        EXPECT_FALSE(painted);
        loop.run_on_loop([&] {
            fb.reset();
            screen.reset();
        });
    }
    loop.run_on_loop([&] { output.reset(); });
}

}  // namespace
