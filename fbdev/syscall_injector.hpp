// Runs system calls inside a thread of the program, with ptrace, while that
// thread waits in a seccomp notification: seize it, interrupt the wait (the
// notification is withdrawn and its system call would restart), make our
// calls at its own syscall instruction, then put its registers back, either
// to restart the call or to return a value from it, and detach. The thread
// and its process notice nothing but the time it took.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <array>
#include <cstdint>

#include "util/result.hpp"

namespace udefio::fbdev {

class SyscallInjector {
public:
    // `tid` is in a system call that seccomp stopped; `child_pid` is udefio's
    // own child (whose exit status must be left to its waiter). EPERM when
    // ptrace is refused (the thread is traced already, Yama, another user).
    static Result<SyscallInjector> attach(pid_t tid, pid_t child_pid);
    SyscallInjector(SyscallInjector&& other) noexcept;
    SyscallInjector& operator=(SyscallInjector&&) = delete;
    // Detaches; the interrupted call restarts unless return_value() was set.
    ~SyscallInjector();

    // The interrupted system call, as it was entered.
    long interrupted_syscall() const { return static_cast<long>(saved_.orig_rax); }
    // Makes `nr(args...)` in the thread; its raw result (-errno on failure).
    Result<long> call(long nr, std::array<uint64_t, 6> args);
    // The interrupted call returns `value` instead of running again.
    void return_value(long value);

    SyscallInjector(pid_t tid, pid_t child_pid, user_regs_struct saved);

private:
    Result<int> wait_stop();  // the next ptrace stop's status (waitpid form)
    void detach();

    pid_t tid_;
    pid_t child_pid_;
    user_regs_struct saved_;
    bool attached_ = true;
    bool have_regs_ = false;  // saved_ holds the thread's registers
    bool modified_ = false;   // we changed them: detach puts them back
    bool has_return_ = false;
    long return_ = 0;
    int pending_signal_ = 0;  // a signal that arrived meanwhile, delivered at detach
};

}  // namespace udefio::fbdev
