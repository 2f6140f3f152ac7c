// Programs udefio starts: fork + exec from a process with threads. A program
// that cannot start fails the spawn itself (no child left), the program gets
// exactly the fds it is given, default signal handling and a group of its
// own, and the in_child hook runs in it just before exec. The program and
// what it started end with its owner, even when the owner is SIGKILLed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "compositor/child_process.hpp"

using namespace udefio;

namespace {

bool no_child_left()
{
    return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

// `cat` between two pipes, known to be past its start-up (the dynamic loader
// opens files) once a line came back through it.
struct Cat {
    explicit Cat(EventLoop& loop, ChildSpec spec = {})
    {
        int in[2], out[2];
        EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
        EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
        UniqueFd in_read(in[0]), out_write(out[1]);
        to_cat = UniqueFd(in[1]);
        from_cat = UniqueFd(out[0]);
        spec.argv = {"cat"};
        spec.env = {{"LC_ALL", "C"}};
        spec.fds.emplace_back(in_read.get(), 0);
        spec.fds.emplace_back(out_write.get(), 1);
        auto spawned = ChildProcess::spawn(loop, spec, [](const ChildExit&) {});
        EXPECT_TRUE(spawned.ok()) << spawned.error().message();
        if (!spawned)
            return;
        child = std::move(spawned).value();
        EXPECT_EQ(::write(to_cat.get(), "x\n", 2), 2);
        pollfd p{from_cat.get(), POLLIN, 0};
        EXPECT_EQ(::poll(&p, 1, 30'000), 1) << "cat did not answer";
        char echo[2];
        EXPECT_EQ(::read(from_cat.get(), echo, 2), 2);
    }
    std::string proc(const std::string& what) const { return "/proc/" + std::to_string(child->pid()) + "/" + what; }
    std::string status_field(const std::string& name) const
    {
        std::ifstream status(proc("status"));
        for (std::string line; std::getline(status, line);) {
            if (line.rfind(name + ":", 0) == 0)
                return line.substr(line.find_first_not_of(" \t", name.size() + 1));
        }
        return {};
    }

    UniqueFd to_cat, from_cat;
    std::unique_ptr<ChildProcess> child;
};

// Waits until `pid` has ended (a zombie counts); false if it still runs after `limit`.
bool ends_within(pid_t pid, int limit_ms = 30'000)
{
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd)
        return errno == ESRCH;
    pollfd p{pidfd.get(), POLLIN, 0};
    return ::poll(&p, 1, limit_ms) == 1;
}

// The pids a `sh -c` program printed: its own, and its background child's.
std::pair<pid_t, pid_t> read_pids(int fd)
{
    char text[64] = {};
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 30'000) != 1 || ::read(fd, text, sizeof text - 1) <= 0)
        return {0, 0};
    int shell = 0, background = 0;
    std::sscanf(text, "%d %d", &shell, &background);
    return {shell, background};
}

constexpr const char* kShellWithAChild = "sleep 1000 & echo $$ $!; wait";

std::string link_of(const std::string& path)
{
    std::error_code ec;
    return std::filesystem::read_symlink(path, ec).string();
}

}  // namespace

TEST(ChildProcess, AProgramNotInPathFailsTheSpawn)
{
    auto loop = EventLoop::create().value();
    auto spawned = ChildProcess::spawn(*loop, {{"udefio-no-such-program", "x"}, {}, {}}, [](const ChildExit&) {});
    ASSERT_FALSE(spawned.ok());
    EXPECT_EQ(spawned.error().code, ENOENT);
    EXPECT_NE(spawned.error().message().find("udefio-no-such-program"), std::string::npos)
        << spawned.error().message();
    EXPECT_TRUE(no_child_left()) << "nothing was forked for a program that is not there";
}

TEST(ChildProcess, AnExecFailureComesBackWithItsErrno)
{
    auto loop = EventLoop::create().value();
    char name[] = "/tmp/udefio-not-a-program-XXXXXX";
    const int fd = ::mkstemp(name);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "\x01\x02\x03\x04garbage", 11), 11);
    ::close(fd);
    ASSERT_EQ(::chmod(name, 0755), 0);
    auto garbage = ChildProcess::spawn(*loop, {{name}, {}, {}}, [](const ChildExit&) {});
    ::unlink(name);
    ASSERT_FALSE(garbage.ok());
    EXPECT_EQ(garbage.error().code, ENOEXEC) << garbage.error().message();
    EXPECT_TRUE(no_child_left()) << "the child that could not exec is reaped";

    auto missing = ChildProcess::spawn(*loop, {{"/no/such/program"}, {}, {}}, [](const ChildExit&) {});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ENOENT);
    EXPECT_NE(missing.error().message().find("/no/such/program"), std::string::npos);
    EXPECT_TRUE(no_child_left());
}

TEST(ChildProcess, GetsExactlyTheFdsItIsGiven)
{
    auto loop = EventLoop::create().value();
    // Two pipes at 40 and 41, given swapped (each source is the other's
    // target), and one fd without close-on-exec that it must not get.
    int a[2], b[2], stray[2];
    ASSERT_EQ(::pipe2(a, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(b, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe(stray), 0);
    ASSERT_EQ(::dup3(a[0], 40, O_CLOEXEC), 40);
    ASSERT_EQ(::dup3(b[0], 41, O_CLOEXEC), 41);
    UniqueFd forty(40), forty_one(41), a0(a[0]), a1(a[1]), b0(b[0]), b1(b[1]), s0(stray[0]), s1(stray[1]);
    const std::string a_link = link_of("/proc/self/fd/40"), b_link = link_of("/proc/self/fd/41");
    ASSERT_NE(a_link, b_link);

    ChildSpec spec;
    spec.fds = {{40, 41}, {41, 40}};
    Cat cat(*loop, spec);
    ASSERT_TRUE(cat.child);
    std::set<std::string> fds;
    for (const auto& entry : std::filesystem::directory_iterator(cat.proc("fd")))
        fds.insert(entry.path().filename().string());
    EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2", "40", "41"}));
    EXPECT_EQ(link_of(cat.proc("fd/41")), a_link);
    EXPECT_EQ(link_of(cat.proc("fd/40")), b_link);
    // Given fds are the program's own: not closed by its own exec.
    std::ifstream flags(cat.proc("fdinfo/40"));
    std::string line;
    while (std::getline(flags, line) && line.rfind("flags:", 0) != 0) {
    }
    EXPECT_EQ(std::strtol(line.c_str() + 6, nullptr, 8) & O_CLOEXEC, 0) << line;
}

TEST(ChildProcess, StartsWithDefaultSignalsInAGroupOfItsOwn)
{
    auto loop = EventLoop::create().value();
    sigset_t usr1, saved;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    ::pthread_sigmask(SIG_BLOCK, &usr1, &saved);
    const auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
    Cat cat(*loop);
    ::signal(SIGPIPE, old_pipe);
    ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    ASSERT_TRUE(cat.child);
    EXPECT_EQ(std::stoull(cat.status_field("SigBlk"), nullptr, 16), 0u) << "no signal blocked";
    EXPECT_EQ(std::stoull(cat.status_field("SigIgn"), nullptr, 16) & (1ull << (SIGPIPE - 1)), 0u)
        << "SIGPIPE, which we ignore, is not ignored by the program";
    EXPECT_EQ(::getpgid(cat.child->pid()), cat.child->process_group());
    EXPECT_NE(cat.child->process_group(), ::getpgid(0));
}

TEST(ChildProcess, InChildRunsInTheChildJustBeforeExec)
{
    auto loop = EventLoop::create().value();
    ChildSpec spec;
    spec.in_child = [] { return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno; };
    Cat cat(*loop, spec);
    ASSERT_TRUE(cat.child);
    EXPECT_EQ(cat.status_field("NoNewPrivs"), "1");
    EXPECT_EQ(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0) << "it ran in the child, not in us";
    cat.child.reset();

    auto refused = ChildProcess::spawn(*loop, {{"cat"}, {}, {}, [] { return EPERM; }}, [](const ChildExit&) {});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, EPERM);
    EXPECT_TRUE(no_child_left());
}

TEST(ChildProcess, WhatItStartedEndsWithIt)
{
    auto loop = EventLoop::create().value();
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    UniqueFd from_shell(out[0]), to_us(out[1]);
    auto child = ChildProcess::spawn(*loop, {{"sh", "-c", kShellWithAChild}, {}, {{to_us.get(), 1}}},
                                     [](const ChildExit&) {});
    ASSERT_TRUE(child.ok()) << child.error().message();
    const auto [shell, background] = read_pids(from_shell.get());
    ASSERT_GT(background, 0);
    EXPECT_EQ(::getpgid(background), (*child)->process_group());
    child->reset();
    EXPECT_TRUE(ends_within(shell));
    EXPECT_TRUE(ends_within(background));
}

// The owner, a forked copy of this test, is SIGKILLed: nothing of it runs
// after that, yet the program and its child end.
TEST(ChildProcess, EndsWhenItsOwnerIsKilled)
{
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    UniqueFd from_shell(out[0]), to_us(out[1]);
    const pid_t owner = ::fork();
    ASSERT_GE(owner, 0);
    if (owner == 0) {
        auto loop = EventLoop::create();
        auto child = ChildProcess::spawn(**loop, {{"sh", "-c", kShellWithAChild}, {}, {{to_us.get(), 1}}},
                                         [](const ChildExit&) {});
        if (!child)
            ::_exit(1);
        ::pause();
        ::_exit(0);
    }
    to_us.reset();
    const auto [shell, background] = read_pids(from_shell.get());
    ::kill(owner, SIGKILL);
    ::waitpid(owner, nullptr, 0);
    ASSERT_GT(background, 0) << "the owner's program did not start";
    const bool shell_ended = ends_within(shell), background_ended = ends_within(background);
    EXPECT_TRUE(shell_ended) << "the program outlived its owner";
    EXPECT_TRUE(background_ended) << "what the program started outlived its owner";
    if (!shell_ended || !background_ended) {
        ::kill(shell, SIGKILL);
        ::kill(background, SIGKILL);
    }
}
