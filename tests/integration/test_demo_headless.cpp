// The demo client against the headless output, end to end, with every
// tracker: the tracker finds what the demo drew without being told (or, with
// the explicit tracker, the demo reports it), the flush worker delays it, the
// output copies the damage, and what the output shows is what the client drew.
#include <gtest/gtest.h>

#include "tests/loop_thread.hpp"
#include "tests/test_support.hpp"

#include <chrono>
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <thread>

#include "backends/headless/headless_backend.hpp"
#include "util/clock.hpp"
#include "defio/tracker_probe.hpp"
#include "tools/demo/demo_scene.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

constexpr OutputMode kMode{640, 400, 60'000};

using test::LoopThread;

class DemoOnHeadless : public testing::TestWithParam<TrackerKind> {
protected:
    void SetUp() override
    {
        if (const std::string why = test::why_tracker_cannot_run(GetParam()); !why.empty())
            GTEST_SKIP() << why;
        auto output = HeadlessOutput::create(loop_.loop(), "headless-0", kMode, {});
        ASSERT_TRUE(output.ok()) << output.error().message();
        output_ = std::move(output).value();
        DeferredIoOptions options;
        options.tracker = GetParam();
        options.delay = 5ms;
        options.poll_interval = 5ms;
        auto state = DeferredIoState::create(BufferLayout::make(kMode.width, kMode.height).value(), options);
        ASSERT_TRUE(state.ok()) << state.error().message();
        state_ = std::move(state).value();
        state_->set_recorder(recorder_);
        ASSERT_TRUE(output_->attach(state_).ok());
        scene_.emplace(reinterpret_cast<uint32_t*>(state_->buffer().data()), kMode.width, kMode.height,
                       state_->layout().stride);
    }

    // An output is destroyed on the loop thread or after the loop stopped.
    void TearDown() override
    {
        loop_.stop();
        output_.reset();
    }

    // Draws like the demo client; with the explicit tracker it reports what it drew.
    void draw(std::chrono::milliseconds t)
    {
        const auto painted = scene_->draw(t);
        if (GetParam() == TrackerKind::explicit_damage) {
            for (const Rect& r : painted)
                state_->add_damage(r);
        }
    }

    // Waits until the output shows what the client drew, then until nothing
    // is left to flush, so that what follows sees a quiet state: the flush
    // worker has taken every write it was told of (it sleeps in poll()), and
    // a flush here takes what the tracker still holds (pages written again
    // while the last flush copied them, pixels that already show). Returns
    // false on timeout.
    bool settle()
    {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (differing_pixels() != 0) {
            if (std::chrono::steady_clock::now() > until) {
                ADD_FAILURE() << differing_pixels() << " pixels still differ after 10 s";
                return false;
            }
            std::this_thread::sleep_for(5ms);
        }
        const auto workers = test::threads_named("udefio-flush");
        if (workers.size() != 1) {
            ADD_FAILURE() << workers.size() << " flush workers (one expected)";
            return false;
        }
        if (!test::wait_until_blocked(workers[0])) {
            ADD_FAILURE() << "the flush worker did not go to sleep";
            return false;
        }
        state_->flush_now();
        return true;
    }

    size_t differing_pixels()
    {
        const Image frame = output_->frame();
        const auto* src = reinterpret_cast<const uint32_t*>(state_->buffer().data());
        const uint32_t stride_px = state_->layout().stride / 4;
        size_t differing = 0;
        for (uint32_t y = 0; y < kMode.height; ++y)
            for (uint32_t x = 0; x < kMode.width; ++x)
                differing += frame.pixels[size_t(y) * kMode.width + x] != src[size_t(y) * stride_px + x];
        return differing;
    }

    LoopThread loop_;
    std::unique_ptr<HeadlessOutput> output_;
    std::shared_ptr<DeferredIoState> state_;
    std::optional<demo::DemoScene> scene_;
    std::shared_ptr<FrameRecorder> recorder_ = std::make_shared<FrameRecorder>();
};

TEST_P(DemoOnHeadless, OutputShowsWhatTheClientDrewWithoutBeingTold)
{
    for (auto t = 0ms; t < 7000ms; t += 97ms) {  // crosses seconds and scene changes
        draw(t);
        if (t.count() % 5 == 0)
            std::this_thread::sleep_for(2ms);  // let some flushes happen mid-drawing
    }
    EXPECT_TRUE(settle());
    EXPECT_GT(state_->stats().flushes, 0u);
}

TEST_P(DemoOnHeadless, CursorMoveFlushesLittle)
{
    draw(0ms);
    ASSERT_TRUE(settle());
    const uint64_t bytes_before = output_->counters().bytes_copied;
    draw(16ms);  // same second, same scene: only the cursor moved
    ASSERT_TRUE(settle());
    const uint64_t bytes = output_->counters().bytes_copied - bytes_before;
    const uint64_t full = uint64_t(kMode.width) * kMode.height * 4;
    EXPECT_GT(bytes, 0u);
    EXPECT_LT(bytes, full / 10) << "a 16x16 cursor move flushed " << bytes << " of " << full << " bytes";
    EXPECT_EQ(differing_pixels(), 0u);
}

TEST_P(DemoOnHeadless, NothingWrittenMeansNoFlush)
{
    draw(0ms);
    ASSERT_TRUE(settle());
    const FlushStats before = state_->stats();
    // Idle: a tracker that is polled keeps looking, and finds nothing.
    if (GetParam() == TrackerKind::shadow || GetParam() == TrackerKind::soft_dirty) {
        ASSERT_TRUE(test::wait_for([&] { return state_->stats().wakeups >= before.wakeups + 3; }));
    }
    // Then one pixel changes: exactly one more flush, of that pixel alone (the
    // damage finder compares its written page with what was sent). A flush
    // from the idle time would be another one, or in this one.
    auto* pixels = reinterpret_cast<uint32_t*>(state_->buffer().data());
    pixels[0] = ~pixels[0];
    if (GetParam() == TrackerKind::explicit_damage)
        state_->add_damage({0, 0, 1, 1});
    ASSERT_TRUE(settle());
    EXPECT_EQ(state_->stats().flushes, before.flushes + 1);
    const auto frames = recorder_->frames();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.back().damage_pixels, 1u);
}

TEST_P(DemoOnHeadless, SnapshotDecodesToTheFrame)
{
    draw(1234ms);
    ASSERT_TRUE(settle());
    const std::string path = testing::TempDir() + "udefio-snapshot-" + std::string(tracker_name(GetParam())) + ".png";
    ASSERT_TRUE(output_->snapshot_png(path).ok());
    auto image = read_png(path);
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(image->width, kMode.width);
    EXPECT_EQ(image->height, kMode.height);
    EXPECT_TRUE(image->pixels == output_->frame().pixels);
    EXPECT_EQ(differing_pixels(), 0u);
    std::remove(path.c_str());
}

TEST_P(DemoOnHeadless, FlushesArePresentedAtVblank)
{
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<Presentation> seen;
    // Callbacks belong to the loop thread: set them there.
    loop_.run_on_loop([&] {
        output_->set_presented_callback([&](const Presentation& p) {
            std::lock_guard lock(mutex);
            seen.push_back(p);
            cv.notify_all();
        });
    });
    const auto before = std::chrono::steady_clock::now().time_since_epoch();
    draw(0ms);
    {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(cv.wait_for(lock, 2s, [&] { return !seen.empty(); }));
    }
    ASSERT_TRUE(settle());
    draw(1500ms);  // the clock and the cursor change
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, 2s, [&] { return seen.size() >= 2; }));
    EXPECT_EQ(seen[0].sequence, 1u);
    EXPECT_GT(seen[1].sequence, seen[0].sequence);
    EXPECT_GE(seen[0].timestamp, before);  // steady_clock is CLOCK_MONOTONIC on Linux
    EXPECT_GT(seen[1].timestamp, seen[0].timestamp);
    // The vblank's own time: on the grid of the refresh period.
    EXPECT_EQ(seen[0].timestamp % kMode.refresh_period(), std::chrono::nanoseconds(0));
    EXPECT_EQ(seen[1].timestamp % kMode.refresh_period(), std::chrono::nanoseconds(0));
}

// Flushes are timed like on a KMS output with a vblank (VblankClock, tested
// on its own in tests/unit): before the first presentation they run when
// ready; after it, a margin before a simulated vblank, never before the write.
TEST(HeadlessVblank, FlushesAreAimedAtTheSimulatedVblankOnceOneWasShown)
{
    LoopThread loop;
    auto output = HeadlessOutput::create(loop.loop(), "headless-0", kMode, {}).value();
    DeferredIoOptions options;
    options.tracker = TrackerKind::explicit_damage;
    options.delay = 5ms;
    auto state = DeferredIoState::create(BufferLayout::make(kMode.width, kMode.height).value(), options).value();
    ASSERT_TRUE(output->attach(state).ok());
    const auto period = kMode.refresh_period();
    const auto soon = monotonic_now() + 1s;
    EXPECT_EQ(output->flush_time(soon - 8ms, soon), soon);  // no vblank shown yet
    ASSERT_TRUE(state->add_damage({0, 0, 8, 8}));
    ASSERT_TRUE(test::wait_for([&] { return output->counters().presented == 1; }));
    const auto margin = output->vblank_timing().margin;
    ASSERT_GT(margin.count(), 0);
    const auto ready = soon - soon % period + 3ms;  // 3 ms after a vblank
    EXPECT_EQ(output->flush_time(ready - 8ms, ready), ready - 3ms + period - margin);
    loop.stop();
    output.reset();
}

// A busy machine runs the vblank's timer late. A flush committed after the
// vblank's time but before its timer ran cannot have been shown at that
// vblank: it is presented, and its fence signalled, at the next one. Here the
// loop thread is held across the vblank on purpose while a second flush commits.
TEST(HeadlessVblank, ACommitAfterTheVblankItsTimerMissedIsShownAtTheNext)
{
    LoopThread loop;
    auto output = HeadlessOutput::create(loop.loop(), "headless-0", kMode, {}).value();
    DeferredIoOptions options;
    options.tracker = TrackerKind::explicit_damage;
    options.delay = 1ms;
    auto state = DeferredIoState::create(BufferLayout::make(kMode.width, kMode.height).value(), options).value();
    auto recorder = std::make_shared<FrameRecorder>();
    state->set_recorder(recorder);
    ASSERT_TRUE(output->attach(state).ok());
    const auto period = kMode.refresh_period();

    std::promise<std::chrono::nanoseconds> held;  // the grid point the loop was held past (0: no flush)
    std::promise<void> release;
    loop.loop().post([&] {
        // Held from before the first flush: the output's on_flushed, which
        // arms the vblank and which that flush posts, then runs right before
        // the hold below, with no timer in between.
        const bool flushed = test::wait_for([&] { return state->stats().flushes == 1; });
        loop.loop().post([&, flushed] {
            // That vblank is at or before the next grid point.
            const auto now = monotonic_now();
            const auto vblank = now - now % period + period;
            while (monotonic_now() <= vblank)
                std::this_thread::sleep_for(1ms);
            held.set_value(flushed ? vblank : 0ns);
            release.get_future().wait();
        });
    });
    EXPECT_TRUE(state->add_damage({0, 0, 8, 8}));
    const auto missed = held.get_future().get();
    // The second flush commits while the loop is held: after the vblank's time.
    const bool second = missed.count() != 0 && state->add_damage({16, 16, 8, 8}) &&
                        test::wait_for([&] { return state->stats().flushes == 2; });
    release.set_value();
    ASSERT_NE(missed.count(), 0) << "the first flush did not run";
    ASSERT_TRUE(second) << "the second flush did not run";

    ASSERT_TRUE(test::wait_for([&] {
        const auto frames = recorder->frames();
        return frames.size() == 2 && frames[1].presented.count() != 0;
    }));
    const auto frames = recorder->frames();
    EXPECT_LE(frames[0].presented, missed) << "the first flush is shown at the vblank its timer missed";
    EXPECT_GT(frames[1].committed, missed);
    for (const FrameRecord& f : frames) {
        SCOPED_TRACE("frame " + std::to_string(f.frame));
        EXPECT_LE(f.committed, f.fence_signalled);
        EXPECT_EQ(f.fence_signalled, f.presented);
        EXPECT_EQ(f.presented % period, std::chrono::nanoseconds(0));
    }
    EXPECT_GT(frames[1].present_sequence, frames[0].present_sequence);
    EXPECT_EQ(output->counters().presented, 2u);
    loop.stop();
    output.reset();
}

// Profiling mode: each frame carries every stage, in the order they happen,
// on one clock, and the bytes the output copied.
TEST_P(DemoOnHeadless, ProfileRecordsEveryStageInOrder)
{
    for (int i = 0; i < 5; ++i) {
        draw(std::chrono::milliseconds(700 * i));
        ASSERT_TRUE(settle());
    }
    ASSERT_TRUE(test::wait_for([&] {
        const auto frames = recorder_->frames();
        return !frames.empty() && frames.back().presented.count() != 0;
    }));
    const auto frames = recorder_->frames();
    const FlushStats stats = state_->stats();
    ASSERT_EQ(frames.size(), stats.flushes);
    uint64_t bytes = 0;
    for (const FrameRecord& f : frames) {
        SCOPED_TRACE("frame " + std::to_string(f.frame));
        EXPECT_EQ(f.tracker, GetParam());
        EXPECT_GT(f.first_write.count(), 0);
        EXPECT_LE(f.first_write, f.flush_start);
        EXPECT_LE(f.flush_start, f.committed);
        EXPECT_LE(f.committed, f.flush_end);
        EXPECT_LE(f.committed, f.fence_signalled);
        EXPECT_EQ(f.fence_signalled, f.presented) << "the scanout fence signals at the vblank that presents";
        EXPECT_GT(f.present_sequence, 0u);
        EXPECT_FALSE(f.rects.empty());
        EXPECT_GT(f.bytes_copied, 0u);
        EXPECT_LT(f.bytes_copied, f.full_frame_bytes + 1);
        bytes += f.bytes_copied;
    }
    EXPECT_EQ(bytes, stats.bytes_copied);
    EXPECT_EQ(output_->counters().fences_signalled, frames.size());
    // Explicit damage and doorbells announce the first write when it happens,
    // unless it went into a page left open (hot), which no doorbell watches.
    if (GetParam() == TrackerKind::explicit_damage || GetParam() == TrackerKind::uffd_sync ||
        GetParam() == TrackerKind::mprotect) {
        EXPECT_TRUE(frames.back().first_write_exact || frames.back().faults_avoided > 0);
    }
}

INSTANTIATE_TEST_SUITE_P(AllTrackers, DemoOnHeadless, testing::ValuesIn(kAllTrackers),
                         test::tracker_test_name);

}  // namespace
