#include "util/scm_rights.hpp"

#include <sys/socket.h>

#include <cstring>

namespace udefio {

ssize_t send_with_fd(int socket, std::span<const std::byte> bytes, int fd, int flags)
{
    iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    return ::sendmsg(socket, &msg, flags | MSG_NOSIGNAL);
}

ReceivedPacket receive_with_fds(int socket, std::span<std::byte> buffer, size_t max_fds, int flags)
{
    std::vector<char> control(CMSG_SPACE(sizeof(int) * (max_fds ? max_fds : 1)));
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ReceivedPacket packet;
    packet.bytes = ::recvmsg(socket, &msg, flags | MSG_CMSG_CLOEXEC);
    if (packet.bytes < 0)
        return packet;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            packet.fds.emplace_back(fd);
        }
    }
    packet.truncated = msg.msg_flags & MSG_TRUNC;
    packet.fds_truncated = msg.msg_flags & MSG_CTRUNC;
    return packet;
}

}  // namespace udefio
