// One packet with file descriptors beside it (SCM_RIGHTS) on a unix socket:
// the compositor's connections, libudefio-client and the tests use these.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <vector>

#include "util/unique_fd.hpp"

namespace udefio {

// sendmsg() of `bytes` with `fd` beside it (-1: none). Returns what sendmsg
// returns; errno is set on failure. Never raises SIGPIPE.
ssize_t send_with_fd(int socket, std::span<const std::byte> bytes, int fd, int flags = 0);

struct ReceivedPacket {
    ssize_t bytes = 0;           // what recvmsg returned (-1: errno says why)
    std::vector<UniqueFd> fds;   // every fd that came, owned: none leaks whatever the caller does next
    bool truncated = false;      // MSG_TRUNC: the packet was longer than the buffer
    bool fds_truncated = false;  // MSG_CTRUNC: more fds came than there was room for (those are closed)
};

// recvmsg() into `buffer` with room for `max_fds` fds (received close-on-exec).
ReceivedPacket receive_with_fds(int socket, std::span<std::byte> buffer, size_t max_fds, int flags = 0);

}  // namespace udefio
