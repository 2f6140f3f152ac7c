#include "compositor/child_process.hpp"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

// glibc 2.36 declares these without C linkage for C++.
extern "C" {
#include <sys/pidfd.h>
}

#include "compositor/exec_plan.hpp"
#include "util/log.hpp"

namespace udefio {

std::string ChildExit::describe() const
{
    if (signalled)
        return std::string("killed by SIG") + (sigabbrev_np(code) ? sigabbrev_np(code) : std::to_string(code).c_str());
    return "exited with status " + std::to_string(code);
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(EventLoop& loop, const ChildSpec& spec, OnExit on_exit)
{
    auto plan = ExecPlan::make(spec.argv, spec.env, spec.fds);
    if (!plan)
        return plan.error();
    auto keeper = GroupKeeper::start();
    if (!keeper)
        return keeper.error();
    plan->process_group = keeper->group();
    plan->parent_death_signal = SIGKILL;
    plan->in_child = spec.in_child;
    auto started = fork_exec(*plan);
    if (!started)
        return started.error();  // the keeper ends with its group
    const pid_t pid = *started;

    UniqueFd pidfd(::pidfd_open(pid, 0));
    if (!pidfd) {
        const Error error = errno_error("pidfd_open(" + std::to_string(pid) + ")");
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return error;
    }
    auto child = std::make_unique<ChildProcess>(std::move(keeper).value(), pid, std::move(pidfd), std::move(on_exit));
    auto watch = loop.watch_readable(child->pidfd_.get(), [c = child.get()] { c->reap(); });
    if (!watch)
        return watch.error();  // the destructor ends and reaps it
    child->exit_watch_ = std::move(watch).value();
    return child;
}

ChildProcess::ChildProcess(GroupKeeper keeper, pid_t pid, UniqueFd pidfd, OnExit on_exit)
    : keeper_(std::move(keeper)), pid_(pid), pidfd_(std::move(pidfd)), on_exit_(std::move(on_exit))
{
}

ChildProcess::~ChildProcess()
{
    on_exit_ = nullptr;  // whoever owned us does not want to hear about it now
    terminate();
}

void ChildProcess::reap()
{
    siginfo_t info{};
    if (::waitid(P_PIDFD, unsigned(pidfd_.get()), &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0)
        return;
    running_ = false;
    if (exit_watch_.active())
        exit_watch_.disarm();
    keeper_.end_group();  // what it started and left behind
    const ChildExit exit{info.si_code != CLD_EXITED, info.si_status};
    if (on_exit_)
        on_exit_(exit);
}

void ChildProcess::terminate(std::chrono::milliseconds grace)
{
    if (!running_)
        return;
    // The whole group (a shell's children too); its keeper stays, ignoring
    // SIGTERM, and holds the group's id until it is reaped.
    ::kill(-keeper_.group(), SIGTERM);
    pollfd p{pidfd_.get(), POLLIN, 0};
    if (::poll(&p, 1, int(grace.count())) != 1)
        UDEFIO_LOG(warn, "child %d did not end %lld ms after SIGTERM: SIGKILL", int(pid_),
                   static_cast<long long>(grace.count()));
    keeper_.end_group();  // SIGKILL to whatever of the group is left
    siginfo_t info{};
    ::waitid(P_PIDFD, unsigned(pidfd_.get()), &info, WEXITED);
    running_ = false;
    if (on_exit_)
        on_exit_({info.si_code != CLD_EXITED, info.si_status});
}

}  // namespace udefio
