// --backend NAME → a Backend; `auto` takes KMS if a usable DRM device exists,
// else Wayland if WAYLAND_DISPLAY is set and the compositor answers, else
// headless (DESIGN.md).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "backends/kms/scanout_allocator.hpp"

namespace udefio {

struct BackendOptions {
    std::string name = "auto";
    OutputMode headless_mode;                      // headless: the virtual screen; wayland: the window's
                                                   // size when the compositor leaves it to us
    std::string png_dir;                           // headless: snapshots, empty = none
    std::chrono::milliseconds png_interval{1000};  // headless: at most one snapshot per interval
    std::string kms_device;                        // kms: empty = the first card with a display
    std::chrono::milliseconds wait_device{0};      // kms, auto: wait this long for that card (--wait-device)
    std::string kms_mode;                          // kms: WxH[@Hz], empty = the preferred mode
    bool kms_atomic = true;                        // kms: false = legacy modesetting
    AllocatorKind kms_allocator = AllocatorKind::dumb;  // kms: dumb buffers or GBM
    bool fullscreen = false;                       // wayland: ask for a fullscreen window (kiosk)
};

struct BackendAvailability {
    std::string name;
    bool available = false;
    std::string reason;
};

// Which backends could run here, in `auto` order.
std::vector<BackendAvailability> probe_backends();

Result<std::unique_ptr<Backend>> make_backend(EventLoop& loop, const BackendOptions& options);

}  // namespace udefio
