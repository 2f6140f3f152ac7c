// DeferredIoState asks its sink when to start a flush (Sink::flush_time):
// the delay from the write is the earliest, the sink may push it later (the
// KMS output aims at a vblank), and the flush never starts before.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "util/clock.hpp"
#include "defio/deferred_io_state.hpp"
#include "tests/test_support.hpp"

using namespace udefio;
using udefio::test::wait_for;
using namespace std::chrono_literals;

namespace {

class LateSink final : public Sink {
public:
    explicit LateSink(std::chrono::nanoseconds extra) : extra_(extra) {}
    FlushResult flush(const SharedBuffer&, std::span<PageRef* const>, const Damage&, std::chrono::nanoseconds) override
    {
        flushed_at = monotonic_now().count();
        return {};
    }
    std::chrono::nanoseconds flush_time(std::chrono::nanoseconds, std::chrono::nanoseconds ready) const override
    {
        asked_for = ready.count();
        return ready + extra_;
    }

    std::atomic<int64_t> flushed_at{0};
    mutable std::atomic<int64_t> asked_for{0};

private:
    std::chrono::nanoseconds extra_;
};

}  // namespace

TEST(FlushTime, TheFlushStartsWhenTheSinkSaysNotBefore)
{
    DeferredIoOptions options;
    options.delay = 5ms;
    options.tracker = TrackerKind::explicit_damage;
    auto state = DeferredIoState::create(BufferLayout::make(256, 64).value(), options).value();
    LateSink sink(40ms);
    ASSERT_TRUE(state->attach(sink).ok());
    const auto written = monotonic_now();
    ASSERT_TRUE(state->add_damage({0, 0, 8, 8}));
    ASSERT_TRUE(wait_for([&] { return sink.flushed_at.load() != 0; }));
    // Ready the delay after the write, started the sink's 40 ms after that.
    EXPECT_GE(sink.asked_for.load(), (written + 5ms).count());
    EXPECT_GE(sink.flushed_at.load(), sink.asked_for.load() + (40ms).count());
    state->detach();
}
