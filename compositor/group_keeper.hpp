// The guard of a program's process group, so that what the program started
// ends with udefio even when udefio is SIGKILLed or crashes. PR_SET_PDEATHSIG
// reaches the program only, not its children, and nothing of udefio runs
// after a SIGKILL; so each program's group is led by a keeper: a shell that
// ignores the polite signals and blocks reading a pipe whose only write end
// udefio holds. The kernel closes that end however udefio ends; the read
// returns and the keeper SIGKILLs its group: the program's children and
// itself. Being a member, it also keeps the group's id from being reused
// while udefio may still signal it. A program that leaves its group
// (setsid, setpgid) escapes this, as it would a kill of the group.
#pragma once

#include <sys/types.h>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class GroupKeeper {
public:
    static Result<GroupKeeper> start();
    GroupKeeper(GroupKeeper&& other) noexcept;
    GroupKeeper& operator=(GroupKeeper&&) = delete;
    ~GroupKeeper() { end_group(); }

    // The group for a program to join (the keeper's pid).
    pid_t group() const { return pid_; }
    // SIGKILL to the whole group, the keeper included; reaps the keeper.
    void end_group();

private:
    GroupKeeper(pid_t pid, UniqueFd alive) : pid_(pid), alive_(std::move(alive)) {}

    pid_t pid_;
    UniqueFd alive_;  // the pipe's write end; closing it (or dying) tells the keeper
};

}  // namespace udefio
