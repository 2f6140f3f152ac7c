#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "util/clock.hpp"
#include "util/doorbell.hpp"
#include "defio/flush_worker.hpp"
#include "tests/test_support.hpp"

using namespace udefio;
using udefio::test::wait_for;
using namespace std::chrono_literals;


TEST(FlushWorker, FirstScheduleArmsOneTimer)
{
    std::atomic<int> works{0};
    auto worker = FlushWorker::start({[] {}, [] {}, [&] { ++works; }}, -1).value();
    for (int i = 0; i < 100; ++i)
        worker->schedule_at(monotonic_now() + 50ms);  // later schedules only add work to the same flush
    ASSERT_TRUE(wait_for([&] { return works.load() == 1; }));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(works.load(), 1);
    worker->schedule_at(monotonic_now() + 1ms);  // after the work ran, the next write arms it again
    ASSERT_TRUE(wait_for([&] { return works.load() == 2; }));
}

TEST(FlushWorker, NoWakeupsWhileIdle)
{
    auto worker = FlushWorker::start({[] {}, [] {}, [] {}}, -1).value();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(worker->wakeups(), 0u);
}

TEST(FlushWorker, DoorbellCallsWriteSeen)
{
    auto bell = Doorbell::create().value();
    std::atomic<int> seen{0};
    auto worker = FlushWorker::start({[&] { ++seen; }, [] {}, [] {}}, bell.fd()).value();
    bell.ring();
    ASSERT_TRUE(wait_for([&] { return seen.load() == 1; }));
}

TEST(FlushWorker, LooksWhenAskedOnce)
{
    std::atomic<int> looks{0}, works{0};
    auto worker = FlushWorker::start({[] {}, [&] { ++looks; }, [&] { ++works; }}, -1).value();
    worker->schedule_look_at(monotonic_now() + 5ms);
    ASSERT_TRUE(wait_for([&] { return looks.load() == 1; }));
    // One-shot: a flush asked after the look runs, and no second look came before it.
    worker->schedule_at(monotonic_now() + 10ms);
    ASSERT_TRUE(wait_for([&] { return works.load() == 1; }));
    EXPECT_EQ(looks.load(), 1);
}

TEST(FlushWorker, CancelSyncStopsPendingWork)
{
    std::atomic<int> works{0};
    auto worker = FlushWorker::start({[] {}, [] {}, [&] { ++works; }}, -1).value();
    worker->schedule_at(monotonic_now() + 30ms);
    worker->cancel_sync();
    worker->schedule_at(monotonic_now() + 1ms);  // refused after cancel
    std::this_thread::sleep_for(80ms);
    EXPECT_EQ(works.load(), 0);
}

TEST(FlushWorker, RunsAtTheTimeAskedNotBefore)
{
    std::atomic<int64_t> ran_at{0};
    auto worker = FlushWorker::start({[] {}, [] {}, [&] { ran_at = monotonic_now().count(); }}, -1).value();
    const auto at = monotonic_now() + 40ms;
    worker->schedule_at(at);
    ASSERT_TRUE(wait_for([&] { return ran_at.load() != 0; }));
    EXPECT_GE(ran_at.load(), at.count());
}

TEST(FlushWorker, ATimeInThePastRunsAtOnce)
{
    std::atomic<int> works{0};
    auto worker = FlushWorker::start({[] {}, [] {}, [&] { ++works; }}, -1).value();
    worker->schedule_at(monotonic_now() - 1s);
    ASSERT_TRUE(wait_for([&] { return works.load() == 1; }));
}
