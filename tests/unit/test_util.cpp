// util/: the fault signal chain, the weak self handle, packets with fds.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "util/fault_signal_chain.hpp"
#include "util/scm_rights.hpp"
#include "util/weak_self.hpp"

using namespace udefio;

namespace {

FaultSignalChain g_chain;
volatile sig_atomic_t g_previous_ran = 0;

void forward_everything(int signo, siginfo_t* info, void* context) { g_chain.forward(signo, info, context); }
void previous_handler(int, siginfo_t* info, void*)
{
    g_previous_ran = 1;
    // Make the faulting access succeed when it is retried.
    ::mprotect(reinterpret_cast<void*>(uintptr_t(info->si_addr) & ~uintptr_t(4095)), 4096, PROT_READ | PROT_WRITE);
}

// In a child: installs `before` for SIGSEGV, our chain over it, then writes to
// a read-only page. Returns how the child ended.
int fault_in_child(const std::function<void()>& before)
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        before();
        if (!g_chain.install(SIGSEGV, forward_everything, SA_NODEFER).ok())
            ::_exit(100);
        auto* page = static_cast<volatile char*>(
            ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        page[0] = 1;
        ::_exit(g_previous_ran ? 42 : 43);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

TEST(FaultSignalChain, AFaultNobodyHandlesKillsAsWithoutUs)
{
    const int status = fault_in_child([] { ::signal(SIGSEGV, SIG_DFL); });  // not a sanitizer's
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}

TEST(FaultSignalChain, AnIgnoredFaultStillKills)
{
    const int status = fault_in_child([] { ::signal(SIGSEGV, SIG_IGN); });
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}

TEST(FaultSignalChain, ThePreviousHandlerRuns)
{
    const int status = fault_in_child([] {
        struct sigaction action {};
        action.sa_sigaction = previous_handler;
        action.sa_flags = SA_SIGINFO;
        ::sigaction(SIGSEGV, &action, nullptr);
    });
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 42);
}

struct Counter {
    int calls = 0;
    WeakSelf<Counter> self{*this};
};

TEST(WeakSelf, ABoundCallDoesNothingOnceTheObjectIsGone)
{
    std::function<void(int)> call;
    {
        Counter c;
        call = c.self.bind([](Counter& me, int n) { me.calls += n; });
        call(2);
        EXPECT_EQ(c.calls, 2);
    }
    call(3);  // the counter is gone: nothing runs (ASan would catch a use)
}

TEST(ScmRights, APacketAndItsFdArriveTogether)
{
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd a(pair[0]), b(pair[1]);
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    UniqueFd r(pipe_fds[0]), w(pipe_fds[1]);
    const std::byte message[3] = {std::byte{1}, std::byte{2}, std::byte{3}};
    ASSERT_EQ(send_with_fd(a.get(), message, w.get()), 3);
    std::byte buffer[8];
    ReceivedPacket got = receive_with_fds(b.get(), buffer, 1);
    ASSERT_EQ(got.bytes, 3);
    ASSERT_EQ(got.fds.size(), 1u);
    EXPECT_FALSE(got.truncated);
    EXPECT_FALSE(got.fds_truncated);
    EXPECT_EQ(::fcntl(got.fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(::write(got.fds[0].get(), "x", 1), 1);  // the pipe's write end
    char c = 0;
    EXPECT_EQ(::read(r.get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
}

TEST(ScmRights, TooManyFdsAreClosedAndSaidSo)
{
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd a(pair[0]), b(pair[1]);
    // Four fds in one message, room for one (the control buffer's alignment may fit two).
    int fds[4] = {::dup(0), ::dup(0), ::dup(0), ::dup(0)};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)] = {};
    char byte = 0;
    iovec iov{&byte, 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    std::memcpy(CMSG_DATA(c), fds, sizeof fds);
    ASSERT_EQ(::sendmsg(a.get(), &msg, 0), 1);
    for (int fd : fds)
        ::close(fd);
    std::byte buffer[8];
    ReceivedPacket got = receive_with_fds(b.get(), buffer, 1);
    EXPECT_TRUE(got.fds_truncated);
    EXPECT_LT(got.fds.size(), 4u);
}

}  // namespace
