// What the session does to its outputs, end to end on headless: --transform
// (the frame clients draw is the upright, logical one; the panel shows it
// turned, checked by PNG for each transform against wlroots' formulas) and
// --blank-after (idle, the outputs go black and nothing is committed or
// woken; a store brings them back with the new picture).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "backends/headless/headless_backend.hpp"
#include "backends/png_file.hpp"
#include "compositor/session.hpp"
#include "tests/loop_thread.hpp"
#include "tests/test_support.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

// A main client whose stores the test makes itself, from its own thread: the
// frame's tracker sees them as it sees any client of this process.
class StoresClient final : public MainClient {
public:
    std::string name() const override { return "the test's stores"; }
    std::optional<TrackerKind> tracker() const override { return std::nullopt; }
    Result<void> attach(OutputBinding& binding) override
    {
        state_.store(&binding.state());
        return {};
    }
    void detach() override { state_.store(nullptr); }

    DeferredIoState* state() const { return state_.load(); }
    // Every pixel of the frame from `colour(x, y)`. Test thread.
    void draw(const std::function<uint32_t(int32_t, int32_t)>& colour)
    {
        DeferredIoState* s = state_.load();
        ASSERT_NE(s, nullptr);
        const BufferLayout& layout = s->layout();
        for (uint32_t y = 0; y < layout.height; ++y) {
            auto* row = reinterpret_cast<uint32_t*>(s->buffer().data() + size_t(y) * layout.stride);
            for (uint32_t x = 0; x < layout.width; ++x)
                row[x] = colour(int32_t(x), int32_t(y));
        }
        if (s->tracker_kind() == TrackerKind::explicit_damage)
            s->add_damage({0, 0, int32_t(layout.width), int32_t(layout.height)});
    }

private:
    std::atomic<DeferredIoState*> state_{nullptr};
};

class SessionOutputTest : public testing::Test {
protected:
    void SetUp() override { loop_ = EventLoop::create().value(); }
    void TearDown() override
    {
        if (session_) {
            loop_->post([this] { session_->stop(); });
            runner_.join();
            session_.reset();
        }
    }
    void start(SessionConfig config)
    {
        config.backend.name = "headless";
        auto main = std::make_unique<StoresClient>();
        client_ = main.get();
        auto session = Session::start(*loop_, std::move(config), std::move(main));
        ASSERT_TRUE(session.ok()) << session.error().message();
        session_ = std::move(session).value();
        runner_ = std::thread([this] { (void)session_->run(); });
    }
    HeadlessOutput& output() { return *static_cast<HeadlessBackend&>(session_->backend()).output("headless-0"); }
    template <class Fn>
    void on_loop(Fn fn) { test::run_on(*loop_, fn); }

    // Returns once a timer of the session's loop ran `after` from now.
    void loop_timer(std::chrono::nanoseconds after)
    {
        std::promise<void> ran;
        EventSource timer;
        on_loop([&] {
            timer = loop_->make_timer([&] { ran.set_value(); }).value();
            timer.arm(after);
        });
        ran.get_future().wait();
        on_loop([&] { timer = EventSource(); });
    }

    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<Session> session_;
    StoresClient* client_ = nullptr;
    std::thread runner_;
};

// Where panel pixel (x, y) of a w x h panel is in the logical picture, as
// wlroots' wlr_box_transform puts it (written out here, not computed by
// util/transform).
std::pair<int32_t, int32_t> panel_to_logical(Transform t, int32_t x, int32_t y, int32_t w, int32_t h)
{
    switch (t) {
    case Transform::normal: return {x, y};
    case Transform::rotate_90: return {h - 1 - y, x};
    case Transform::rotate_180: return {w - 1 - x, h - 1 - y};
    case Transform::rotate_270: return {y, w - 1 - x};
    case Transform::flipped: return {w - 1 - x, y};
    case Transform::flipped_90: return {y, x};
    case Transform::flipped_180: return {x, h - 1 - y};
    case Transform::flipped_270: return {h - 1 - y, w - 1 - x};
    }
    return {x, y};
}

uint32_t pattern(int32_t x, int32_t y) { return 0xff000000u | uint32_t(x) << 12 | uint32_t(y); }

class TransformTest : public SessionOutputTest, public testing::WithParamInterface<Transform> {};

TEST_P(TransformTest, ThePanelShowsTheUprightFrameTurned)
{
    const Transform t = GetParam();
    constexpr int32_t kW = 48, kH = 32;  // the panel's mode
    char dir[] = "/tmp/udefio-transform-XXXXXX";
    ASSERT_TRUE(::mkdtemp(dir));
    SessionConfig config;
    config.backend.headless.modes = {{uint32_t(kW), uint32_t(kH), 60'000}};
    config.backend.headless.transforms.others = t;
    start(std::move(config));
    ASSERT_NE(client_->state(), nullptr);
    // The frame the client draws is the logical one: the panel's axes swapped for 90 and 270.
    const BufferLayout& layout = client_->state()->layout();
    const bool swapped = t == Transform::rotate_90 || t == Transform::rotate_270 || t == Transform::flipped_90 ||
                         t == Transform::flipped_270;
    EXPECT_EQ(layout.width, uint32_t(swapped ? kH : kW));
    EXPECT_EQ(layout.height, uint32_t(swapped ? kW : kH));

    client_->draw(pattern);
    const uint32_t corner = pattern(int32_t(layout.width) - 1, int32_t(layout.height) - 1);
    // The whole frame is shown once the last pixel drawn is (the flush copies it all).
    ASSERT_TRUE(test::wait_for([&] {
        const Image panel = output().frame();
        return std::find(panel.pixels.begin(), panel.pixels.end(), corner) != panel.pixels.end();
    }, 20s));
    const std::string png = std::string(dir) + "/panel.png";
    on_loop([&] { ASSERT_TRUE(output().snapshot_png(png).ok()); });
    auto image = read_png(png);
    ::unlink(png.c_str());
    ::rmdir(dir);
    ASSERT_TRUE(image.ok()) << image.error().message();
    ASSERT_EQ(image->width, uint32_t(kW));
    ASSERT_EQ(image->height, uint32_t(kH));
    size_t wrong = 0;
    for (int32_t y = 0; y < kH; ++y)
        for (int32_t x = 0; x < kW; ++x) {
            const auto [lx, ly] = panel_to_logical(t, x, y, kW, kH);
            // The PNG holds the colour; the X byte is not compared.
            wrong += (image->pixels[size_t(y) * kW + x] & 0xffffffu) != (pattern(lx, ly) & 0xffffffu);
        }
    EXPECT_EQ(wrong, 0u) << "of " << kW * kH << " panel pixels, turned " << transform_name(t);
}

INSTANTIATE_TEST_SUITE_P(EveryTransform, TransformTest,
                         testing::Values(Transform::normal, Transform::rotate_90, Transform::rotate_180,
                                         Transform::rotate_270, Transform::flipped, Transform::flipped_90,
                                         Transform::flipped_180, Transform::flipped_270),
                         [](const testing::TestParamInfo<Transform>& param) {
                             std::string name(transform_name(param.param));
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

// The best tracker here (nullopt), and the shadow compare, which polls.
class BlankingTest : public SessionOutputTest, public testing::WithParamInterface<std::optional<TrackerKind>> {};

TEST_P(BlankingTest, IdleOutputsGoBlackWithoutCommitsOrWakeupsAndAStoreBringsThemBack)
{
    constexpr auto kBlankAfter = 300ms;
    SessionConfig config;
    config.backend.headless.modes = {{64, 32, 60'000}};
    config.blank_after = kBlankAfter;
    config.binding.defio.tracker = GetParam();
    start(std::move(config));
    constexpr uint32_t kFirst = 0xff20a040u, kSecond = 0xff4020a0u;
    const auto count = [&](uint32_t colour) {
        const Image f = output().frame();
        return size_t(std::count_if(f.pixels.begin(), f.pixels.end(),
                                    [&](uint32_t p) { return (p & 0xffffffu) == (colour & 0xffffffu); }));
    };
    client_->draw([&](int32_t, int32_t) { return kFirst; });
    ASSERT_TRUE(test::wait_for([&] { return count(kFirst) == 64u * 32; }, 20s));
    const auto shown = std::chrono::steady_clock::now();
    // Idle for kBlankAfter: off, and the frame shows black. Since the
    // picture was presented nothing was committed.
    const uint64_t commits = output().counters().commits;
    ASSERT_TRUE(test::wait_for([&] { return output().blanked(); }, 20s));
    EXPECT_GE(std::chrono::steady_clock::now() - shown, kBlankAfter - 20ms);  // the timer's own slack
    bool session_blanked = false;
    on_loop([&] { session_blanked = session_->blanked(); });
    EXPECT_TRUE(session_blanked);
    EXPECT_EQ(count(0), 64u * 32) << "a blanked output shows black";
    EXPECT_EQ(output().counters().commits, commits);
    // While blanked: no commit, no flush and, with a tracker that waits on
    // a fault (not a poll), no flush-worker wakeup. A tracker that polls
    // looks once a second while blanked (DeferredIoState::poll_slowly)
    // instead of every refresh period: by a timer of 6 periods it would have
    // woken 5 times; now at most once (a look already under way).
    const FlushStats at_blank = session_->stats();
    loop_timer(6 * OutputMode{64, 32, 60'000}.refresh_period());
    const FlushStats later = session_->stats();
    EXPECT_EQ(output().counters().commits, commits);
    EXPECT_EQ(later.flushes, at_blank.flushes);
    const TrackerKind tracker = session_->main_tracker();
    if (tracker == TrackerKind::uffd_async || tracker == TrackerKind::mprotect || tracker == TrackerKind::uffd_sync)
        EXPECT_EQ(later.wakeups, at_blank.wakeups) << "tracker " << tracker_name(tracker);
    else
        EXPECT_LE(later.wakeups, at_blank.wakeups + 1) << "tracker " << tracker_name(tracker) << " polls at full rate";
    EXPECT_TRUE(output().blanked());

    // A store: on again, with the new picture.
    client_->draw([&](int32_t, int32_t) { return kSecond; });
    ASSERT_TRUE(test::wait_for([&] { return !output().blanked() && count(kSecond) == 64u * 32; }, 20s));
    EXPECT_GT(output().counters().commits, commits);
    ASSERT_TRUE(test::wait_for([&] {
        bool b = true;
        on_loop([&] { b = session_->blanked(); });
        return !b;
    }, 20s));
    // And idle again: off again.
    ASSERT_TRUE(test::wait_for([&] { return output().blanked(); }, 20s));
}

INSTANTIATE_TEST_SUITE_P(BestAndPolled, BlankingTest, testing::Values(std::nullopt, TrackerKind::shadow),
                         [](const testing::TestParamInfo<std::optional<TrackerKind>>& param) {
                             return param.param ? std::string(tracker_name(*param.param)) : std::string("best");
                         });

}  // namespace
