// The seccomp filter an fbdev program runs under, built with libseccomp in
// udefio (the child only loads it): the system calls whose answer depends on
// /dev/fb0 or the console go to udefio as user notifications, the rest run
// untouched.
#pragma once

#include <linux/filter.h>
#include <sys/mman.h>

#include <cstdint>
#include <vector>

#include "util/result.hpp"

namespace udefio::fbdev {

// udefio replays a program's mmap of the framebuffer with this flag added,
// so that the filter lets it through. MAP_SYNC with MAP_SHARED is dropped by
// the kernel without effect ("We silently ignore unsupported flags with
// MAP_SHARED to preserve backward compatibility", mm/mmap.c).
inline constexpr uint64_t kReplayedMmapFlag = MAP_SYNC;

// Notified: open, openat, openat2, creat; ioctl with an fb ('F'), keyboard
// ('K') or VT ('V') request; mmap MAP_SHARED of a file (without the replay
// flag); ftruncate and fallocate. io_uring_setup fails with ENOSYS, since
// io_uring's opens would bypass the filter. Other architectures (i386, x32)
// pass unfiltered: they see no framebuffer.
Result<std::vector<sock_filter>> build_fbdev_filter();

// Whether this kernel offers what the filter needs: SECCOMP_RET_USER_NOTIF
// (Linux 5.0). Without it (an older kernel, or a seccomp filter of a
// container that refuses seccomp() to us) no unmodified fbdev program can
// run; the error says so and that udefio's own clients can.
Result<void> check_user_notification();

}  // namespace udefio::fbdev
