// VblankClock: where flushes start relative to the vblank grid that page-flip
// events place, and how the margin adapts to commits that miss.
#include <gtest/gtest.h>

#include "backends/vblank_clock.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::nanoseconds kPeriod = 16'666'667ns;

// A clock whose grid is placed: flips at sequences 100 and 101 (t = 1 s and 1 s + P).
struct PlacedClock : VblankClock {
    PlacedClock() : VblankClock(kPeriod)
    {
        committed(1s - 5ms, 1s - 5ms);
        flipped(100, 1s);
        committed(1s + kPeriod - 5ms, 1s + kPeriod - 5ms);
        flipped(101, 1s + kPeriod);
    }
};

}  // namespace

TEST(VblankClock, WithoutAFlipFlushesRunWhenReady)
{
    VblankClock clock(kPeriod);
    EXPECT_EQ(clock.flush_time(3s - 5ms, 3s), 3s);
}

TEST(VblankClock, AFlushStartsTheMarginBeforeTheVblankAfterReady)
{
    PlacedClock clock;
    const auto last = 1s + kPeriod;
    const auto m = clock.margin();
    // Written right after a vblank with an 8 ms delay: the next vblank is
    // after `ready`, and its flush starts the margin before it.
    EXPECT_EQ(clock.flush_time(last + 1ms, last + 9ms), last + kPeriod - m);
    // Three periods later the grid still holds.
    EXPECT_EQ(clock.flush_time(last + 3 * kPeriod + 1ms, last + 3 * kPeriod + 9ms), last + 4 * kPeriod - m);
}

TEST(VblankClock, TheFlushMayStartBeforeReadyToKeepTheBound)
{
    PlacedClock clock;
    const auto next = 1s + 2 * kPeriod;
    const auto m = clock.margin();
    // Ready just before `next`: aiming at the vblank after would show the
    // write later than delay + one period, so the flush starts the margin
    // before `next`, a little before `ready`.
    const auto ready = next - m / 2;
    const auto now = ready - 8ms;
    EXPECT_EQ(clock.flush_time(now, ready), next - m);
    EXPECT_LE(clock.flush_time(now, ready), ready);
    EXPECT_GE(clock.flush_time(now, ready), now);
}

TEST(VblankClock, AVblankCloserThanTheMarginIsNotAimedAt)
{
    PlacedClock clock;
    const auto next = 1s + 2 * kPeriod;
    const auto m = clock.margin();
    // No delay, written inside the margin before `next`: a commit now would
    // miss it, so the flush aims at the one after.
    const auto now = next - m / 2;
    EXPECT_EQ(clock.flush_time(now, now), next + kPeriod - m);
    // Exactly the margin ahead still catches it.
    EXPECT_EQ(clock.flush_time(next - m, next - m), next - m);
}

TEST(VblankClock, WhileACommitIsInFlightAimsAtTheVblankAfterItsFlip)
{
    PlacedClock clock;
    const auto last = 1s + kPeriod;
    clock.committed(last + kPeriod - 5ms, last + kPeriod - 5ms);  // lands at last + P
    // Written right after that commit: the earliest a new commit can catch
    // is the vblank after the one in flight, and the flush starts the margin
    // before it, so it never waits for the flip.
    const auto now = last + kPeriod - 4ms;
    EXPECT_EQ(clock.flush_time(now, now), last + 2 * kPeriod - clock.margin());
}

TEST(VblankClock, PeriodIsMeasuredFromTheFlips)
{
    VblankClock clock(kPeriod);
    clock.flipped(10, 1s);
    clock.flipped(70, 1s + 60 * 20ms);  // a 50 Hz CRTC whose mode said 60
    EXPECT_EQ(clock.period(), 20ms);
}

TEST(VblankClock, AMissWidensTheMarginAndHitsNarrowIt)
{
    PlacedClock clock;
    const auto start = clock.margin();
    auto vblank = 1s + kPeriod;
    uint64_t sequence = 101;
    // Issued within the margin before a vblank (the flush started the margin
    // ahead and copied for a while), shown one later: a miss.
    clock.committed(vblank + kPeriod - start * 3 / 4, vblank + kPeriod - start);
    vblank += 2 * kPeriod;
    sequence += 2;
    clock.flipped(sequence, vblank);
    EXPECT_EQ(clock.misses(), 1u);
    const auto widened = clock.margin();
    EXPECT_EQ(widened, start + 1ms);
    // A long run of hits narrows it again.
    for (int i = 0; i < VblankClock::kHitsToNarrow; ++i) {
        clock.committed(vblank + kPeriod - widened, vblank + kPeriod - widened);
        vblank += kPeriod;
        clock.flipped(++sequence, vblank);
    }
    EXPECT_LT(clock.margin(), widened);
    EXPECT_GE(clock.margin(), VblankClock::kMinMargin);
}

TEST(VblankClock, AFlushThatWokeAfterItsVblankIsAMiss)
{
    PlacedClock clock;
    const auto start = clock.margin();
    const auto vblank = 1s + kPeriod;
    // Due the margin before vblank + P, but the flush worker woke 1 ms after
    // it (a busy machine): its quick commit is shown at vblank + 2P, a period
    // late, though it was issued well before that vblank.
    const auto due = vblank + kPeriod - start;
    clock.committed(vblank + kPeriod + 1ms, due);
    clock.flipped(103, vblank + 2 * kPeriod);
    EXPECT_EQ(clock.misses(), 1u);
    EXPECT_EQ(clock.margin(), start + 1ms);
}

TEST(VblankClock, MarginNeverExceedsHalfAPeriod)
{
    PlacedClock clock;
    auto vblank = 1s + kPeriod;
    uint64_t sequence = 101;
    for (int i = 0; i < 50; ++i) {
        clock.committed(vblank + kPeriod - clock.margin(), vblank + kPeriod - clock.margin());
        vblank += 3 * kPeriod;
        sequence += 3;
        clock.flipped(sequence, vblank);
    }
    EXPECT_LE(clock.margin(), kPeriod / 2);
}

TEST(VblankClock, TheNextVblankIsOnTheGridOnceAFlipPlacedIt)
{
    VblankClock unplaced(kPeriod);
    EXPECT_FALSE(unplaced.next_vblank(3s).has_value());
    PlacedClock clock;
    const auto last = 1s + kPeriod;
    // Strictly after `now`: at a vblank itself, the next one.
    EXPECT_EQ(clock.next_vblank(last), last + kPeriod);
    EXPECT_EQ(clock.next_vblank(last + 1ms), last + kPeriod);
    EXPECT_EQ(clock.next_vblank(last + 10 * kPeriod - 1ns), last + 10 * kPeriod);
}
