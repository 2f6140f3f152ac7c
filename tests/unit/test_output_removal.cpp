// The output goes while clients still map its buffer, as in "fbdev: defio:
// Disconnect deferred I/O from the lifetime of struct fb_info": one test per
// lifetime rule, named after the rule.
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/test_support.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "defio/buffer_mapping.hpp"
#include "defio/deferred_io_state.hpp"

using namespace udefio;
using udefio::test::wait_for;
using namespace std::chrono_literals;

namespace {

// Outlives the sink so a flush into a destroyed sink is detected without UB.
struct Canary {
    std::atomic<bool> sink_destroyed{false};
    std::atomic<int> flushes{0};
    std::atomic<int> flushes_after_destroy{0};
    std::atomic<int> in_flush{0};
};

// Holds a flush inside the sink until opened.
class Gate {
public:
    void open()
    {
        std::lock_guard lock(mutex_);
        open_ = true;
        opened_.notify_all();
    }
    void pass()
    {
        std::unique_lock lock(mutex_);
        opened_.wait(lock, [this] { return open_; });
    }

private:
    std::mutex mutex_;  // protects open_; the test's own state
    std::condition_variable opened_;
    bool open_ = false;
};

// Behaves like a backend's output: detaches first thing in its destructor.
class TestSink : public Sink {
public:
    TestSink(std::shared_ptr<DeferredIoState> state, std::shared_ptr<Canary> canary, Gate* gate = nullptr)
        : state_(std::move(state)), canary_(std::move(canary)), gate_(gate)
    {
        EXPECT_TRUE(state_->attach(*this).ok());
    }
    ~TestSink() override
    {
        state_->detach();
        canary_->sink_destroyed = true;
    }
    FlushResult flush(const SharedBuffer&, std::span<PageRef* const>,
                      const Damage& damage, std::chrono::nanoseconds) override
    {
        canary_->in_flush++;
        if (canary_->sink_destroyed)
            canary_->flushes_after_destroy++;
        canary_->flushes++;
        if (gate_)
            gate_->pass();
        canary_->in_flush--;
        return {static_cast<uint64_t>(damage.area()) * 4};
    }

private:
    std::shared_ptr<DeferredIoState> state_;
    std::shared_ptr<Canary> canary_;
    Gate* gate_;
};

std::shared_ptr<DeferredIoState> make_state(TrackerKind tracker, std::chrono::nanoseconds delay = 1ms)
{
    DeferredIoOptions options;
    options.delay = delay;
    options.tracker = tracker;
    auto state = DeferredIoState::create(BufferLayout::make(256, 128).value(), options);
    EXPECT_TRUE(state.ok()) << state.error().message();
    return std::move(state).value();
}


}  // namespace

TEST(OutputRemoval, StateOutlivesOutput)
{
    auto state = make_state(TrackerKind::explicit_damage);
    std::weak_ptr<DeferredIoState> weak = state;
    auto canary = std::make_shared<Canary>();
    auto mapping = BufferMapping::map(state, nullptr);
    ASSERT_TRUE(mapping.ok());
    {
        TestSink sink(state, canary);
        EXPECT_TRUE(state->attached());
    }
    state.reset();
    // The mapping still holds the state; only the output is gone.
    ASSERT_FALSE(weak.expired());
    EXPECT_FALSE(mapping->state()->attached());
    EXPECT_TRUE(mapping->state()->flags().test(kFlagRevoked));
}

TEST(OutputRemoval, MappingAccessAfterOutputGoneRaisesSigbus)
{
    auto state = make_state(TrackerKind::shadow);
    auto canary = std::make_shared<Canary>();
    auto mapping = BufferMapping::map(state, nullptr);
    ASSERT_TRUE(mapping.ok());
    auto* pixels = reinterpret_cast<volatile uint32_t*>(mapping->data());
    pixels[10] = 0x123456;  // fine while the output exists
    auto sink = std::make_unique<TestSink>(state, canary);
    sink.reset();
    EXPECT_EXIT(pixels[10] = 0x654321, testing::KilledBySignal(SIGBUS), "");
    EXPECT_EXIT((void)pixels[0], testing::KilledBySignal(SIGBUS), "");
}

TEST(OutputRemoval, FlushAfterOutputGoneIsNoop)
{
    auto state = make_state(TrackerKind::explicit_damage);
    auto canary = std::make_shared<Canary>();
    {
        TestSink sink(state, canary);
        EXPECT_TRUE(state->add_damage({0, 0, 8, 8}));
        ASSERT_TRUE(wait_for([&] { return canary->flushes.load() == 1; }));
    }
    EXPECT_FALSE(state->notify_write());
    EXPECT_FALSE(state->add_damage({0, 0, 8, 8}));
    state->flush_now();  // runs here, and the flush worker is gone: nothing else can flush later
    EXPECT_EQ(canary->flushes.load(), 1);
    EXPECT_EQ(canary->flushes_after_destroy.load(), 0);
}

TEST(OutputRemoval, MappingsHoldRefsOnStateAndBackend)
{
    struct FakeBackend {};
    auto backend = std::make_shared<FakeBackend>();
    std::weak_ptr<FakeBackend> weak_backend = backend;
    auto state = make_state(TrackerKind::explicit_damage);
    std::weak_ptr<DeferredIoState> weak_state = state;
    {
        auto mapping = BufferMapping::map(state, backend);
        ASSERT_TRUE(mapping.ok());
        state.reset();
        backend.reset();
        EXPECT_FALSE(weak_state.expired());
        EXPECT_FALSE(weak_backend.expired());
    }
    EXPECT_TRUE(weak_state.expired());
    EXPECT_TRUE(weak_backend.expired());
}

TEST(OutputRemoval, DetachWaitsForRunningFlush)
{
    auto state = make_state(TrackerKind::explicit_damage, 0ns);
    auto canary = std::make_shared<Canary>();
    Gate gate;
    auto sink = std::make_unique<TestSink>(state, canary, &gate);
    ASSERT_TRUE(state->add_damage({0, 0, 8, 8}));
    ASSERT_TRUE(wait_for([&] { return canary->in_flush.load() == 1; }));
    std::atomic<pid_t> destroyer_tid{0};
    std::atomic<bool> destroyed{false};
    std::thread destroyer([&] {
        destroyer_tid = ::gettid();
        sink.reset();  // detach must wait for the flush that runs into the sink
        destroyed = true;
    });
    // Asleep in detach(), or gone: it did not wait, which is the failure.
    const bool asleep = test::wait_until_blocked(destroyer_tid);
    EXPECT_FALSE(destroyed) << "the output went away under a running flush";
    EXPECT_TRUE(asleep || destroyed) << "the destroying thread never blocked";
    gate.open();
    destroyer.join();
    EXPECT_EQ(canary->in_flush.load(), 0);
    EXPECT_EQ(canary->flushes_after_destroy.load(), 0);
}

// The review's race: scheduling the delayed flush after unlock vs cancelling it
// in cleanup. Writers hammer notify_write()/add_damage() while outputs come and
// go; no flush may ever run into a destroyed output. Run under TSan in the
// sanitizer lane.
TEST(OutputRemoval, ScheduleVsCancelRaceIsClosed)
{
    std::mt19937 rng(42);
    int flushes = 0;
    int flushes_after_destroy = 0;
    for (int round = 0; round < 60; ++round) {
        auto canary = std::make_shared<Canary>();
        auto state = make_state(TrackerKind::explicit_damage, std::chrono::microseconds(rng() % 200));
        auto sink = std::make_unique<TestSink>(state, canary);
        std::atomic<bool> stop{false}, gone{false};
        // Per writer: calls made, and calls begun after the output was gone.
        std::atomic<int> calls[3] = {0, 0, 0}, calls_after[3] = {0, 0, 0};
        std::vector<std::thread> writers;
        for (int w = 0; w < 3; ++w)
            writers.emplace_back([&, w] {
                while (!stop.load(std::memory_order_relaxed)) {
                    const bool after = gone;
                    if (w == 0)
                        state->notify_write();
                    else
                        state->add_damage({w, w, 4, 4});
                    calls[w]++;
                    calls_after[w] += after;
                }
            });
        auto each = [](const std::atomic<int>(&counts)[3]) { return counts[0] && counts[1] && counts[2]; };
        // All three are writing (in every other round, and flushing too); the
        // output goes at a different point of it each round.
        const bool started =
            wait_for([&] { return each(calls) && (round % 2 || canary->flushes.load() > 0); });
        std::this_thread::sleep_for(std::chrono::microseconds(500 + rng() % 3000));
        sink.reset();
        gone = true;
        EXPECT_FALSE(state->attached());
        const bool went_on = wait_for([&] { return each(calls_after); });  // against the dead state
        stop = true;
        for (auto& t : writers)
            t.join();
        EXPECT_TRUE(started && went_on) << "round " << round << ": a writer did not run";
        flushes += canary->flushes;
        flushes_after_destroy += canary->flushes_after_destroy;
    }
    EXPECT_GT(flushes, 0);
    EXPECT_EQ(flushes_after_destroy, 0);
}
