// The process at the other end of a client's socket, pinned when it
// connected: its credentials (SO_PEERCRED) and a pidfd of it, so that what
// udefio later does to "the client's process" (scan its pagemap) reaches
// that very process or none, never another one that was given its pid after
// it exited. SO_PEERPIDFD (Linux 6.5) names the process that connected;
// before that, pidfd_open() of the pid is checked against the credentials,
// which only a process of the same user that took over a recycled pid in the
// moment between connect and the check would pass.
#pragma once

#include <sys/types.h>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class PeerProcess {
public:
    // Fails only if the socket has no peer credentials.
    static Result<PeerProcess> of_socket(int socket);

    pid_t pid() const { return pid_; }
    uid_t uid() const { return uid_; }
    // The pidfd came with the connection (SO_PEERPIDFD), not from its pid.
    bool pinned_by_kernel() const { return pinned_by_kernel_; }
    // Not exited: its pid names it still. False too when it had exited
    // before udefio could pin it, or (before 6.5) its pid named another's process.
    bool alive() const;

    // /proc/PID of this process (O_DIRECTORY): opened, then checked to be
    // this one (it was alive after the open, so the pid was not reused), and
    // to run wholly as the peer's user (all four uids, and dumpable: /proc/PID
    // owned by that user), as a set-uid or set-gid program that it became
    // since would not. Files opened below it are this process's.
    Result<UniqueFd> open_proc_dir() const;

private:
    PeerProcess(pid_t pid, uid_t uid, UniqueFd pidfd, bool pinned_by_kernel)
        : pid_(pid), uid_(uid), pidfd_(std::move(pidfd)), pinned_by_kernel_(pinned_by_kernel)
    {
    }

    pid_t pid_;
    uid_t uid_;
    UniqueFd pidfd_;
    bool pinned_by_kernel_;
};

}  // namespace udefio
