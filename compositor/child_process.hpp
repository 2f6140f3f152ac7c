// A program udefio started (a kiosk client, a profiled program): forked and
// exec'd (compositor/exec_plan.hpp) with chosen fds and environment, watched
// through a pidfd in the event loop, and never left behind:
// - the destructor ends its process group (SIGTERM, then SIGKILL after a
//   grace period) and reaps it; when it ends by itself, what it started and
//   left running is killed;
// - when udefio dies, however (SIGKILL, a crash), the program gets SIGKILL
//   (PR_SET_PDEATHSIG) and its group's keeper (compositor/group_keeper.hpp)
//   kills what it started.
// PR_SET_PDEATHSIG follows the thread that forked: spawn on the thread that
// runs the loop, which lives as long as the program should.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compositor/group_keeper.hpp"
#include "loop/event_loop.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

struct ChildSpec {
    std::vector<std::string> argv;                            // argv[0] is looked up in PATH
    std::vector<std::pair<std::string, std::string>> env;     // added to (or replacing in) ours
    std::vector<std::pair<int, int>> fds;                     // {our fd, its number in the child}
    // Runs in the forked child just before exec (a seccomp filter, say):
    // async-signal-safe system calls only, on data prepared before the fork.
    // Returns 0, or an errno that fails the spawn with that errno.
    std::function<int()> in_child;
};

// How it ended, in words for the log ("exited with status 3", "killed by SIGSEGV").
struct ChildExit {
    bool signalled = false;
    int code = 0;  // exit status, or the signal number
    bool success() const { return !signalled && code == 0; }
    std::string describe() const;
};

class ChildProcess {
public:
    using OnExit = std::function<void(const ChildExit&)>;

    // `on_exit` runs on the loop thread once the child has ended (and been reaped).
    static Result<std::unique_ptr<ChildProcess>> spawn(EventLoop& loop, const ChildSpec& spec, OnExit on_exit);
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    // Its group, led by the keeper; what it starts joins it.
    pid_t process_group() const { return keeper_.group(); }
    bool running() const { return running_; }
    // SIGTERM to its group, SIGKILL to what is left after `grace`; reaps it. Loop thread.
    void terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

    ChildProcess(GroupKeeper keeper, pid_t pid, UniqueFd pidfd, OnExit on_exit);

private:
    void reap();

    GroupKeeper keeper_;
    const pid_t pid_;
    UniqueFd pidfd_;
    OnExit on_exit_;
    EventSource exit_watch_;
    bool running_ = true;
};

}  // namespace udefio
