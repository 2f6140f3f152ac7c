#include "backends/kms/udev_monitor.hpp"

#include <libudev.h>
#include <unistd.h>


namespace udefio {

Result<std::unique_ptr<UdevMonitor>> UdevMonitor::create(EventLoop& loop, Callback callback)
{
    udev* context = udev_new();
    if (!context)
        return errno_error("udev_new");
    const char* source = ::access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
    udev_monitor* monitor = udev_monitor_new_from_netlink(context, source);
    if (!monitor) {
        udev_unref(context);
        return errno_error(std::string("udev_monitor_new_from_netlink(") + source + ")");
    }
    auto result = std::make_unique<UdevMonitor>(context, monitor, std::move(callback));
    if (udev_monitor_filter_add_match_subsystem_devtype(monitor, "drm", nullptr) < 0 ||
        udev_monitor_enable_receiving(monitor) < 0)
        return errno_error("enabling the udev monitor for drm events");
    auto watch = loop.watch_readable(udev_monitor_get_fd(monitor), [m = result.get()] { m->dispatch(); });
    if (!watch)
        return watch.error();
    result->watch_ = std::move(watch).value();
    return result;
}

UdevMonitor::UdevMonitor(udev* context, udev_monitor* monitor, Callback callback)
    : context_(context), monitor_(monitor), callback_(std::move(callback))
{
}

UdevMonitor::~UdevMonitor()
{
    watch_ = EventSource();
    udev_monitor_unref(monitor_);
    udev_unref(context_);
}

void UdevMonitor::dispatch()
{
    while (udev_device* device = udev_monitor_receive_device(monitor_)) {
        DrmEvent event;
        const char* action = udev_device_get_action(device);
        event.action = action ? action : "";
        event.devnum = udev_device_get_devnum(device);
        udev_device_unref(device);
        callback_(event);
    }
}

}  // namespace udefio
