// Fence callbacks versus the owner's destruction, as in "dma-fence: Fix races
// of fence callbacks versus destructors by locking": one test per rule, named
// after the rule.
#include <gtest/gtest.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <thread>
#include <vector>

#include "util/clock.hpp"
#include "loop/event_loop.hpp"
#include "fence/fence_wait.hpp"
#include "fence/software_timeline.hpp"
#include "tests/test_support.hpp"

using namespace udefio;
using udefio::test::wait_for;
using namespace std::chrono_literals;

namespace {

// An owner whose calls can be held inside it, to see what the fence does meanwhile.
class GatedOwner final : public FenceOwner {
public:
    std::string timeline_name() const override { return "gated"; }
    void set_deadline(uint64_t, std::chrono::nanoseconds) override
    {
        std::unique_lock lock(mutex_);
        ++inside_;
        entered_.notify_all();
        released_cv_.wait(lock, [this] { return released_; });
        --inside_;
        ++deadlines_;
    }
    void wait_until_inside()
    {
        std::unique_lock lock(mutex_);
        entered_.wait(lock, [this] { return inside_ > 0; });
    }
    void release()
    {
        std::lock_guard lock(mutex_);
        released_ = true;
        released_cv_.notify_all();
    }
    int deadlines() const
    {
        std::lock_guard lock(mutex_);
        return deadlines_;
    }
    int inside() const
    {
        std::lock_guard lock(mutex_);
        return inside_;
    }

private:
    mutable std::mutex mutex_;  // protects the counters and released_; the test's own state
    std::condition_variable entered_, released_cv_;
    int inside_ = 0;
    int deadlines_ = 0;
    bool released_ = false;
};

std::shared_ptr<Fence> software_fence(FenceOwner& owner)
{
    auto fence = Fence::create_software(owner, 1);
    EXPECT_TRUE(fence.ok());
    return *fence;
}

}  // namespace

TEST(FenceCallbacks, FenceLockGuardsSignallingStateOnly)
{
    GatedOwner owner;
    auto fence = software_fence(owner);
    std::thread caller([&] { fence->set_deadline(monotonic_now() + 1ms); });
    owner.wait_until_inside();
    // A call is inside the owner, and the fence's own state is still free to use.
    EXPECT_FALSE(fence->signalled());
    EXPECT_TRUE(fence->add_callback([](std::chrono::nanoseconds) {}).ok());
    owner.release();
    caller.join();
    EXPECT_EQ(owner.deadlines(), 1);
}

TEST(FenceCallbacks, SignalReturnsOnlyWhenNoCallIsInsideTheOwner)
{
    GatedOwner owner;
    auto fence = software_fence(owner);
    std::thread caller([&] { fence->set_deadline(monotonic_now() + 1ms); });
    owner.wait_until_inside();
    std::atomic<bool> signal_returned{false};
    std::atomic<pid_t> signaller_tid{0};
    std::thread signaller([&] {
        signaller_tid = ::gettid();
        fence->signal(monotonic_now());
        signal_returned = true;
    });
    // Asleep in signal(), or gone: returned from it, which is the failure.
    const bool asleep = test::wait_until_blocked(signaller_tid);
    EXPECT_FALSE(signal_returned) << "signal() returned while a call was running inside the owner";
    EXPECT_TRUE(asleep || signal_returned) << "the signalling thread never blocked";
    owner.release();
    signaller.join();
    caller.join();
    EXPECT_EQ(owner.inside(), 0);
}

TEST(FenceCallbacks, NoCallIntoTheOwnerAfterSignal)
{
    GatedOwner owner;
    owner.release();
    auto fence = software_fence(owner);
    fence->set_deadline(monotonic_now());
    EXPECT_EQ(owner.deadlines(), 1);
    EXPECT_EQ(fence->timeline_name(), "gated");
    ASSERT_TRUE(fence->signal(monotonic_now()));
    fence->set_deadline(monotonic_now());
    EXPECT_EQ(owner.deadlines(), 1);
    EXPECT_EQ(fence->timeline_name(), "signalled-timeline");
    EXPECT_FALSE(fence->signal(monotonic_now())) << "a fence signals once";
}

TEST(FenceCallbacks, CallbackAddedAfterSignalIsRefused)
{
    GatedOwner owner;
    auto fence = software_fence(owner);
    int ran = 0;
    ASSERT_TRUE(fence->add_callback([&](std::chrono::nanoseconds) { ++ran; }).ok());
    const auto at = monotonic_now();
    fence->signal(at);
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(fence->signalled_at(), at);
    auto late = fence->add_callback([&](std::chrono::nanoseconds) { ++ran; });
    ASSERT_FALSE(late.ok());
    EXPECT_NE(late.error().message().find("already signalled"), std::string::npos) << late.error().message();
    fence->signal(monotonic_now());
    EXPECT_EQ(ran, 1);
}

// The owner (a timeline with its fences) is destroyed the moment it signalled
// while other threads keep calling into its fences. A call that reached the
// destroyed owner is a heap-use-after-free under ASan and a race under TSan;
// in the plain build the owner's canary catches it.
TEST(FenceCallbacks, OwnerDestroyedRightAfterSignalStress)
{
    struct Canary {
        std::atomic<int> calls_after_death{0};
    };
    class MortalTimeline final : public FenceOwner {
    public:
        explicit MortalTimeline(Canary& canary) : canary_(canary) {}
        ~MortalTimeline() { alive_ = false; }
        std::string timeline_name() const override
        {
            if (!alive_)
                canary_.calls_after_death++;
            return name_;
        }
        void set_deadline(uint64_t, std::chrono::nanoseconds) override
        {
            if (!alive_)
                canary_.calls_after_death++;
            // Stay inside a while, as a driver's callback does, so that a
            // signal() that did not wait would destroy us under the call.
            const auto until = monotonic_now() + 20us;
            while (monotonic_now() < until)
                deadlines_.fetch_add(1, std::memory_order_relaxed);
            if (!alive_)
                canary_.calls_after_death++;
        }

    private:
        Canary& canary_;
        std::atomic<bool> alive_{true};
        std::atomic<int> deadlines_{0};
        const std::string name_ = "mortal";
    };

    Canary canary;
    constexpr int kRounds = 300;
    for (int round = 0; round < kRounds; ++round) {
        auto owner = std::make_unique<MortalTimeline>(canary);
        auto fence = software_fence(*owner);
        std::atomic<bool> go{false};
        std::vector<std::thread> callers;
        for (int t = 0; t < 3; ++t) {
            callers.emplace_back([&, t] {
                while (!go) {
                }
                for (int i = 0; i < 50; ++i) {
                    if (t % 2)
                        fence->set_deadline(monotonic_now());
                    else
                        (void)fence->timeline_name();
                }
            });
        }
        go = true;
        fence->signal(monotonic_now());
        owner.reset();  // right after signal, while the callers may still be calling
        for (auto& c : callers)
            c.join();
    }
    EXPECT_EQ(canary.calls_after_death.load(), 0);
}

TEST(FenceCallbacks, TimelineSignalsPendingFencesWhenDestroyed)
{
    std::shared_ptr<Fence> first, second;
    {
        SoftwareTimeline timeline("scanout");
        first = timeline.create_fence().value();
        second = timeline.create_fence().value();
        EXPECT_EQ(second->seqno(), 2u);
        EXPECT_EQ(first->timeline_name(), "scanout");
        timeline.signal_until(1, monotonic_now());
        EXPECT_TRUE(first->signalled());
        EXPECT_FALSE(second->signalled());
        second->set_deadline(monotonic_now() + 5ms);
        EXPECT_TRUE(timeline.earliest_deadline().has_value());
    }
    EXPECT_TRUE(second->signalled());
    EXPECT_EQ(second->timeline_name(), "signalled-timeline");
}

TEST(FenceWait, WaitsInTheLoopWithoutBlockingIt)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    SoftwareTimeline timeline("test");
    auto fence = timeline.create_fence().value();
    std::optional<std::chrono::nanoseconds> seen;
    int ticks = 0;
    auto wait = FenceWait::start(**loop, fence, [&](std::chrono::nanoseconds at) {
        seen = at;
        (*loop)->stop();
    });
    ASSERT_TRUE(wait.ok());
    // The loop keeps running timers while the fence is pending.
    EventSource tick;
    auto timer = (*loop)->make_timer([&] {
        if (++ticks == 5)
            timeline.signal_all(monotonic_now());
        else
            tick.arm(1ms);
    });
    ASSERT_TRUE(timer.ok());
    tick = std::move(timer).value();
    tick.arm(1ms);
    EXPECT_EQ((*loop)->run(), 0);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(ticks, 5);
    EXPECT_TRUE((*wait)->done());
    EXPECT_EQ(*seen, *fence->signalled_at());
}

TEST(Fence, AdoptRefusesAnFdThatIsNotASyncFile)
{
    UniqueFd not_a_fence(::eventfd(0, EFD_CLOEXEC));
    ASSERT_TRUE(not_a_fence.valid());
    auto fence = Fence::adopt_sync_file(std::move(not_a_fence));
    ASSERT_FALSE(fence.ok());
    EXPECT_NE(fence.error().message().find("SYNC_IOC_FILE_INFO"), std::string::npos) << fence.error().message();
}
