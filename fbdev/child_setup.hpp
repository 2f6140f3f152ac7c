// What runs in the program's forked child before exec (ChildSpec::in_child):
// stdin becomes the emulated console, /dev gets the framebuffer nodes, the
// seccomp filter is loaded and its listener sent back to udefio. Everything
// is prepared before the fork; the child only makes system calls.
#pragma once

#include <linux/filter.h>

#include <functional>
#include <memory>
#include <vector>

#include "fbdev/dev_overlay.hpp"

namespace udefio::fbdev {

// Sent with the listener: what the child could not set up.
enum ChildStatus : uint8_t {
    kChildReady = 0,
    kChildNoOverlay = 1,  // /dev is the host's: stat of /dev/fb0 fails, opens still work
};

struct ChildPlan {
    std::vector<sock_filter> filter;
    int handover_fd = -1;   // the child's end of the socket the listener goes back on
    int console_fd = -1;    // the console's pty slave, becomes fd 0; -1: stdin stays
    const DevOverlay* overlay = nullptr;  // null: no private /dev
    bool no_new_privs = false;  // needed to load a filter without CAP_SYS_ADMIN
};

// The callable for ChildSpec::in_child: returns 0, or the errno that fails
// the spawn (no filter means no framebuffer: the program must not run).
// `plan` must outlive the fork.
std::function<int()> make_child_setup(std::shared_ptr<const ChildPlan> plan);

}  // namespace udefio::fbdev
