// The compositor's protocol server against clients on socketpairs: the happy
// path (lease, draw with plain stores, commit, presented) and every kind of
// broken or hostile client, each of which is disconnected alone, with no fd
// or lease left behind (fds counted in /proc/self/fd).
#include <gtest/gtest.h>

#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "tests/unit/server_fixture.hpp"

using namespace udefio;
using namespace std::chrono_literals;
using test::open_fds;
using test::ServerTest;
using test::TestClient;

TEST_F(ServerTest, LeaseDrawCommitPresented)
{
    TestClient c = greeted();
    c.send(wire::CreateSurface{1});
    const auto conf = c.expect<wire::Configure>();
    EXPECT_EQ(conf.width, 256u);
    EXPECT_EQ(conf.height, 64u);
    EXPECT_EQ(conf.stride, 1024u);
    c.send(wire::LeaseBuffer{1, 7, 4096, 8192});  // rows 4..11
    UniqueFd lease_fd;
    auto leased = c.next(&lease_fd);
    ASSERT_TRUE(leased && std::holds_alternative<wire::Leased>(*leased));
    ASSERT_TRUE(lease_fd.valid());
    auto* pixels = static_cast<uint32_t*>(::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, lease_fd.get(), 0));
    ASSERT_NE(pixels, MAP_FAILED);
    for (int i = 0; i < 2048; ++i)
        pixels[i] = 0x00abcdef;  // plain stores
    c.send(wire::DamageRect{1, 0, 4, 256, 8});
    c.send(wire::Commit{1, 42});
    ASSERT_TRUE(test::wait_for([&] { return pixel(0, 4) == 0x00abcdef; }));
    EXPECT_EQ(pixel(255, 11), 0x00abcdefu);
    EXPECT_EQ(pixel(0, 3), 0u) << "outside the lease";
    EXPECT_EQ(pixel(0, 12), 0u) << "outside the lease";
    loop_.run_on_loop([&] { server_->on_presented(kOutput, 9, 123ms); });
    const auto presented = c.expect<wire::Presented>();
    EXPECT_EQ(presented.serial, 42u);
    EXPECT_EQ(presented.sequence, 9u);
    EXPECT_EQ(c.expect<wire::Frame>().serial, 42u);
    ::munmap(pixels, 8192);
}

TEST_F(ServerTest, RevokedClientGetsSigbusAndTheEvent)
{
    TestClient c = greeted();
    c.send(wire::CreateSurface{1});
    (void)c.expect<wire::Configure>();
    c.send(wire::LeaseBuffer{1, 7, 0, 0});  // the whole frame
    UniqueFd lease_fd;
    ASSERT_TRUE(c.next(&lease_fd).has_value());
    loop_.run_on_loop([&] { server_->revoke_all(wire::RevokeReason::output_gone); });
    const auto revoked = c.expect<wire::Revoked>();
    EXPECT_EQ(revoked.lease, 7u);
    EXPECT_EQ(revoked.reason, uint32_t(wire::RevokeReason::output_gone));
    EXPECT_EXIT(
        {
            auto* p = static_cast<volatile uint32_t*>(
                ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, lease_fd.get(), 0));
            if (p != MAP_FAILED)
                p[0] = 1;
            ::_exit(0);
        },
        testing::KilledBySignal(SIGBUS), "");
}

TEST_F(ServerTest, LeasesExpire)
{
    loop_.run_on_loop([&] { server_->set_lease_lifetime(50ms); });
    TestClient c = greeted();
    c.send(wire::CreateSurface{1});
    (void)c.expect<wire::Configure>();
    c.send(wire::LeaseBuffer{1, 7, 0, 4096});
    UniqueFd lease_fd;
    ASSERT_TRUE(c.next(&lease_fd).has_value());
    const auto revoked = c.expect<wire::Revoked>();
    EXPECT_EQ(revoked.lease, 7u);
    EXPECT_EQ(revoked.reason, uint32_t(wire::RevokeReason::expired));
    // The id is free again, and a new lease of it is a new lease.
    c.send(wire::LeaseBuffer{1, 7, 0, 4096});
    UniqueFd again;
    auto leased = c.next(&again);
    ASSERT_TRUE(leased && std::holds_alternative<wire::Leased>(*leased));
}

TEST_F(ServerTest, HostileMessagesEndOnlyThatClient)
{
    TestClient bystander = greeted();
    UniqueFd not_a_fence(::eventfd(0, EFD_CLOEXEC));
    const size_t fds_before = open_fds();
    struct Case {
        const char* what;
        std::function<void(TestClient&)> send;
    };
    std::mt19937 rng(7);
    const std::vector<Case> cases = {
        {"truncated", [](TestClient& c) { c.send_raw("abc", 3); }},
        {"oversized", [](TestClient& c) { std::vector<char> big(4096, 'x'); c.send_raw(big.data(), big.size()); }},
        {"garbage", [&](TestClient& c) {
             uint32_t junk[6];
             for (auto& j : junk) j = rng();
             c.send_raw(junk, sizeof junk);
         }},
        {"lying size", [](TestClient& c) { wire::Header h{1, 200}; c.send_raw(&h, sizeof h); }},
        {"an fd with hello", [&](TestClient& c) { c.send(wire::Hello{1}, not_a_fence.get()); }},
        {"request before hello", [](TestClient& c) { c.send(wire::CreateSurface{1}); }},
        {"wrong version", [](TestClient& c) { c.send(wire::Hello{99}); }},
        {"unknown surface", [](TestClient& c) {
             c.send(wire::Hello{1});
             (void)c.next();
             c.send(wire::Commit{5, 1});
         }},
        {"a fence that is no sync_file", [&](TestClient& c) {
             c.send(wire::Hello{1});
             (void)c.next();
             c.send(wire::CreateSurface{1});
             (void)c.next();
             c.send(wire::AttachFence{1}, not_a_fence.get());
         }},
        {"a fence request without its fd", [](TestClient& c) {
             c.send(wire::Hello{1});
             (void)c.next();
             c.send(wire::CreateSurface{1});
             (void)c.next();
             c.send(wire::AttachFence{1});
         }},
        {"a lease that is not whole rows", [](TestClient& c) {
             c.send(wire::Hello{1});
             (void)c.next();
             c.send(wire::CreateSurface{1});
             (void)c.next();
             c.send(wire::LeaseBuffer{1, 1, 4096 * 3, 4096 * 100});
         }},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.what);
        TestClient hostile = connect();
        k.send(hostile);
        const std::string error = hostile.expect_error_and_disconnect();
        EXPECT_FALSE(error.empty()) << k.what;
    }
    ASSERT_TRUE(test::wait_for([&] { return clients() == 1; }));
    // The bystander still works.
    bystander.send(wire::CreateSurface{3});
    EXPECT_EQ(bystander.expect<wire::Configure>().surface, 3u);
    EXPECT_EQ(open_fds(), fds_before);
}

TEST_F(ServerTest, AClientThatNeverReadsIsDroppedWithABoundedQueue)
{
    TestClient lazy = greeted();
    lazy.send(wire::CreateSurface{1});
    // It never reads again; every commit + presentation queues two events for it.
    for (int i = 0; i < 20000 && clients() == 1; ++i) {
        lazy.send(wire::Commit{1, uint32_t(i)});
        loop_.run_on_loop([&] { server_->on_presented(kOutput, uint64_t(i), 1ms); });
    }
    EXPECT_TRUE(test::wait_for([&] { return clients() == 0; })) << "a client that never reads was kept";
}

TEST_F(ServerTest, AThousandConnectDisconnectCyclesLeakNothing)
{
    const size_t fds_before = open_fds();
    for (int i = 0; i < 1000; ++i) {
        TestClient c = connect();
        if (i % 2) {
            c.send(wire::Hello{1});
            c.send(wire::CreateSurface{1});
            c.send(wire::LeaseBuffer{1, 1, 0, 4096});
        }
    }
    ASSERT_TRUE(test::wait_for([&] { return clients() == 0; }));
    EXPECT_EQ(open_fds(), fds_before);
}

TEST_F(ServerTest, AClientKilledMidCommitAndOneTruncatingItsBuffer)
{
    const size_t fds_before = open_fds();
    {
        TestClient killed = greeted();
        killed.send(wire::CreateSurface{1});
        (void)killed.expect<wire::Configure>();
        killed.send(wire::LeaseBuffer{1, 1, 0, 0});
        UniqueFd lease_fd;
        ASSERT_TRUE(killed.next(&lease_fd).has_value());
        const pid_t child = ::fork();
        if (child == 0) {
            auto* p = static_cast<uint32_t*>(::mmap(nullptr, 65536, PROT_WRITE, MAP_SHARED, lease_fd.get(), 0));
            for (uint32_t n = 0;; ++n) {  // draws and commits until killed
                p[n % 16384] = n;
                const auto commit = wire::encode(wire::Request(wire::Commit{1, n}));
                (void)::send(killed.fd(), commit.data(), commit.size(), MSG_NOSIGNAL);
            }
        }
        // Killed once its commits are being composed: pixel 1 holds a number it drew.
        const bool composed = test::wait_for([&] { return pixel(1, 0) != 0; });
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        ASSERT_TRUE(composed) << "no commit of the child was composed before it was killed";
    }
    {
        TestClient truncating = greeted();
        truncating.send(wire::CreateSurface{1});
        (void)truncating.expect<wire::Configure>();
        truncating.send(wire::LeaseBuffer{1, 1, 0, 0});
        UniqueFd lease_fd;
        ASSERT_TRUE(truncating.next(&lease_fd).has_value());
        ASSERT_EQ(::ftruncate(lease_fd.get(), 0), 0);  // the compositor will read beyond its end
        truncating.send(wire::Commit{1, 1});
        EXPECT_NE(truncating.expect_error_and_disconnect().find("truncated"), std::string::npos);
    }
    ASSERT_TRUE(test::wait_for([&] { return clients() == 0; }));
    EXPECT_EQ(open_fds(), fds_before);
}
