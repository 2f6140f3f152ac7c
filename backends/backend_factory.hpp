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

// What `auto` does when it finds no display it can use.
enum class Fallback {
    absent,    // headless when there is no display device at all (said); one that fails is an error
    headless,  // headless also when a display device is there but cannot be used (said)
    none,      // never headless: no usable display is an error
};
Result<Fallback> parse_fallback(const std::string& name);

// An option given for some backends only, e.g. {"--mode", {"kms"}}.
struct BackendSpecificOption {
    std::string flag;
    std::vector<std::string> backends;
};

// What to make: a backend's name and each backend's own options (only the
// chosen one's are used).
struct BackendOptions {
    std::string name = "auto";
    HeadlessOptions headless;
    KmsOptions kms;
    WaylandOutputOptions wayland;
    Fallback fallback = Fallback::absent;
    // The backend-specific options that were given: one that does not apply to
    // the backend made is an error, not ignored (auto on headless: unless
    // --fallback headless).
    std::vector<BackendSpecificOption> given;
    // The session's seat, which must outlive the backend; KMS opens its
    // device through it. Null: KMS opens a seat of its own, or none.
    SeatSession* seat = nullptr;
};

// An error naming the first option in `options.given` that does not apply to `backend`.
Result<void> check_options_apply(const BackendOptions& options, const std::string& backend);

struct BackendAvailability {
    std::string name;
    bool available = false;
    std::string reason;
};

// Which backends could run here, in `auto` order.
std::vector<BackendAvailability> probe_backends();

// Whether `options` may make a KMS backend here (then the caller opens the
// seat it shares with the input layer first).
bool may_use_kms(const BackendOptions& options);

// --wait-device (options.kms.wait_device > 0, backend kms or auto): waits
// for a display device to appear. An error only for kms; auto goes on
// without one (make_backend then says what is missing).
Result<void> wait_for_display_if_asked(const BackendOptions& options);

// The backend `options` name (auto: the first that works here), after
// wait_for_display_if_asked.
Result<std::unique_ptr<Backend>> make_backend(EventLoop& loop, const BackendOptions& options);

}  // namespace udefio
