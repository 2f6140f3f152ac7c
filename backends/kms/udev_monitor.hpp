// DRM hotplug and removal events from libudev, delivered on the event loop.
// Listens to udevd's events when udevd runs (after its rules ran), else to
// the kernel's own uevents (an initramfs, a minimal kiosk image).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "loop/event_loop.hpp"

struct udev;
struct udev_monitor;

namespace udefio {

struct DrmEvent {
    std::string action;  // "add", "remove", "change"
    dev_t devnum = 0;
};

class UdevMonitor {
public:
    using Callback = std::function<void(const DrmEvent&)>;
    static Result<std::unique_ptr<UdevMonitor>> create(EventLoop& loop, Callback callback);
    ~UdevMonitor();

    UdevMonitor(udev* context, udev_monitor* monitor, Callback callback);

private:
    void dispatch();  // loop thread

    udev* context_;
    udev_monitor* monitor_;
    Callback callback_;
    EventSource watch_;
};

}  // namespace udefio
