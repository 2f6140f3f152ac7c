// --wait-device: at boot the DRM driver may probe after udefio starts (a
// module loaded late, a display that takes its time). Instead of failing, or
// an external watchdog restarting udefio until it works, wait for udev's drm
// events until a card with a connected display is there, saying so once.
#pragma once

#include <chrono>
#include <string>

#include "util/result.hpp"

namespace udefio {

// The card (DrmDevice::find_display of `device`, empty = any), waiting up to
// `limit` for it; the reason there is none when the time is up.
Result<std::string> wait_for_display(const std::string& device, std::chrono::milliseconds limit);

}  // namespace udefio
