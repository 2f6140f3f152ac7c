#include "input/libinput_context.hpp"

#include <fcntl.h>
#include <libinput.h>
#include <libudev.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "util/log.hpp"

namespace udefio {
namespace {

void log_libinput(libinput*, libinput_log_priority priority, const char* format, va_list args)
{
    const LogLevel level = priority >= LIBINPUT_LOG_PRIORITY_ERROR ? LogLevel::warn
                           : priority == LIBINPUT_LOG_PRIORITY_INFO ? LogLevel::info
                                                                    : LogLevel::debug;
    log_library(level, "libinput", format, args);
}

}  // namespace

int LibinputContext::open_restricted(const char* path, int flags, void* self)
{
    auto* context = static_cast<LibinputContext*>(self);
    SeatDevice device;
    if (context->seat_) {
        auto opened = context->seat_->open_device(path);
        if (!opened) {
            UDEFIO_LOG(warn, "input device %s: %s", path, opened.error().message().c_str());
            return -(opened.error().code ? opened.error().code : EIO);
        }
        device = std::move(opened).value();
    } else {
        device = SeatDevice(UniqueFd(::open(path, flags | O_CLOEXEC)));
        if (!device.valid()) {
            const int error = errno;
            UDEFIO_LOG(warn, "input device %s: open: %s%s", path, std::strerror(error),
                       error == EACCES ? " (run as root, in the 'input' group, or in a seat session)" : "");
            return -error;
        }
    }
    const int fd = device.fd();
    context->devices_.insert_or_assign(fd, std::move(device));
    return fd;
}

void LibinputContext::close_restricted(int fd, void* self)
{
    static_cast<LibinputContext*>(self)->devices_.erase(fd);  // through libseat, then close(2)
}

Result<std::unique_ptr<LibinputContext>> LibinputContext::create(EventLoop& loop, SeatSession* seat,
                                                                 Handler& handler)
{
    static const libinput_interface interface{open_restricted, close_restricted};
    auto context = std::make_unique<LibinputContext>(Key{}, seat, handler);
    context->udev_ = udev_new();
    if (!context->udev_)
        return errno_error("udev_new");
    context->libinput_ = libinput_udev_create_context(&interface, context.get(), context->udev_);
    if (!context->libinput_)
        return plain_error("libinput_udev_create_context failed");
    libinput_log_set_handler(context->libinput_, log_libinput);
    libinput_log_set_priority(context->libinput_, LIBINPUT_LOG_PRIORITY_INFO);
    const std::string seat_name = seat ? seat->name() : "seat0";
    if (libinput_udev_assign_seat(context->libinput_, seat_name.c_str()) != 0)
        return plain_error("libinput_udev_assign_seat(" + seat_name + ") failed (is udev's /run/udev there?)");
    auto watch = loop.watch_readable(libinput_get_fd(context->libinput_), [c = context.get()] { c->dispatch(); });
    if (!watch)
        return watch.error();
    context->watch_ = std::move(watch).value();
    return context;
}

LibinputContext::~LibinputContext()
{
    watch_ = EventSource();
    if (libinput_)
        libinput_unref(libinput_);  // closes every device through close_restricted
    if (udev_)
        udev_unref(udev_);
}

void LibinputContext::dispatch()
{
    if (const int r = libinput_dispatch(libinput_); r < 0)
        UDEFIO_LOG(warn, "libinput_dispatch: %s", std::strerror(-r));
    drain();
}

void LibinputContext::drain()
{
    while (libinput_event* event = libinput_get_event(libinput_)) {
        handler_.on_libinput_event(event);
        libinput_event_destroy(event);
    }
}

void LibinputContext::suspend()
{
    libinput_suspend(libinput_);
    drain();
}

void LibinputContext::resume()
{
    if (libinput_resume(libinput_) != 0)
        UDEFIO_LOG(warn, "libinput_resume failed: input devices were not opened again");
    drain();
}

}  // namespace udefio
