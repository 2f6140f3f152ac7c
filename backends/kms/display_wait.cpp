#include "backends/kms/display_wait.hpp"

#include <cstdio>

#include "backends/kms/drm_device.hpp"
#include "backends/kms/udev_monitor.hpp"
#include "util/log.hpp"

namespace udefio {

Result<std::string> wait_for_display(const std::string& device, std::chrono::milliseconds limit)
{
    auto found = DrmDevice::find_display(device);
    if (found || limit.count() <= 0)
        return found;
    // A loop of its own: nothing of the caller's runs while we wait.
    auto loop = EventLoop::create();
    if (!loop)
        return loop.error();
    auto monitor = UdevMonitor::create(**loop, [&](const DrmEvent&) {
        found = DrmDevice::find_display(device);
        if (found)
            (*loop)->stop();
    });
    if (!monitor)
        return Error{monitor.error().code, "--wait-device: " + monitor.error().what};
    // Again, now that events are heard: a card that came meanwhile counts.
    found = DrmDevice::find_display(device);
    if (found)
        return found;
    const double seconds = std::chrono::duration<double>(limit).count();
    UDEFIO_LOG(info, "%s; waiting up to %g s for one to appear (--wait-device)", found.error().message().c_str(),
               seconds);
    auto deadline = (*loop)->make_timer([&] { (*loop)->stop(); });
    if (!deadline)
        return deadline.error();
    deadline->arm(limit);
    const auto start = std::chrono::steady_clock::now();
    if ((*loop)->run() != 0)
        return plain_error("--wait-device: the event loop failed");
    if (!found) {
        char waited[32];
        std::snprintf(waited, sizeof waited, "%g s", seconds);
        return plain_error(std::string("no display device after waiting ") + waited +
                           " (--wait-device): " + found.error().message());
    }
    UDEFIO_LOG(info, "display device %s is there after %.1f s", found->c_str(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return found;
}

}  // namespace udefio
