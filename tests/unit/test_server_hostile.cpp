// What hostile clients found (docs/RELIABILITY.md), one test each: a flood
// of damage over sixteen full-frame leases holds no one else, an event is
// never sent without its fd, track_lease reaches only the process that
// connected and only where it mapped the lease, a 0-byte packet is a
// truncated message, and there is a bound on clients and on shadows.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <list>

#include "defio/trackers/userfaultfd.hpp"
#include "defio/uapi.hpp"
#include "tests/unit/server_fixture.hpp"

using namespace udefio;
using namespace std::chrono_literals;
using test::open_fds;
using test::ServerTest;
using test::SteppedServerTest;
using test::TestClient;

namespace {

// A shared mapping of a lease's memfd, unmapped when it goes.
struct LeaseMapping {
    LeaseMapping(int fd, size_t bytes)
        : size(bytes), pixels(static_cast<uint32_t*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)))
    {
        EXPECT_NE(pixels, MAP_FAILED) << std::strerror(errno);
    }
    ~LeaseMapping() { ::munmap(pixels, size); }
    size_t size;
    uint32_t* pixels;
};

// Surface 1 and lease 1 of its whole output: the lease's memfd (none if no event came).
UniqueFd lease_whole_output(TestClient& c)
{
    c.send(wire::CreateSurface{1});
    (void)c.expect<wire::Configure>();
    c.send(wire::LeaseBuffer{1, 1, 0, 0});
    UniqueFd fd;
    EXPECT_TRUE(c.next(&fd).has_value());
    return fd;
}

}  // namespace

// Finding 1. wlroots collapses past 20 rectangles; so does a commit here.
TEST_F(ServerTest, ManyDamageRectanglesAreCopiedAsTheirExtents)
{
    TestClient c = greeted();
    UniqueFd fd = lease_whole_output(c);
    ASSERT_TRUE(fd);
    LeaseMapping lease(fd.get(), 256 * 64 * 4);
    lease.pixels[10 * 256 + 10] = 0x11;
    lease.pixels[50 * 256 + 200] = 0x11;
    lease.pixels[30 * 256 + 100] = 0x22;  // drawn, never damaged, inside the others' extents
    c.send(wire::DamageRect{1, 10, 10, 1, 1});
    c.send(wire::DamageRect{1, 200, 50, 1, 1});
    for (int i = 0; i < 23; ++i)
        c.send(wire::DamageRect{1, 20 + 2 * i, 5, 1, 1});
    c.send(wire::Commit{1, 1});
    ASSERT_TRUE(test::wait_for([&] { return pixel(200, 50) == 0x11; }));
    EXPECT_EQ(pixel(10, 10), 0x11u);
    EXPECT_EQ(pixel(100, 30), 0x22u) << "25 rectangles were not copied as their extents";
}

// Finding 1, the repro: 16 full-frame leases, 8000 1x1 damage rects and one
// commit. The commit is copied over many wakeups, and between two of them
// another client's hello is answered and the output presents.
TEST_F(SteppedServerTest, AFloodOfDamageOverSixteenFullFrameLeasesHoldsNoOneElse)
{
    constexpr uint32_t kBig = 2, kWidth = 1280, kHeight = 720, kStride = kWidth * 4;
    LeaseTarget& big = add_output(kBig, "big", kWidth, kHeight);
    auto frame = [&](uint32_t x, uint32_t y) { return big.state().buffer().row(y)[x]; };

    // A bystander on the big output whose commit waits for the output's next presentation.
    TestClient bystander = greeted(2);
    bystander.send(wire::CreateSurfaceOn{1, kBig});
    (void)await<wire::SurfaceOutput>(bystander);
    (void)await<wire::Configure>(bystander);
    bystander.send(wire::LeaseBuffer{1, 1, 0, 5 * 4096});  // 4 rows
    UniqueFd small_fd;
    (void)await<wire::Leased>(bystander, &small_fd);
    {
        LeaseMapping small(small_fd.get(), 5 * 4096);
        small.pixels[0] = 0xb0b;
    }
    bystander.send(wire::DamageRect{1, 0, 0, 1, 1});
    bystander.send(wire::Commit{1, 7});
    for (int i = 0; i < 100 && frame(0, 0) != 0xb0b; ++i)
        step();
    ASSERT_EQ(frame(0, 0), 0xb0bu);

    TestClient attacker = greeted(2);
    attacker.send(wire::CreateSurfaceOn{1, kBig});
    (void)await<wire::SurfaceOutput>(attacker);
    (void)await<wire::Configure>(attacker);
    std::vector<UniqueFd> leases;
    for (uint32_t i = 1; i <= 16; ++i) {
        attacker.send(wire::LeaseBuffer{1, i, 0, 0});
        UniqueFd fd;
        ASSERT_EQ(await<wire::Leased>(attacker, &fd).length, uint64_t(kStride) * kHeight);
        LeaseMapping lease(fd.get(), size_t(kStride) * kHeight);
        std::fill(lease.pixels, lease.pixels + size_t(kWidth) * kHeight, i);
        leases.push_back(std::move(fd));
    }
    send(attacker, wire::DamageRect{1, 0, 0, 1, 1});
    send(attacker, wire::DamageRect{1, kWidth - 1, kHeight - 1, 1, 1});
    for (int i = 0; i < 7998; ++i)
        send(attacker, wire::DamageRect{1, int32_t((i * 37) % kWidth), int32_t((i * 53) % kHeight), 1, 1});
    send(attacker, wire::Commit{1, 1});

    // The output's vblank: it presents at every wakeup.
    uint64_t sequence = 0;
    auto vblank = loop_->make_timer([&] { server_->on_presented(kBig, ++sequence, 1ms); }).value();
    int steps = 0;
    while (frame(0, 0) == 0xb0b && steps < 20000) {
        step();
        ++steps;
    }
    ASSERT_NE(frame(0, 0), 0xb0bu) << "the attacker's commit was never copied";
    EXPECT_NE(frame(kWidth - 1, kHeight - 1), 16u) << "the whole commit was copied in one wakeup";

    TestClient late = connect();
    late.send(wire::Hello{1});
    vblank.arm(0ns);
    step();
    EXPECT_TRUE(late.has_event()) << "a hello waited for another client's commit";
    EXPECT_TRUE(bystander.has_event()) << "the output's presentation waited for another client's commit";
    EXPECT_NE(frame(kWidth - 1, kHeight - 1), 16u);
    auto presented = bystander.next();
    ASSERT_TRUE(presented && std::holds_alternative<wire::Presented>(*presented));
    EXPECT_EQ(std::get<wire::Presented>(*presented).serial, 7u);

    // The rest comes over many wakeups, a budget each.
    int copying = 1;
    while (frame(kWidth - 1, kHeight - 1) != 16 && copying < 1000) {
        step();
        ++copying;
    }
    EXPECT_EQ(frame(kWidth - 1, kHeight - 1), 16u);
    EXPECT_EQ(frame(kWidth / 2, kHeight / 2), 16u);
    EXPECT_GE(copying, int(16 * size_t(kStride) * kHeight / Server::kCopyBudget))
        << "more than a budget was copied in a wakeup";
    vblank.arm(0ns);
    auto done = await<wire::Presented>(attacker);
    EXPECT_EQ(done.serial, 1u);
}

// Finding 2: at the fd limit the server cannot duplicate a lease's memfd.
TEST_F(ServerTest, ALeaseWhoseFdCannotBeDuplicatedIsAnErrorNotALeasedWithoutItsFd)
{
    const size_t fds_before = open_fds();
    {
        TestClient c = greeted();
        c.send(wire::CreateSurface{1});
        (void)c.expect<wire::Configure>();
        rlimit normal{};
        ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &normal), 0);
        int lowest = 0;
        while (::fcntl(lowest, F_GETFD) != -1)
            ++lowest;
        // Room for the lease's memfd, none for its duplicate.
        rlimit tight = normal;
        tight.rlim_cur = rlim_t(lowest + 1);
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
        c.send(wire::LeaseBuffer{1, 1, 0, 0});
        auto event = c.next();
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &normal), 0);
        ASSERT_TRUE(event && std::holds_alternative<wire::ErrorEvent>(*event)) << "no error";
        const auto& error = std::get<wire::ErrorEvent>(*event);
        EXPECT_EQ(error.code, uint32_t(wire::ErrorCode::no_memory));
        EXPECT_NE(std::string(error.message).find("lease 1 not made"), std::string::npos) << error.message;
        EXPECT_FALSE(c.next().has_value());
    }
    ASSERT_TRUE(test::wait_for([&] { return clients() == 0; }));
    EXPECT_EQ(open_fds(), fds_before);
}

namespace {

// A child that connects: it makes a socketpair (so it is both ends' peer),
// hands both ends to the test and waits to be told to exit.
struct ConnectingChild {
    pid_t pid = -1;
    UniqueFd server_end, client_end;
    UniqueFd go;  // one byte: exit now

    static ConnectingChild start(const std::function<void()>& before_exit = {})
    {
        ConnectingChild child;
        int channel[2], go[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel), 0);
        EXPECT_EQ(::pipe2(go, O_CLOEXEC), 0);
        child.pid = ::fork();
        if (child.pid == 0) {
            int sv[2];
            if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
                ::_exit(2);
            const std::byte one{1};
            (void)send_with_fd(channel[1], std::span(&one, 1), sv[0]);
            (void)send_with_fd(channel[1], std::span(&one, 1), sv[1]);
            if (before_exit)
                before_exit();
            char byte;
            (void)::read(go[0], &byte, 1);
            ::_exit(0);
        }
        ::close(channel[1]);
        ::close(go[0]);
        child.go.reset(go[1]);
        std::byte data[1];
        for (UniqueFd* end : {&child.server_end, &child.client_end}) {
            ReceivedPacket p = receive_with_fds(channel[0], data, 1);
            EXPECT_EQ(p.fds.size(), 1u);
            if (!p.fds.empty())
                *end = std::move(p.fds.front());
        }
        ::close(channel[0]);
        return child;
    }
    int finish()
    {
        const char byte = 0;
        (void)::write(go.get(), &byte, 1);
        int status = 0;
        ::waitpid(pid, &status, 0);
        return status;
    }
};

// A process with a write-protect-async region at `region` that it has
// written to (the marks PAGEMAP_SCAN write-protect matching would reset).
// It tells `ready`, waits for a byte on `check`, and exits 0 if its write
// is still marked, 1 if someone reset it, 77 if it could not register.
[[noreturn]] void victim(std::span<std::byte> region, int ready, int check)
{
    auto uffd = Userfaultfd::open_for_write_protect(region, UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED);
    if (!uffd)
        ::_exit(77);
    region[0] = std::byte{1};
    (void)::write(ready, "r", 1);
    char byte;
    (void)::read(check, &byte, 1);
    const int pagemap = ::open("/proc/self/pagemap", O_RDONLY);
    page_region regions[4];
    pm_scan_arg arg{};
    arg.size = sizeof arg;
    arg.start = reinterpret_cast<uintptr_t>(region.data());
    arg.end = arg.start + page_size();
    arg.vec = reinterpret_cast<uintptr_t>(regions);
    arg.vec_len = 4;
    arg.category_mask = PAGE_IS_WRITTEN;
    arg.return_mask = PAGE_IS_WRITTEN;
    ::_exit(::ioctl(pagemap, PAGEMAP_SCAN, &arg) == 1 ? 0 : 1);
}

struct CloneArgs {  // struct clone_args, CLONE_ARGS_SIZE_VER2
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

}  // namespace

// Finding 3: the process that connected hands its socket on and exits; its
// pid goes to another process with a write-protect-async region, and the
// socket's holder asks udefio to track a lease there.
TEST_F(ServerTest, TrackLeaseReachesOnlyTheProcessThatConnectedNotOneThatReusedItsPid)
{
    if (const std::string why = test::why_tracker_cannot_run(TrackerKind::uffd_async); !why.empty())
        GTEST_SKIP() << why;
    ConnectingChild connecting = ConnectingChild::start();
    ASSERT_GT(connecting.pid, 0);
    loop_.run_on_loop([&] { server_->add_client(std::move(connecting.server_end)); });
    TestClient c(connecting.client_end.release());
    c.send(wire::Hello{1});
    (void)c.expect<wire::Welcome>();
    const pid_t reused = connecting.pid;
    ASSERT_EQ(connecting.finish(), 0);

    // Another process under that pid (clone3 with set_tid: root in this pid namespace).
    const size_t size = 256 * 64 * 4;
    void* region = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(region, MAP_FAILED);
    int ready[2], check[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(check, O_CLOEXEC), 0);
    pid_t want = reused;
    CloneArgs args{};
    args.exit_signal = SIGCHLD;
    args.set_tid = reinterpret_cast<uintptr_t>(&want);
    args.set_tid_size = 1;
    const pid_t other = pid_t(::syscall(SYS_clone3, &args, sizeof args));
    if (other == 0)
        victim(std::span(static_cast<std::byte*>(region), size), ready[1], check[0]);
    if (other < 0)
        GTEST_SKIP() << "cannot start a process with pid " << reused << ": " << std::strerror(errno);
    char byte;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);

    UniqueFd fd = lease_whole_output(c);
    ASSERT_TRUE(fd);
    c.send(wire::TrackLease{1, 0, reinterpret_cast<uintptr_t>(region)});
    c.send(wire::Commit{1, 1});  // a scan of that pagemap would reset the other process's marks
    c.send(wire::CreateSurface{2});
    EXPECT_EQ(c.expect<wire::Configure>().surface, 2u) << "the holder of the socket did nothing wrong";
    size_t tracked = 1;
    loop_.run_on_loop([&] { tracked = server_->pagemap_leases(); });
    EXPECT_EQ(tracked, 0u) << "udefio tracks a lease in the pagemap of pid " << reused << ", another process";
    (void)::write(check[1], "c", 1);
    int status = 0;
    ::waitpid(other, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the other process's written marks were reset";
    for (int end : {ready[0], ready[1], check[0], check[1]})
        ::close(end);
    ::munmap(region, size);
}

// Finding 3: the process that connected runs as another user now (as after a
// set-uid program): its pagemap is not udefio's to scan.
TEST_F(ServerTest, TrackLeaseOfAProcessThatNoLongerRunsAsItsUserFallsBackToShadowCompare)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "changing a process's uid needs root";
    if (const std::string why = test::why_tracker_cannot_run(TrackerKind::uffd_async); !why.empty())
        GTEST_SKIP() << why;
    const size_t size = 256 * 64 * 4;
    void* region = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(region, MAP_FAILED);
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    ConnectingChild child = ConnectingChild::start([&] {
        // Registered (and kept until it exits), written, then it becomes another user.
        static std::optional<Userfaultfd> kept;
        auto uffd = Userfaultfd::open_for_write_protect(std::span(static_cast<std::byte*>(region), size),
                                                        UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED);
        if (!uffd)
            ::_exit(77);
        kept.emplace(std::move(uffd).value());
        static_cast<std::byte*>(region)[0] = std::byte{1};
        if (::setresuid(65534, 65534, 65534) != 0)
            ::_exit(77);
        (void)::write(ready[1], "r", 1);
    });
    ASSERT_GT(child.pid, 0);
    char byte;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    loop_.run_on_loop([&] { server_->add_client(std::move(child.server_end)); });
    TestClient c(child.client_end.release());
    c.send(wire::Hello{1});
    (void)c.expect<wire::Welcome>();
    UniqueFd fd = lease_whole_output(c);
    ASSERT_TRUE(fd);
    c.send(wire::TrackLease{1, 0, reinterpret_cast<uintptr_t>(region)});
    c.send(wire::CreateSurface{2});
    EXPECT_EQ(c.expect<wire::Configure>().surface, 2u);
    size_t tracked = 1;
    loop_.run_on_loop([&] { tracked = server_->pagemap_leases(); });
    EXPECT_EQ(tracked, 0u) << "udefio, as root, tracks a lease in the pagemap of a uid-65534 process";
    child.finish();
    ::close(ready[0]);
    ::close(ready[1]);
    ::munmap(region, size);
}

// Finding 3: an address where the client did not map the lease is a protocol error.
TEST_F(ServerTest, TrackLeaseOfAnAddressThatIsNotTheLeasesMappingIsAnError)
{
    const size_t size = 256 * 64 * 4;
    UniqueFd other(::memfd_create("not-the-lease", MFD_CLOEXEC));
    ASSERT_EQ(::ftruncate(other.get(), off_t(size)), 0);
    LeaseMapping elsewhere(other.get(), size);
    struct Case {
        const char* what;
        uint64_t address;
        const char* says;
    };
    const Case cases[] = {
        {"unmapped", page_size(), "not mapped"},  // below vm.mmap_min_addr: never mapped
        {"a kernel address", 0xffff888000000000ull, "not mapped"},
        {"another memfd's mapping", reinterpret_cast<uintptr_t>(elsewhere.pixels), "not a shared mapping of this lease"},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.what);
        TestClient c = greeted();
        UniqueFd fd = lease_whole_output(c);
        ASSERT_TRUE(fd);
        c.send(wire::TrackLease{1, 0, k.address});
        EXPECT_NE(c.expect_error_and_disconnect().find(k.says), std::string::npos);
    }
    // Where it is mapped, and registered, it is tracked.
    if (const std::string why = test::why_tracker_cannot_run(TrackerKind::uffd_async); !why.empty())
        GTEST_SKIP() << why;
    TestClient c = greeted();
    UniqueFd fd = lease_whole_output(c);
    ASSERT_TRUE(fd);
    LeaseMapping lease(fd.get(), size);
    auto uffd = Userfaultfd::open_for_write_protect(std::span(reinterpret_cast<std::byte*>(lease.pixels), size),
                                                    UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED);
    ASSERT_TRUE(uffd.ok()) << uffd.error().message();
    c.send(wire::TrackLease{1, 0, reinterpret_cast<uintptr_t>(lease.pixels)});
    c.send(wire::CreateSurface{2});
    EXPECT_EQ(c.expect<wire::Configure>().surface, 2u);
    size_t tracked = 0;
    loop_.run_on_loop([&] { tracked = server_->pagemap_leases(); });
    EXPECT_EQ(tracked, 1u);
}

// Finding 5: SOCK_SEQPACKET reads a 0-byte packet and the end of the
// connection alike; the first is a truncated message.
TEST_F(ServerTest, AZeroBytePacketIsATruncatedMessageNotADisconnect)
{
    TestClient c = greeted();
    c.send_raw("", 0);
    EXPECT_NE(c.expect_error_and_disconnect().find("truncated"), std::string::npos);
}

// Finding 6: a bound on clients...
TEST_F(ServerTest, AtMostMaxClientsAreServedAndOneMoreIsToldWhy)
{
    const size_t most = ServerLimits{}.max_clients;
    std::list<TestClient> served;
    for (size_t i = 0; i < most; ++i)
        served.push_back(greeted());
    TestClient refused = connect();
    EXPECT_NE(refused.expect_error_and_disconnect().find("at most " + std::to_string(most) + " clients"),
              std::string::npos);
    served.pop_front();
    ASSERT_TRUE(test::wait_for([&] { return clients() == most - 1; }));
    TestClient welcome = greeted();  // one left: there is room again
}

// ...and on the memory that shadows take, for all clients together.
TEST_F(ServerTest, ShadowsHaveABudgetForAllClients)
{
    const size_t lease = 256 * 64 * 4;
    loop_.run_on_loop([&] { server_->set_limits({64, 2 * lease}); });
    {
        TestClient c = greeted();
        c.send(wire::CreateSurface{1});
        (void)c.expect<wire::Configure>();
        std::vector<UniqueFd> fds(3);
        for (uint32_t i = 0; i < 3; ++i) {
            c.send(wire::LeaseBuffer{1, i + 1, 0, 0});
            ASSERT_TRUE(c.next(&fds[i]).has_value());
        }
        c.send(wire::Commit{1, 1});  // no damage: three shadows, room for two
        const std::string error = c.expect_error_and_disconnect();
        EXPECT_NE(error.find("no room for its shadow"), std::string::npos) << error;
    }
    ASSERT_TRUE(test::wait_for([&] { return clients() == 0; }));
    // The client went, and its shadows with it.
    TestClient c = greeted();
    UniqueFd fd = lease_whole_output(c);
    ASSERT_TRUE(fd);
    LeaseMapping mapping(fd.get(), lease);
    mapping.pixels[5] = 0x5;
    c.send(wire::Commit{1, 1});
    EXPECT_TRUE(test::wait_for([&] { return pixel(5, 0) == 0x5; }));
}
