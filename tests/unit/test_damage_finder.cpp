// The damage finder on real trackers: hot pages take no fault and are
// re-armed when quiet, full-copy mode comes with a sustained rate and goes
// when it falls, and no write is lost while pages switch between the three.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "defio/client_reads.hpp"
#include "defio/damage_finder.hpp"
#include "defio/tracker_probe.hpp"
#include "tests/test_support.hpp"

using namespace udefio;

namespace {

// 1024 px: one row per page.
constexpr uint32_t kWidth = 1024;
constexpr uint32_t kHeight = 64;

std::vector<TrackerKind> trackers_that_leave_pages_open()
{
    return {TrackerKind::uffd_async, TrackerKind::uffd_sync, TrackerKind::mprotect};
}

class DamageFinderTest : public testing::TestWithParam<TrackerKind> {
protected:
    void SetUp() override
    {
        if (const std::string why = test::why_tracker_cannot_run(GetParam()); !why.empty())
            GTEST_SKIP() << why;
        layout_ = BufferLayout::make(kWidth, kHeight).value();
        buffer_.emplace(SharedBuffer::create(layout_).value());
        tracker_ = make_tracker(GetParam(), buffer_->bytes()).value();
        finder_ = DamageFinder::create(*buffer_, *tracker_, options_, tracking_cost(GetParam())).value();
        mirror_.assign(layout_.bytes(), std::byte{0});
    }

    void TearDown() override
    {
        finder_.reset();
        tracker_.reset();
    }

    // One flush: finds, copies the damage from where the finder says into the mirror.
    const FoundDamage& flush(const Damage& reported = Damage())
    {
        auto found = finder_->find(reported);
        EXPECT_TRUE(found.ok()) << found.error().message();
        const FoundDamage& f = **found;
        [[maybe_unused]] const ClientReadScope client_reads;
        for (const Rect& r : f.damage.rects())
            for (int32_t y = r.y; y < r.y + r.height; ++y) {
                const size_t at = size_t(y) * layout_.stride + size_t(r.x) * 4;
                std::memcpy(mirror_.data() + at, f.source->data() + at, size_t(r.width) * 4);
            }
        return f;
    }

    // Flushes until the finder would sleep (nothing open, nothing pending).
    void drain()
    {
        for (int i = 0; i < 1000; ++i)
            if (flush().next == NextLook::when_told)
                return;
        ADD_FAILURE() << "the finder never went idle";
    }

    size_t differing_bytes() const
    {
        size_t n = 0;
        for (size_t i = 0; i < layout_.bytes(); i += 4)
            n += std::memcmp(mirror_.data() + i, buffer_->data() + i, 4) != 0;
        return n;
    }

    uint32_t* row(uint32_t y) { return buffer_->row(y); }

    DamageFinderOptions options_;
    BufferLayout layout_;
    std::optional<SharedBuffer> buffer_;
    std::unique_ptr<Tracker> tracker_;
    std::unique_ptr<DamageFinder> finder_;
    std::vector<std::byte> mirror_;
};

TEST_P(DamageFinderTest, SendsExactlyWhatChangedFromTheShadow)
{
    for (uint32_t y = 10; y < 20; ++y)
        std::fill_n(row(y) + 100, 50, 0x00ff00ffu);
    const FoundDamage& f = flush();
    EXPECT_EQ(f.damage.rects(), (std::vector<Rect>{{100, 10, 50, 10}}));
    EXPECT_EQ(f.source, &finder_->shadow_source());
    EXPECT_EQ(differing_bytes(), 0u);
}

TEST_P(DamageFinderTest, WrittenButUnchangedIsNotSent)
{
    std::fill_n(row(5), kWidth, 7u);
    (void)flush();
    std::fill_n(row(5), kWidth, 7u);  // the same again
    const FoundDamage& f = flush();
    EXPECT_TRUE(f.damage.empty());
    EXPECT_EQ(f.counts.pages_compared, 1u);
    EXPECT_EQ(f.counts.pages_unchanged, 1u);
}

TEST_P(DamageFinderTest, AHotPageTakesNoFault)
{
    row(3)[0] = 1;
    EXPECT_EQ(flush().counts.faults_taken, 1u) << "armed: its first write faulted";
    for (uint32_t i = 2; i < 6; ++i) {
        row(3)[0] = i;
        const FoundDamage& f = flush();
        EXPECT_EQ(f.counts.faults_taken, 0u) << "written in the last flush: left open";
        EXPECT_EQ(f.counts.faults_avoided, 1u);
        EXPECT_EQ(f.damage.rects(), (std::vector<Rect>{{0, 3, 1, 1}}));
    }
}

TEST_P(DamageFinderTest, AQuietHotPageIsRearmedAndItsWritesSeenAgain)
{
    row(3)[0] = 1;
    (void)flush();
    // Open and unchanged: compared at every flush (look again after the delay) ...
    for (uint32_t i = 0; i < options_.hot.cold_after; ++i) {
        const FoundDamage& f = flush();
        EXPECT_EQ(f.counts.pages_compared, 1u);
        EXPECT_EQ(f.next, NextLook::after_delay);
    }
    // ... then re-armed by the next collect, compared once more, and the finder sleeps.
    const FoundDamage& closing = flush();
    EXPECT_EQ(closing.counts.pages_compared, 1u);
    EXPECT_EQ(flush().counts.pages_compared, 0u);
    drain();
    row(3)[0] = 2;
    const FoundDamage& f = flush();
    EXPECT_EQ(f.counts.faults_taken, 1u);
    EXPECT_EQ(f.damage.rects(), (std::vector<Rect>{{0, 3, 1, 1}}));
}

TEST_P(DamageFinderTest, ASustainedRateSendsWholeFramesUntilItFalls)
{
    bool entered = false;
    for (uint32_t frame = 1; frame < 12; ++frame) {
        for (uint32_t y = 0; y < kHeight; ++y)
            std::fill_n(row(y), kWidth, frame);  // video: every page, every frame
        const FoundDamage& f = flush();
        if (f.counts.full_copy) {
            entered = true;
            EXPECT_EQ(f.source, &*buffer_) << "one copy, from the buffer itself";
            EXPECT_EQ(f.damage.rects(), (std::vector<Rect>{{0, 0, int32_t(kWidth), int32_t(kHeight)}}));
        }
        EXPECT_EQ(differing_bytes(), 0u) << "frame " << frame;
    }
    EXPECT_TRUE(entered);
    EXPECT_TRUE(finder_->full_copy_active());
    // The video stops: a probe finds that out, and tracking resumes.
    row(7)[5] = 99;
    for (uint32_t i = 0; i < FullCopyMode::kLastProbe * 2 && finder_->full_copy_active(); ++i)
        (void)flush();
    EXPECT_FALSE(finder_->full_copy_active());
    drain();
    EXPECT_EQ(differing_bytes(), 0u);
    row(9)[9] = 1;
    EXPECT_EQ(flush().damage.rects(), (std::vector<Rect>{{9, 9, 1, 1}})) << "exact again";
}

TEST_P(DamageFinderTest, OneFullRedrawIsNotARate)
{
    for (uint32_t y = 0; y < kHeight; ++y)
        std::fill_n(row(y), kWidth, 5u);
    EXPECT_FALSE(flush().counts.full_copy);
    EXPECT_FALSE(flush().counts.full_copy);
    EXPECT_FALSE(finder_->full_copy_active());
}

TEST_P(DamageFinderTest, ReportedDamageIsSentFromTheShadowToo)
{
    std::fill_n(row(1), 10, 3u);
    const FoundDamage& f = flush(Damage::full(layout_));
    EXPECT_EQ(f.damage.rects(), (std::vector<Rect>{{0, 0, int32_t(kWidth), int32_t(kHeight)}}));
    EXPECT_EQ(differing_bytes(), 0u);
}

// ThreadSanitizer stress (tools/bootstrap.sh test runs it under TSan too): a
// writer moves between a few pages over and over (hot), single scattered
// stores (cold) and everything (full copy) while flushes run; every store
// reaches the mirror.
TEST_P(DamageFinderTest, NoWriteIsLostWhilePagesSwitchBetweenHotColdAndFullCopy)
{
    std::atomic<bool> stop{false};
    std::atomic<int> phase{0};
    std::atomic<uint64_t> passes{0};  // whole passes over the buffer in the "everything" phase
    std::thread writer([&] {
        std::mt19937 rng(7);
        uint32_t value = 0;
        auto store = [&](uint32_t y, uint32_t x) {
            std::atomic_ref(row(y)[x]).store(++value, std::memory_order_relaxed);
        };
        while (!stop.load(std::memory_order_relaxed)) {
            switch (phase.load(std::memory_order_relaxed)) {
            case 0:  // hot: the same few rows
                store(10 + rng() % 4, rng() % kWidth);
                break;
            case 1:  // cold: anywhere, now and then
                store(rng() % kHeight, rng() % kWidth);
                std::this_thread::yield();
                break;
            case 2:  // everything
                for (uint32_t y = 0; y < kHeight; ++y)
                    store(y, rng() % kWidth);
                passes.fetch_add(1, std::memory_order_release);
                break;
            }
        }
    });
    bool saw_full_copy = false;
    for (int i = 0; i < 600; ++i) {
        phase = (i / 40) % 3;
        if (phase == 2) {
            // Every flush of this phase sees every page written again: a rate.
            const uint64_t seen = passes.load(std::memory_order_acquire);
            while (passes.load(std::memory_order_acquire) < seen + 2)
                std::this_thread::yield();
        }
        saw_full_copy |= flush().counts.full_copy;
    }
    stop = true;
    writer.join();
    drain();
    EXPECT_EQ(differing_bytes(), 0u) << "stores that never reached the mirror";
    EXPECT_TRUE(saw_full_copy) << "the everything phase enters full-copy mode";
}

INSTANTIATE_TEST_SUITE_P(Trackers, DamageFinderTest, testing::ValuesIn(trackers_that_leave_pages_open()),
                         test::tracker_test_name);

}  // namespace
