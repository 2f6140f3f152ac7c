// VblankClock: where flushes start relative to the vblank grid that page-flip
// events place, and how the margin adapts to commits that miss.
#include <gtest/gtest.h>

#include "backends/kms/vblank_clock.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::nanoseconds kPeriod = 16'666'667ns;

// A clock whose grid is placed: flips at sequences 100 and 101 (t = 1 s and 1 s + P).
struct PlacedClock : VblankClock {
    PlacedClock() : VblankClock(kPeriod)
    {
        committed(1s - 5ms);
        flipped(100, 1s);
        committed(1s + kPeriod - 5ms);
        flipped(101, 1s + kPeriod);
    }
};

}  // namespace

TEST(VblankClock, WithoutAFlipFlushesRunWhenReady)
{
    VblankClock clock(kPeriod);
    EXPECT_EQ(clock.flush_time(3s), 3s);
}

TEST(VblankClock, AFlushStartsTheMarginBeforeTheNextVblank)
{
    PlacedClock clock;
    const auto last = 1s + kPeriod;
    // Ready 1 ms after the last vblank: start the margin before the next one.
    EXPECT_EQ(clock.flush_time(last + 1ms), last + kPeriod - clock.margin());
    // Three periods later the grid still holds.
    EXPECT_EQ(clock.flush_time(last + 3 * kPeriod + 1ms), last + 4 * kPeriod - clock.margin());
}

TEST(VblankClock, ReadyInsideTheMarginStartsAtOnce)
{
    PlacedClock clock;
    const auto next = 1s + 2 * kPeriod;
    const auto ready = next - clock.margin() / 2;
    EXPECT_EQ(clock.flush_time(ready), ready);
}

TEST(VblankClock, WhileACommitIsInFlightAimsAtTheVblankAfterItsFlip)
{
    PlacedClock clock;
    const auto last = 1s + kPeriod;
    clock.committed(last + kPeriod - 3ms);  // lands at last + P
    // Ready right after that commit, even inside the margin: the earliest a
    // new commit can catch is the vblank after the one in flight, and the
    // flush starts the margin before it, so it never waits for the flip.
    EXPECT_EQ(clock.flush_time(last + kPeriod - 1ms), last + 2 * kPeriod - clock.margin());
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
    // Issued the margin before a vblank, shown one later: a miss.
    clock.committed(vblank + kPeriod - start);
    vblank += 2 * kPeriod;
    sequence += 2;
    clock.flipped(sequence, vblank);
    EXPECT_EQ(clock.misses(), 1u);
    const auto widened = clock.margin();
    EXPECT_EQ(widened, start + 1ms);
    // Issued too close to its vblank to count: a late flip says nothing.
    clock.committed(vblank + kPeriod - widened / 4);
    vblank += 2 * kPeriod;
    sequence += 2;
    clock.flipped(sequence, vblank);
    EXPECT_EQ(clock.misses(), 1u);
    EXPECT_EQ(clock.margin(), widened);
    // A long run of hits narrows it again.
    for (int i = 0; i < VblankClock::kHitsToNarrow; ++i) {
        clock.committed(vblank + kPeriod - widened);
        vblank += kPeriod;
        clock.flipped(++sequence, vblank);
    }
    EXPECT_LT(clock.margin(), widened);
    EXPECT_GE(clock.margin(), VblankClock::kMinMargin);
}

TEST(VblankClock, MarginNeverExceedsHalfAPeriod)
{
    PlacedClock clock;
    auto vblank = 1s + kPeriod;
    uint64_t sequence = 101;
    for (int i = 0; i < 50; ++i) {
        clock.committed(vblank + kPeriod - clock.margin());
        vblank += 3 * kPeriod;
        sequence += 3;
        clock.flipped(sequence, vblank);
    }
    EXPECT_LE(clock.margin(), kPeriod / 2);
}
