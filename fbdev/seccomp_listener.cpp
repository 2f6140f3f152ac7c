#include "fbdev/seccomp_listener.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

// 6.6: wake the supervisor on the CPU of the notifying task, as a
// synchronous hand-off (bookworm's headers are 6.1).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace udefio::fbdev {

Result<SeccompListener> SeccompListener::adopt(UniqueFd fd)
{
    // Each notification is a round trip between two tasks; where the kernel
    // can, it then switches straight to us and back. Older kernels: EINVAL.
    uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    ::ioctl(fd.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);
    seccomp_notif_sizes sizes{};
    if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
        return errno_error("seccomp(SECCOMP_GET_NOTIF_SIZES)");
    return SeccompListener(std::move(fd), std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)),
                           std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
}

SeccompListener::SeccompListener(UniqueFd fd, size_t notif_size, size_t resp_size)
    : fd_(std::move(fd)), notif_((notif_size + 7) / 8), resp_size_(resp_size)
{
}

Result<const seccomp_notif*> SeccompListener::receive()
{
    std::memset(notif_.data(), 0, notif_.size() * sizeof(uint64_t));
    if (::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_RECV, notif_.data()) != 0)
        return errno_error("SECCOMP_IOCTL_NOTIF_RECV");
    return reinterpret_cast<const seccomp_notif*>(notif_.data());
}

int SeccompListener::send(uint64_t id, int64_t value, int error, uint32_t flags) const
{
    std::vector<uint64_t> buffer((resp_size_ + 7) / 8, 0);
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(buffer.data());
    resp->id = id;
    resp->val = value;
    resp->error = -error;
    resp->flags = flags;
    return ::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_SEND, resp) == 0 ? 0 : errno;
}

int SeccompListener::reply_value(uint64_t id, int64_t value) const { return send(id, value, 0, 0); }
int SeccompListener::reply_error(uint64_t id, int error) const { return send(id, 0, error, 0); }
int SeccompListener::reply_continue(uint64_t id) const
{
    return send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

int SeccompListener::reply_fd(uint64_t id, int fd, bool cloexec) const
{
    seccomp_notif_addfd addfd{};
    addfd.id = id;
    addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
    addfd.srcfd = static_cast<uint32_t>(fd);
    addfd.newfd_flags = cloexec ? O_CLOEXEC : 0;
    return ::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) >= 0 ? 0 : errno;
}

bool SeccompListener::still_waiting(uint64_t id) const
{
    return ::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

}  // namespace udefio::fbdev
