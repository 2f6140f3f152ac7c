// Tells systemd how udefio is doing when it runs as a Type=notify service
// (udefio-kiosk.service): READY=1 once the first frame is on the display,
// so that what is ordered after the kiosk starts when there is something
// to see; WATCHDOG=1 from the event loop at half the unit's WatchdogSec, so
// that a loop that hangs gets udefio restarted; STOPPING=1 when it ends.
// Outside systemd (no NOTIFY_SOCKET) it sends nothing.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "loop/event_loop.hpp"

namespace udefio {

class SystemdNotifier {
public:
    static Result<std::unique_ptr<SystemdNotifier>> start(EventLoop& loop);
    // STOPPING=1, if it said READY=1.
    ~SystemdNotifier();

    // Loop thread, with each presented frame: the first one sends READY=1
    // and `status` (what runs where, for `systemctl status`).
    void frame_presented(const std::string& status);
    bool ready() const { return ready_; }

    struct Key {
        explicit Key() = default;
    };
    explicit SystemdNotifier(Key, std::chrono::microseconds watchdog_every);

private:
    void pet_watchdog();

    EventSource watchdog_;
    const std::chrono::microseconds watchdog_every_;
    bool ready_ = false;
};

}  // namespace udefio
