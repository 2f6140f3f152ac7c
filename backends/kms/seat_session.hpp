// A libseat session: the seat daemon (seatd, logind) or libseat's builtin
// backend opens the DRM device for us and hands over DRM master, as on a
// desktop-less kiosk it should. When no seat can be opened (no daemon, no
// permission) the KMS backend opens the device itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "loop/event_loop.hpp"
#include "util/unique_fd.hpp"

struct libseat;

namespace udefio {

class SeatSession {
public:
    static Result<std::unique_ptr<SeatSession>> open(EventLoop& loop);
    ~SeatSession();

    std::string name() const;
    bool active() const { return active_; }
    Result<UniqueFd> open_device(const std::string& path);

    SeatSession() = default;

private:
    static void on_enable(libseat* seat, void* self);
    static void on_disable(libseat* seat, void* self);

    libseat* seat_ = nullptr;
    bool active_ = false;          // the seat is ours (not switched away)
    std::vector<int> device_ids_;  // closed through libseat on destruction
    EventSource watch_;
};

}  // namespace udefio
