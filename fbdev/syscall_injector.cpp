#include "fbdev/syscall_injector.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace udefio::fbdev {
namespace {

constexpr long kERestartSys = 512;  // what an interrupted seccomp notification returns
constexpr int kSyscallStop = SIGTRAP | 0x80;  // PTRACE_O_TRACESYSGOOD
constexpr uint64_t kSyscallInsnBytes = 2;  // "syscall" is 0f 05

}  // namespace

Result<SyscallInjector> SyscallInjector::attach(pid_t tid, pid_t child_pid)
{
    if (::ptrace(PTRACE_SEIZE, tid, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) != 0)
        return errno_error("ptrace(PTRACE_SEIZE) of thread " + std::to_string(tid));
    SyscallInjector injector(tid, child_pid, {});
    if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0)
        return errno_error("ptrace(PTRACE_INTERRUPT) of thread " + std::to_string(tid));
    auto status = injector.wait_stop();
    if (!status)
        return status.error();
    // The interrupt's stop comes before any signal is dequeued (get_signal
    // handles the ptrace trap first).
    if (*status >> 16 != PTRACE_EVENT_STOP) {
        if (WSTOPSIG(*status) != SIGTRAP)
            injector.pending_signal_ = WSTOPSIG(*status);
        return plain_error("thread " + std::to_string(tid) + " stopped for something else than our interrupt");
    }
    if (::ptrace(PTRACE_GETREGS, tid, nullptr, &injector.saved_) != 0)
        return errno_error("ptrace(PTRACE_GETREGS)");
    injector.have_regs_ = true;
    if (static_cast<long>(injector.saved_.rax) != -kERestartSys)
        return plain_error("thread " + std::to_string(tid) + " was not waiting in a system call");
    return injector;
}

SyscallInjector::SyscallInjector(pid_t tid, pid_t child_pid, user_regs_struct saved)
    : tid_(tid), child_pid_(child_pid), saved_(saved)
{
}

SyscallInjector::SyscallInjector(SyscallInjector&& other) noexcept
    : tid_(other.tid_),
      child_pid_(other.child_pid_),
      saved_(other.saved_),
      attached_(std::exchange(other.attached_, false)),
      have_regs_(other.have_regs_),
      modified_(other.modified_),
      has_return_(other.has_return_),
      return_(other.return_),
      pending_signal_(other.pending_signal_)
{
}

SyscallInjector::~SyscallInjector() { detach(); }

Result<int> SyscallInjector::wait_stop()
{
    for (;;) {
        siginfo_t info{};
        // Look first without reaping: an exit of udefio's own child is its waiter's to collect.
        if (::waitid(P_PID, static_cast<id_t>(tid_), &info, WSTOPPED | WEXITED | __WALL | WNOWAIT) != 0) {
            if (errno == EINTR)
                continue;
            return errno_error("waitid on thread " + std::to_string(tid_));
        }
        if (info.si_code == CLD_EXITED || info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
            if (tid_ != child_pid_)
                ::waitpid(tid_, nullptr, __WALL | WNOHANG);
            attached_ = false;
            return Error{ESRCH, "thread " + std::to_string(tid_) + " ended"};
        }
        int status = 0;
        if (::waitpid(tid_, &status, __WALL) != tid_)
            return errno_error("waitpid on thread " + std::to_string(tid_));
        return status;
    }
}

Result<long> SyscallInjector::call(long nr, std::array<uint64_t, 6> args)
{
    user_regs_struct regs = saved_;
    regs.rax = static_cast<uint64_t>(nr);
    regs.orig_rax = static_cast<uint64_t>(-1);  // no restart of anything on the way out
    regs.rip = saved_.rip - kSyscallInsnBytes;
    regs.rdi = args[0];
    regs.rsi = args[1];
    regs.rdx = args[2];
    regs.r10 = args[3];
    regs.r8 = args[4];
    regs.r9 = args[5];
    if (::ptrace(PTRACE_SETREGS, tid_, nullptr, &regs) != 0)
        return errno_error("ptrace(PTRACE_SETREGS)");
    modified_ = true;
    // Entry, then exit; a signal that arrives meanwhile waits until we detach.
    for (int stops = 0; stops < 2;) {
        if (::ptrace(PTRACE_SYSCALL, tid_, nullptr, nullptr) != 0)
            return errno_error("ptrace(PTRACE_SYSCALL)");
        auto status = wait_stop();
        if (!status)
            return status.error();
        if (WSTOPSIG(*status) == kSyscallStop)
            ++stops;
        else if (WSTOPSIG(*status) != SIGTRAP)
            pending_signal_ = WSTOPSIG(*status);
    }
    if (::ptrace(PTRACE_GETREGS, tid_, nullptr, &regs) != 0)
        return errno_error("ptrace(PTRACE_GETREGS)");
    return static_cast<long>(regs.rax);
}

void SyscallInjector::return_value(long value)
{
    has_return_ = true;
    modified_ = true;
    return_ = value;
}

void SyscallInjector::detach()
{
    if (!attached_)
        return;
    attached_ = false;
    const long signal = pending_signal_;
    if (!have_regs_ || !modified_) {
        // Untouched: the kernel restarts the interrupted call by itself.
        ::ptrace(PTRACE_DETACH, tid_, nullptr, reinterpret_cast<void*>(signal));
        return;
    }
    user_regs_struct regs = saved_;
    regs.orig_rax = static_cast<uint64_t>(-1);
    if (has_return_) {
        regs.rax = static_cast<uint64_t>(return_);
    } else {
        // Run the interrupted call again, from its syscall instruction.
        regs.rax = saved_.orig_rax;
        regs.rip = saved_.rip - kSyscallInsnBytes;
    }
    ::ptrace(PTRACE_SETREGS, tid_, nullptr, &regs);
    ::ptrace(PTRACE_DETACH, tid_, nullptr, reinterpret_cast<void*>(signal));
}

}  // namespace udefio::fbdev
