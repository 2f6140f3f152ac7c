// The compositor's socket: one owner at a time, claimed before it serves,
// stale sockets replaced and nothing else, nothing left behind, the mode and
// group asked for, clients accepted on the loop, and refused rather than
// spun on at the fd limit.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "compositor/socket_listener.hpp"
#include "tests/loop_thread.hpp"
#include "tests/test_support.hpp"

using namespace udefio;

namespace {

// A scratch directory, removed (empty, as the listener leaves it) at the end.
struct TempDir {
    TempDir()
    {
        char name[] = "/tmp/udefio-sock-XXXXXX";
        EXPECT_NE(::mkdtemp(name), nullptr);
        path = name;
    }
    ~TempDir() { EXPECT_EQ(::rmdir(path.c_str()), 0) << path << " is not empty"; }
    std::string path;
};

sockaddr_un address_of(const std::string& path)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    return addr;
}

// What a udefio that died leaves: its socket file, bound, and nobody holding the lock.
bool leave_a_dead_socket(const std::string& path)
{
    UniqueFd dead(::socket(AF_UNIX, SOCK_SEQPACKET, 0));
    const sockaddr_un addr = address_of(path);
    return ::bind(dead.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

UniqueFd connect_to(const std::string& path)
{
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    const sockaddr_un addr = address_of(path);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return UniqueFd();
    return fd;
}

bool exists(const std::string& path)
{
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string contents(const std::string& path)
{
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct stat stat_of(const std::string& path)
{
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st;
}

}  // namespace

TEST(SocketListener, AcceptsClientsOnTheLoop)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    int accepted = 0;
    auto listener = SocketListener::listen(*loop, path, [&](UniqueFd client) {
        EXPECT_TRUE(client.valid());
        if (++accepted == 2)
            loop->stop();
    });
    ASSERT_TRUE(listener.ok()) << listener.error().message();
    UniqueFd a = connect_to(path), b = connect_to(path);
    ASSERT_TRUE(a.valid() && b.valid());
    loop->run();
    EXPECT_EQ(accepted, 2);
}

TEST(SocketListener, RefusesASocketAnotherInstanceOwns)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    auto first = SocketListener::listen(*loop, path, [](UniqueFd) {});
    ASSERT_TRUE(first.ok());
    auto second = SocketListener::listen(*loop, path, [](UniqueFd) {});
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message().find("another running udefio"), std::string::npos)
        << second.error().message();
    EXPECT_TRUE(connect_to(path).valid()) << "the refused second instance must not break the first";
}

TEST(SocketListener, ReplacesAStaleSocketAndCleansUp)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    ASSERT_TRUE(leave_a_dead_socket(path));
    ASSERT_TRUE(exists(path));
    {
        auto listener = SocketListener::listen(*loop, path, [](UniqueFd) {});
        ASSERT_TRUE(listener.ok()) << listener.error().message();
        EXPECT_TRUE(connect_to(path).valid());
    }
    EXPECT_FALSE(exists(path));
    EXPECT_FALSE(exists(path + ".lock"));
}

// A client of a udefio that restarts (the old one died; its socket stays)
// finds at PATH the dead socket or the new one listening, never a socket
// that is bound and not yet listening (ECONNREFUSED), nor nothing (ENOENT):
// the path is never created by bind() nor removed, only renamed onto.
TEST(SocketListener, ThePathOnlyEverNamesAListeningSocket)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    ASSERT_TRUE(leave_a_dead_socket(path));
    UniqueFd notify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    ASSERT_TRUE(notify.valid());
    ASSERT_GE(::inotify_add_watch(notify.get(), dir.path.c_str(), IN_CREATE | IN_DELETE | IN_MOVED_TO), 0);
    {
        auto listener = SocketListener::claim(path);
        ASSERT_TRUE(listener.ok()) << listener.error().message();
        // Claimed, not yet serving: a client waits in the backlog, it is not refused.
        EXPECT_TRUE(connect_to(path).valid()) << std::strerror(errno);
        std::vector<std::string> events;
        alignas(inotify_event) char buffer[4096];
        for (ssize_t n; (n = ::read(notify.get(), buffer, sizeof buffer)) > 0;) {
            for (char* at = buffer; at < buffer + n;) {
                const auto* event = reinterpret_cast<const inotify_event*>(at);
                const std::string name = event->len ? event->name : "";
                if (name == "udefio-0")
                    events.push_back(event->mask & IN_CREATE   ? "created"
                                     : event->mask & IN_DELETE ? "deleted"
                                                               : "renamed onto");
                at += sizeof(inotify_event) + event->len;
            }
        }
        EXPECT_EQ(events, std::vector<std::string>{"renamed onto"});
        EXPECT_FALSE(exists(path + ".new"));
    }
    EXPECT_FALSE(exists(path));
    EXPECT_FALSE(exists(path + ".lock"));
}

TEST(SocketListener, ClearErrorsForBadPlaces)
{
    auto loop = EventLoop::create().value();
    auto too_long = SocketListener::listen(*loop, "/tmp/" + std::string(200, 'x'), [](UniqueFd) {});
    ASSERT_FALSE(too_long.ok());
    EXPECT_NE(too_long.error().message().find("longer than"), std::string::npos);
    auto missing_dir = SocketListener::listen(*loop, "/nonexistent/dir/udefio-0", [](UniqueFd) {});
    ASSERT_FALSE(missing_dir.ok());
    EXPECT_NE(missing_dir.error().message().find("/nonexistent/dir/udefio-0.lock"), std::string::npos);
    const char* saved = std::getenv("XDG_RUNTIME_DIR");
    const std::string keep = saved ? saved : "";
    ::unsetenv("XDG_RUNTIME_DIR");
    EXPECT_FALSE(SocketListener::default_path().ok());
    ::setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
    EXPECT_EQ(SocketListener::default_path().value(), "/run/user/7/udefio-0");
    if (saved)
        ::setenv("XDG_RUNTIME_DIR", keep.c_str(), 1);
    else
        ::unsetenv("XDG_RUNTIME_DIR");
}

TEST(SocketListener, ReplacesNothingButASocket)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string file = dir.path + "/precious.txt";
    std::ofstream(file) << "keep me";
    const std::string subdir = dir.path + "/a-directory";
    ASSERT_EQ(::mkdir(subdir.c_str(), 0755), 0);
    const std::string link = dir.path + "/a-link";
    ASSERT_EQ(::symlink(file.c_str(), link.c_str()), 0);
    const std::string fifo = dir.path + "/a-fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const auto& [path, kind] : {std::pair{file, "regular file"}, std::pair{subdir, "directory"},
                                     std::pair{link, "symbolic link"}, std::pair{fifo, "FIFO"}}) {
        auto listener = SocketListener::listen(*loop, path, [](UniqueFd) {});
        ASSERT_FALSE(listener.ok()) << path;
        EXPECT_NE(listener.error().message().find(kind), std::string::npos) << listener.error().message();
        EXPECT_NE(listener.error().message().find("not a socket"), std::string::npos) << listener.error().message();
        EXPECT_TRUE(exists(path)) << path << " was removed";
        EXPECT_FALSE(exists(path + ".lock")) << "a lock file was left next to " << path;
    }
    EXPECT_EQ(contents(file), "keep me");
    EXPECT_TRUE(S_ISDIR(stat_of(subdir).st_mode));
    for (const std::string& path : {file, link, fifo})
        EXPECT_EQ(::unlink(path.c_str()), 0);
    EXPECT_EQ(::rmdir(subdir.c_str()), 0);
}

TEST(SocketListener, FollowsNoLinkAtTheLockFile)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    const std::string elsewhere = dir.path + "/elsewhere";
    ASSERT_EQ(::symlink(elsewhere.c_str(), (path + ".lock").c_str()), 0);
    auto listener = SocketListener::listen(*loop, path, [](UniqueFd) {});
    EXPECT_FALSE(listener.ok());
    EXPECT_FALSE(exists(elsewhere)) << "the link was followed";
    EXPECT_FALSE(exists(path));
    EXPECT_EQ(::unlink((path + ".lock").c_str()), 0);
}

// The session claims the socket before it brings up outputs, and serves once
// its server is there: a second udefio fails first; early clients wait.
TEST(SocketListener, ClaimedBeforeItServes)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    auto claimed = SocketListener::claim(path);
    ASSERT_TRUE(claimed.ok()) << claimed.error().message();
    auto second = SocketListener::claim(path);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message().find("another running udefio"), std::string::npos);
    UniqueFd early = connect_to(path);
    ASSERT_TRUE(early.valid()) << "a client may connect before the server is up";
    int accepted = 0;
    ASSERT_TRUE((*claimed)->serve(*loop, [&](UniqueFd) {
        ++accepted;
        loop->stop();
    }).ok());
    loop->run();
    EXPECT_EQ(accepted, 1);
}

TEST(SocketListener, TheModeAndGroupAskedFor)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    const mode_t saved_umask = ::umask(022);  // would take group write away from 0770
    const auto mode_of = [&](const SocketListener::Options& options) {
        auto listener = SocketListener::claim(path, options);
        EXPECT_TRUE(listener.ok()) << listener.error().message();
        struct stat st {};
        if (listener)
            st = stat_of(path);
        return st;
    };
    EXPECT_EQ(mode_of({}).st_mode & 07777, 0700u) << "default: the owner only";
    const struct stat grouped = mode_of(SocketListener::Options::from_flags("12345", "").value());
    EXPECT_EQ(grouped.st_mode & 07777, 0770u) << "with a group: the group may connect too";
    if (::geteuid() == 0) {
        EXPECT_EQ(grouped.st_gid, 12345u);
    }
    EXPECT_EQ(mode_of(SocketListener::Options::from_flags("", "0666").value()).st_mode & 07777, 0666u);
    ::umask(saved_umask);
    EXPECT_FALSE(exists(path));

    EXPECT_EQ(SocketListener::Options::from_flags("root", "").value().group, gid_t(0));
    EXPECT_EQ(SocketListener::Options::from_flags("", "660").value().effective_mode(), 0660u);
    for (const auto& [group, mode, needle] : {std::tuple{"no-such-group-udefio", "", "no such group"},
                                              std::tuple{"", "999", "--socket-mode 999"},
                                              std::tuple{"", "rwx", "--socket-mode rwx"},
                                              std::tuple{"", "1777", "at most 0777"}}) {
        auto parsed = SocketListener::Options::from_flags(group, mode);
        ASSERT_FALSE(parsed.ok()) << group << " " << mode;
        EXPECT_NE(parsed.error().message().find(needle), std::string::npos) << parsed.error().message();
    }
}

// With RLIMIT_NOFILE reached, a level-triggered listener that only logs the
// EMFILE is woken at once, again and again: 100 % CPU and a flood of log.
// Instead every client is answered (accepted, or closed at once) and the
// line is logged once. Clients stop being accepted kFdHeadroom fds before
// the limit (false); when the compositor itself took the last fds (true),
// the spare fd refuses them.
class AtTheFdLimit : public testing::TestWithParam<bool> {};

TEST_P(AtTheFdLimit, RefusesClientsInsteadOfSpinning)
{
    const bool table_full = GetParam();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    test::LoopThread thread;
    std::vector<UniqueFd> accepted;  // loop thread; kept open, so that we stay at the limit
    std::atomic<int> accepted_count{0};
    std::unique_ptr<SocketListener> listener;
    thread.run_on_loop([&] {
        auto made = SocketListener::listen(thread.loop(), path, [&](UniqueFd client) {
            accepted.push_back(std::move(client));
            ++accepted_count;
        });
        ASSERT_TRUE(made.ok()) << made.error().message();
        listener = std::move(made).value();
    });
    ASSERT_TRUE(listener);

    // The log goes into a pipe we read; the loop waits until every client
    // is queued and the limit is lowered.
    int log_pipe[2];
    ASSERT_EQ(::pipe2(log_pipe, O_CLOEXEC | O_NONBLOCK), 0);
    UniqueFd log_read(log_pipe[0]), log_write(log_pipe[1]), saved_stderr(::dup(2));
    std::promise<void> go;
    thread.loop().post([f = go.get_future().share()] { f.wait(); });
    constexpr int kClients = 80;
    std::vector<UniqueFd> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(connect_to(path));
        ASSERT_TRUE(clients.back().valid()) << "client " << i;
    }
    ::dup2(log_write.get(), 2);
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    const int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::close(lowest_free);
    rlimit low = saved;
    low.rlim_cur = rlim_t(lowest_free + SocketListener::kFdHeadroom + 4);  // room for at most 4 clients
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    std::vector<UniqueFd> filler;  // what the compositor's own work would hold
    while (table_full) {
        UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!fd)
            break;
        filler.push_back(std::move(fd));
    }
    go.set_value();

    std::string log;
    int answered = 0;
    const bool settled = test::wait_for(
        [&] {
            char chunk[4096];
            for (ssize_t n; (n = ::read(log_read.get(), chunk, sizeof chunk)) > 0;)
                log.append(chunk, size_t(n));
            if (log.size() > 100'000)
                return true;  // spinning
            int closed = 0;
            for (const UniqueFd& c : clients) {
                pollfd p{c.get(), POLLIN, 0};
                closed += ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLIN));
            }
            answered = closed + accepted_count;
            return answered == kClients;
        },
        std::chrono::milliseconds(30'000));
    // Still at the limit, the loop is idle, not spinning: it runs what is posted.
    std::promise<void> ran;
    thread.loop().post([&] { ran.set_value(); });
    const bool idle = ran.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    filler.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved);
    ::dup2(saved_stderr.get(), 2);
    ASSERT_TRUE(idle) << "the loop is busy at the fd limit";
    ASSERT_TRUE(settled) << answered << " of " << kClients << " clients answered";
    EXPECT_LT(log.size(), 100'000u) << "the loop spun, logging";
    if (table_full)
        EXPECT_EQ(accepted_count, 0);
    else
        EXPECT_TRUE(accepted_count >= 1 && accepted_count <= 4) << accepted_count << " accepted";
    size_t lines = 0;
    for (size_t at = 0; (at = log.find("limit of open files", at)) != std::string::npos; ++at)
        ++lines;
    EXPECT_EQ(lines, 1u) << log;
    uint64_t refused = 0;
    thread.run_on_loop([&] {
        refused = listener->refused();
        listener.reset();
        accepted.clear();
    });
    EXPECT_EQ(refused, uint64_t(kClients - accepted_count));
}

INSTANTIATE_TEST_SUITE_P(SocketListener, AtTheFdLimit, testing::Values(false, true),
                         [](const auto& param) { return param.param ? "TheCompositorTookTheLast" : "ClientsLeaveHeadroom"; });
