// "vfio/pci: Support mmap() of a VFIO DMABUF" (revocable sub-ranges): one
// test per rule, named after it, and a stress test that races revoke against
// commit and flush (run under ThreadSanitizer by the tsan lane).
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <random>
#include <thread>
#include <vector>

#include "compositor/lease.hpp"
#include "tests/test_support.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

// The output side: counts flushes; what reached it is in the state's buffer.
class CountingSink final : public Sink {
public:
    FlushResult flush(const SharedBuffer&, std::span<PageRef* const>,
                      const Damage& damage, std::chrono::nanoseconds) override
    {
        flushes.fetch_add(1);
        return {uint64_t(damage.area()) * 4};
    }
    std::atomic<int> flushes{0};
};

struct Output {
    Output()
    {
        DeferredIoOptions options;
        options.tracker = TrackerKind::explicit_damage;
        options.delay = 1ms;
        state = DeferredIoState::create(BufferLayout::make(256, 64).value(), options).value();
        EXPECT_TRUE(state->attach(sink).ok());
        target = LeaseTarget::create(state).value();
    }
    ~Output()
    {
        target.reset();
        state->detach();
    }
    CountingSink sink;
    std::shared_ptr<DeferredIoState> state;
    std::unique_ptr<LeaseTarget> target;
};

Damage whole(const Lease& lease)
{
    Damage d;
    d.add({0, 0, int32_t(lease.buffer().layout().width), int32_t(lease.buffer().layout().height)});
    return d;
}

}  // namespace

TEST(LeaseRevocation, CommitCopiesIntoItsPlaceOnly)
{
    Output out;
    auto lease = Lease::create(*out.target, {16, 8}).value();
    std::memset(lease->buffer().data(), 0x5a, lease->buffer().size());
    ASSERT_TRUE(lease->commit(whole(*lease)).ok());
    const BufferLayout& l = out.state->layout();
    EXPECT_EQ(out.state->buffer().row(15)[0], 0u);
    EXPECT_EQ(out.state->buffer().row(16)[0], 0x5a5a5a5au);
    EXPECT_EQ(out.state->buffer().row(23)[l.width - 1], 0x5a5a5a5au);
    EXPECT_EQ(out.state->buffer().row(24)[0], 0u);
    EXPECT_FALSE(Lease::create(*out.target, {60, 8}).ok()) << "a lease beyond the frame";
}

TEST(LeaseRevocation, NoUseAfterRevoke)
{
    Output out;
    auto lease = Lease::create(*out.target, {0, 8}).value();
    lease->revoke();
    lease->revoke();  // idempotent
    int ran = 0;
    auto r = lease->use([&](LeaseTarget&, const SharedBuffer&) { ++ran; });
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("revoked"), std::string::npos);
    EXPECT_EQ(ran, 0);
    EXPECT_FALSE(lease->commit(whole(*lease)).ok());
}

TEST(LeaseRevocation, WhatWasCommittedBeforeRevokeStaysOnScreen)
{
    Output out;
    auto lease = Lease::create(*out.target, {0, 8}).value();
    std::memset(lease->buffer().data(), 0x11, lease->buffer().size());
    ASSERT_TRUE(lease->commit(whole(*lease)).ok());
    lease->revoke();
    EXPECT_EQ(out.state->buffer().row(3)[7], 0x11111111u);
}

TEST(LeaseRevocation, ClientAccessAfterRevokeRaisesSigbus)
{
    Output out;
    auto lease = Lease::create(*out.target, {0, 8}).value();
    int ready[2], go[2];
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(go), 0);
    const pid_t client = ::fork();
    if (client == 0) {
        // The client: maps the lease fd as it would after SCM_RIGHTS, draws, waits, draws again.
        void* p = ::mmap(nullptr, lease->buffer().size(), PROT_READ | PROT_WRITE, MAP_SHARED, lease->buffer().fd(), 0);
        if (p == MAP_FAILED)
            ::_exit(2);
        static_cast<volatile uint32_t*>(p)[0] = 1;
        char c = 0;
        (void)!::write(ready[1], &c, 1);
        (void)!::read(go[0], &c, 1);
        static_cast<volatile uint32_t*>(p)[0] = 2;  // after the revoke: SIGBUS
        ::_exit(0);
    }
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    lease->revoke();
    ASSERT_EQ(::write(go[1], &c, 1), 1);
    int status = 0;
    ASSERT_EQ(::waitpid(client, &status, 0), client);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the client survived touching a revoked lease";
    EXPECT_EQ(WTERMSIG(status), SIGBUS);
    for (int fd : {ready[0], ready[1], go[0], go[1]})
        ::close(fd);
}

TEST(LeaseRevocation, TargetTeardownWaitsForARunningUse)
{
    Output out;
    auto lease = Lease::create(*out.target, {0, 8}).value();
    std::atomic<bool> inside{false}, release{false}, torn_down{false};
    std::thread user([&] {
        (void)lease->use([&](LeaseTarget&, const SharedBuffer&) {
            inside = true;
            while (!release)
                std::this_thread::yield();
            EXPECT_FALSE(torn_down) << "the target went away under a use";
        });
    });
    while (!inside)
        std::this_thread::yield();
    std::atomic<pid_t> teardown_tid{0};
    std::thread teardown([&] {
        teardown_tid = ::gettid();
        out.target->unregister();
        torn_down = true;
    });
    // Asleep in unregister(), or gone: returned from it, which is the failure.
    const bool asleep = test::wait_until_blocked(teardown_tid);
    EXPECT_FALSE(torn_down);
    EXPECT_TRUE(asleep || torn_down) << "the teardown never blocked";
    release = true;
    user.join();
    teardown.join();
    EXPECT_TRUE(torn_down);
    EXPECT_FALSE(out.target->try_get_registration()) << "no new registration after teardown began";
}

// Revoke races commits from two threads and the output's flushes. A commit
// that read the lease after its memfd was truncated would die of SIGBUS; a
// use after revoke returned would be counted.
TEST(LeaseRevocation, RevokeRacesCommitAndFlushStress)
{
    for (int round = 0; round < 40; ++round) {
        Output out;
        auto lease = Lease::create(*out.target, {8, 32}).value();
        std::memset(lease->buffer().data(), round, lease->buffer().size());
        std::atomic<bool> revoked{false}, stop{false};
        std::atomic<int> uses_after_revoke{0};
        // Per thread (committers a, b, the flusher): calls begun, and begun after the revoke returned.
        std::atomic<int> calls[3] = {0, 0, 0}, calls_after_revoke[3] = {0, 0, 0};
        auto committer = [&](int self) {
            while (!stop) {
                const bool before = revoked;
                auto r = lease->use([&](LeaseTarget& target, const SharedBuffer& buffer) {
                    if (revoked)
                        uses_after_revoke++;
                    volatile std::byte sink = buffer.data()[buffer.size() - 1];  // reads the client's memory
                    (void)sink;
                    target.state().add_damage({0, 8, 16, 16});
                });
                if (r.ok() && before)
                    uses_after_revoke++;
                calls[self]++;
                calls_after_revoke[self] += before;
            }
        };
        std::thread a(committer, 0), b(committer, 1);
        std::thread flusher([&] {
            while (!stop) {
                const bool before = revoked;
                out.state->flush_now();
                calls[2]++;
                calls_after_revoke[2] += before;
            }
        });
        auto each = [](const std::atomic<int>(&counts)[3]) { return counts[0] && counts[1] && counts[2]; };
        // All three are racing; the revoke comes at a different point of it each round.
        const bool started = test::wait_for([&] { return each(calls); });
        std::this_thread::sleep_for(std::chrono::microseconds(std::mt19937(round)() % 2000));
        lease->revoke();
        revoked = true;
        // Each keeps going against the revoked lease.
        const bool went_on = test::wait_for([&] { return each(calls_after_revoke); });
        stop = true;
        a.join();
        b.join();
        flusher.join();
        EXPECT_TRUE(started && went_on) << "round " << round << ": a thread did not run";
        EXPECT_EQ(uses_after_revoke.load(), 0) << "round " << round;
    }
}
