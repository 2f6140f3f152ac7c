#include "compositor/group_keeper.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include "compositor/exec_plan.hpp"

namespace udefio {

namespace {

// Ignored, so that the signals a program or udefio sends its group (SIGTERM
// first) leave the keeper standing; an ignored signal stays ignored in the
// shell it execs. Runs in the forked child.
int ignore_polite_signals()
{
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) {
        if (::sigaction(sig, &ignore, nullptr) != 0)
            return errno;
    }
    return 0;
}

}  // namespace

Result<GroupKeeper> GroupKeeper::start()
{
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0)
        return errno_error("pipe2 for a process group's keeper");
    UniqueFd read_end(ends[0]), write_end(ends[1]);
    // `read` returns at end of file: when udefio closed the write end or died.
    auto plan = ExecPlan::make({"/bin/sh", "-c", "read -r line; kill -KILL 0", "udefio-group-keeper"}, {},
                               {{read_end.get(), 0}});
    if (!plan)
        return plan.error();
    plan->in_child = ignore_polite_signals;
    auto pid = fork_exec(*plan);
    if (!pid)
        return Error{pid.error().code, "start the keeper of a program's process group (/bin/sh)"};
    return GroupKeeper(*pid, std::move(write_end));
}

GroupKeeper::GroupKeeper(GroupKeeper&& other) noexcept
    : pid_(std::exchange(other.pid_, 0)), alive_(std::move(other.alive_))
{
}

void GroupKeeper::end_group()
{
    if (pid_ <= 0)
        return;
    // Until we reap it, the keeper (even as a zombie) holds the group's id.
    ::kill(-pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
    alive_.reset();
}

}  // namespace udefio
