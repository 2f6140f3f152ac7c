// The program's own /dev: its mount namespace gets a read-only overlay of the
// real /dev with /dev/fb0, /dev/fb and /dev/graphics/fb0 as character devices
// 29:0 (so that stat and access see a framebuffer) and /dev/fb1../dev/fb31
// hidden (ENOENT), the submounts (pts, shm, ...) bound back in. udefio
// prepares the layer in a directory of its own; the child mounts it.
#pragma once

#include <string>
#include <vector>

#include "util/result.hpp"

namespace udefio::fbdev {

class DevOverlay {
public:
    // Needs root (mknod). `extra_device`: $FRAMEBUFFER, if it names
    // another node under /dev (it gets a node too).
    static Result<DevOverlay> prepare(const std::string& extra_device);
    DevOverlay(DevOverlay&&) noexcept;
    DevOverlay& operator=(DevOverlay&&) = delete;
    ~DevOverlay();

    // In the forked child (async-signal-safe: system calls on the strings
    // prepared here): a private mount namespace with the overlay on /dev.
    // Returns 0 or the errno of the step that failed.
    int mount_in_child() const;

private:
    DevOverlay() = default;

    std::string root_;        // our directory; removed by the destructor
    std::string layer_;       // root_/layer: the nodes
    std::string view_;        // root_/view: where the overlay is put together
    std::string options_;     // "lowerdir=<layer>:/dev"
    std::vector<std::string> submounts_;       // /dev/pts, /dev/shm, ...
    std::vector<std::string> submount_views_;  // the same under view_
    std::vector<std::string> created_;         // what prepare() made, for the destructor (deepest first)
};

}  // namespace udefio::fbdev
