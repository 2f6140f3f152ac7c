// Starting a program from a process with threads: fork(), then exec. Between
// the two the child may only make async-signal-safe system calls (another
// thread may hold malloc's lock forever in the child), so everything it needs
// is prepared here first: the program resolved in PATH (so that "not found"
// is an error of spawn itself), argv and envp as arrays, and which fd goes to
// which number. A failed exec, or a failed step before it, comes back to the
// parent as an errno through a close-on-exec pipe: spawn reports it and
// leaves no child behind.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace udefio {

class ExecPlan {
public:
    // `argv[0]` is looked up in our PATH unless it holds a '/'; `env` is added
    // to (or replaces in) our environment; `fds` maps {our fd, its number in
    // the child}: the child gets exactly those and 0-2, nothing else.
    static Result<ExecPlan> make(const std::vector<std::string>& argv,
                                 const std::vector<std::pair<std::string, std::string>>& env,
                                 const std::vector<std::pair<int, int>>& fds);

    // The process group to join (0: a group of its own, led by the child).
    pid_t process_group = 0;
    // PR_SET_PDEATHSIG: the child gets this signal when the thread that forked
    // it ends (udefio dies, however); 0: not. Set between fork and exec, and
    // checked against a parent that ended before it was set.
    int parent_death_signal = 0;
    // Runs in the child just before execve; async-signal-safe system calls
    // only, on data prepared before the fork. 0, or an errno that fails the spawn.
    std::function<int()> in_child;

    const std::string& path() const { return path_; }

    ExecPlan(ExecPlan&&) = default;
    ExecPlan& operator=(ExecPlan&&) = default;

private:
    ExecPlan() = default;
    friend Result<pid_t> fork_exec(const ExecPlan& plan);
    [[noreturn]] void run_in_child(int error_fd, pid_t parent) const;

    std::string path_;  // resolved
    std::vector<std::string> strings_;  // argv, then envp; the arrays below point into them
    std::vector<char*> argv_, envp_;
    std::vector<std::pair<int, int>> fds_;
    int highest_target_ = 2;
    mutable std::vector<int> moved_;  // the child's scratch (its own copy after fork): fds_ moved out of the way
};

// Forks and execs `plan`; returns once the program runs (exec succeeded), or
// the error that stopped it, with the child reaped.
Result<pid_t> fork_exec(const ExecPlan& plan);

}  // namespace udefio
