// The supervisor's end of a seccomp user notification filter: receive a
// stopped system call, answer it (a value, an errno, "run it as it is", or a
// new fd installed and returned atomically), or check that it still waits.
#pragma once

#include <linux/seccomp.h>

#include <cstdint>
#include <vector>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio::fbdev {

class SeccompListener {
public:
    static Result<SeccompListener> adopt(UniqueFd fd);

    int fd() const { return fd_.get(); }

    // The next notification; ENOENT when its task died before we got it,
    // EAGAIN when none waits.
    Result<const seccomp_notif*> receive();

    // Each returns 0 or an errno (ENOENT: the task is gone or was interrupted).
    int reply_value(uint64_t id, int64_t value) const;
    int reply_error(uint64_t id, int error) const;
    int reply_continue(uint64_t id) const;
    // Installs `fd` in the task (close-on-exec if asked) and makes it the
    // system call's return value (SECCOMP_ADDFD_FLAG_SEND, 5.14+).
    int reply_fd(uint64_t id, int fd, bool cloexec) const;
    // The task still waits for this answer: its pid was not reused meanwhile.
    bool still_waiting(uint64_t id) const;

private:
    SeccompListener(UniqueFd fd, size_t notif_size, size_t resp_size);
    int send(uint64_t id, int64_t value, int error, uint32_t flags) const;

    UniqueFd fd_;
    std::vector<uint64_t> notif_;  // seccomp_notif, sized as the kernel says
    size_t resp_size_;
};

}  // namespace udefio::fbdev
