#include "compositor/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstring>

#include "util/log.hpp"

namespace udefio {

namespace {

void notify(const std::string& state)
{
    // 0: no NOTIFY_SOCKET, not under systemd. An error is logged, not fatal:
    // the display matters more than the service manager's view of it.
    if (const int r = sd_notify(0, state.c_str()); r < 0)
        UDEFIO_LOG(warn, "sd_notify(%s): %s", state.substr(0, state.find('\n')).c_str(), std::strerror(-r));
}

}  // namespace

Result<std::unique_ptr<SystemdNotifier>> SystemdNotifier::start(EventLoop& loop)
{
    uint64_t watchdog_usec = 0;
    if (const int r = sd_watchdog_enabled(0, &watchdog_usec); r < 0)
        return Error{-r, "WATCHDOG_USEC/WATCHDOG_PID from systemd"};
    auto notifier = std::make_unique<SystemdNotifier>(Key{}, std::chrono::microseconds(watchdog_usec / 2));
    auto timer = loop.make_timer([n = notifier.get()] { n->pet_watchdog(); });
    if (!timer)
        return timer.error();
    notifier->watchdog_ = std::move(timer).value();
    return notifier;
}

SystemdNotifier::SystemdNotifier(Key, std::chrono::microseconds watchdog_every) : watchdog_every_(watchdog_every)
{
}

SystemdNotifier::~SystemdNotifier()
{
    if (ready_)
        notify("STOPPING=1");
}

void SystemdNotifier::frame_presented(const std::string& status)
{
    if (ready_)
        return;
    ready_ = true;
    notify("READY=1\nSTATUS=" + status);
    // systemd watches from the end of the start-up, which READY=1 is.
    if (watchdog_every_.count() > 0)
        pet_watchdog();
}

void SystemdNotifier::pet_watchdog()
{
    notify("WATCHDOG=1");
    watchdog_.arm(watchdog_every_);
}

}  // namespace udefio
