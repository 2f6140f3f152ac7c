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
    auto worker = FlushWorker::start({[] {}, [] {}, [&](std::chrono::nanoseconds) { ++works; }}, -1).value();
    EXPECT_TRUE(worker->schedule_at(monotonic_now() + 1s));  // far enough that it is still armed below
    for (int i = 0; i < 99; ++i)
        EXPECT_FALSE(worker->schedule_at(monotonic_now() + 1ms)) << "later schedules only add work to the same flush";
    ASSERT_TRUE(wait_for([&] { return works.load() == 1; }));
    EXPECT_TRUE(worker->schedule_at(monotonic_now() + 1ms));  // after the work ran, the next write arms it again
    ASSERT_TRUE(wait_for([&] { return works.load() == 2; }));
    EXPECT_EQ(works.load(), 2);
}

// Idle, the worker sleeps: the one thing scheduled a while later is its first wakeup.
TEST(FlushWorker, NoWakeupsWhileIdle)
{
    std::atomic<int> works{0};
    auto worker = FlushWorker::start({[] {}, [] {}, [&](std::chrono::nanoseconds) { ++works; }}, -1).value();
    const auto tids = test::threads_named("udefio-flush");
    ASSERT_EQ(tids.size(), 1u);
    ASSERT_TRUE(test::wait_until_blocked(tids[0]));  // asleep in poll(), idle
    EXPECT_TRUE(worker->schedule_at(monotonic_now() + 100ms));
    ASSERT_TRUE(wait_for([&] { return works.load() == 1; }));
    EXPECT_EQ(worker->wakeups(), 1u);
}

TEST(FlushWorker, DoorbellCallsWriteSeen)
{
    auto bell = Doorbell::create().value();
    std::atomic<int> seen{0};
    auto worker = FlushWorker::start({[&] { ++seen; }, [] {}, [](std::chrono::nanoseconds) {}}, bell.fd()).value();
    bell.ring();
    ASSERT_TRUE(wait_for([&] { return seen.load() == 1; }));
}

TEST(FlushWorker, LooksWhenAskedOnce)
{
    std::atomic<int> looks{0}, works{0};
    auto worker = FlushWorker::start({[] {}, [&] { ++looks; }, [&](std::chrono::nanoseconds) { ++works; }}, -1).value();
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
    auto worker = FlushWorker::start({[] {}, [] {}, [&](std::chrono::nanoseconds) { ++works; }}, -1).value();
    ASSERT_TRUE(worker->schedule_at(monotonic_now() + 10s));
    worker->cancel_sync();  // joins the thread: nothing can run after it
    EXPECT_EQ(works.load(), 0);
    EXPECT_FALSE(worker->schedule_at(monotonic_now() + 1ms)) << "armed after cancel_sync";
}

TEST(FlushWorker, RunsAtTheTimeAskedNotBefore)
{
    std::atomic<int64_t> ran_at{0};
    auto worker = FlushWorker::start({[] {}, [] {}, 
        [&](std::chrono::nanoseconds) { ran_at = monotonic_now().count(); }}, -1).value();
    const auto at = monotonic_now() + 40ms;
    worker->schedule_at(at);
    ASSERT_TRUE(wait_for([&] { return ran_at.load() != 0; }));
    EXPECT_GE(ran_at.load(), at.count());
}

TEST(FlushWorker, ATimeInThePastRunsAtOnce)
{
    std::atomic<int> works{0};
    auto worker = FlushWorker::start({[] {}, [] {}, [&](std::chrono::nanoseconds) { ++works; }}, -1).value();
    worker->schedule_at(monotonic_now() - 1s);
    ASSERT_TRUE(wait_for([&] { return works.load() == 1; }));
}
