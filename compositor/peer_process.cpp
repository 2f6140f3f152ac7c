#include "compositor/peer_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "defio/uapi.hpp"

namespace udefio {
namespace {

// "Uid:\treal\teffective\tsaved\tfs" of /proc/PID/status, all equal to `uid`.
Result<void> check_uids(int proc_dir, uid_t uid)
{
    UniqueFd status(::openat(proc_dir, "status", O_RDONLY | O_CLOEXEC));
    if (!status)
        return errno_error("open its /proc/PID/status");
    char text[4096];
    const ssize_t n = ::read(status.get(), text, sizeof text - 1);
    if (n <= 0)
        return errno_error("read its /proc/PID/status");
    text[n] = 0;
    const char* line = std::strstr(text, "\nUid:");
    unsigned ids[4];
    if (!line || std::sscanf(line, "\nUid: %u %u %u %u", &ids[0], &ids[1], &ids[2], &ids[3]) != 4)
        return plain_error("its /proc/PID/status has no Uid line");
    for (unsigned id : ids) {
        if (id != uid)
            return plain_error("it no longer runs as uid " + std::to_string(uid) + " alone (uids " +
                               std::to_string(ids[0]) + " " + std::to_string(ids[1]) + " " +
                               std::to_string(ids[2]) + " " + std::to_string(ids[3]) + ")");
    }
    return {};
}

}  // namespace

Result<PeerProcess> PeerProcess::of_socket(int socket)
{
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return errno_error("SO_PEERCRED of a new client");
    int pidfd = -1;
    len = sizeof pidfd;
    if (::getsockopt(socket, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0)
        return PeerProcess(cred.pid, cred.uid, UniqueFd(pidfd), true);
    if (errno != ENOPROTOOPT)  // ESRCH: it has exited already, and is pinned as gone
        return PeerProcess(cred.pid, cred.uid, UniqueFd(), true);
    // Before Linux 6.5: the pid's process now, if it runs as the peer's user.
    PeerProcess peer(cred.pid, cred.uid, UniqueFd(int(::syscall(SYS_pidfd_open, cred.pid, 0))), false);
    if (peer.pidfd_ && !peer.open_proc_dir())
        peer.pidfd_.reset();  // another's process, or gone: not the peer
    return peer;
}

bool PeerProcess::alive() const
{
    if (!pidfd_)
        return false;
    // A pidfd polls readable once its process has exited.
    pollfd p{pidfd_.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

Result<UniqueFd> PeerProcess::open_proc_dir() const
{
    const std::string path = "/proc/" + std::to_string(pid_);
    UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir)
        return errno_error("open " + path);
    // Alive after the open: the pid was not reused, so the directory is its.
    if (!alive())
        return plain_error("process " + std::to_string(pid_) + " has exited (its pid may name another now)");
    if (auto uids = check_uids(dir.get(), uid_); !uids)
        return uids.error();
    struct stat st{};
    if (::fstat(dir.get(), &st) != 0)
        return errno_error("fstat " + path);
    if (st.st_uid != uid_)
        return plain_error(path + " belongs to uid " + std::to_string(st.st_uid) +
                           ": it is not dumpable (a set-uid or set-gid program)");
    return dir;
}

}  // namespace udefio
