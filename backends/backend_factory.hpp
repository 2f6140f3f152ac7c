// --backend NAME → a Backend; `auto` takes KMS if a usable DRM device exists,
// else Wayland if WAYLAND_DISPLAY is set and the compositor answers, else
// headless.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "backends/headless/headless_backend.hpp"
#include "backends/kms/kms_backend.hpp"
#include "backends/wayland/wayland_options.hpp"

namespace udefio {

// What to make: a backend's name and each backend's own options (only the
// chosen one's are used).
struct BackendOptions {
    std::string name = "auto";
    HeadlessOptions headless;
    KmsOptions kms;
    WaylandOutputOptions wayland;
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
