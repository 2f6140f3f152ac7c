// An open DRM primary node on which we are master, with the client caps the
// KMS output needs. Errors name the device and say what to do.
#pragma once

#include <string>

#include "util/result.hpp"
#include "seat/seat_session.hpp"

namespace udefio {

class DrmDevice {
public:
    // `path` empty: the first /dev/dri/card* with a connected connector.
    // Through `seat` when there is one (it hands over DRM master), else directly.
    static Result<DrmDevice> open(const std::string& path, bool allow_atomic, SeatSession* seat);
    // The card a display would go to: `path` if it has a connected connector,
    // or (empty) the first /dev/dri/card* that has one; else why there is none.
    static Result<std::string> find_display(const std::string& path);

    int fd() const { return fd_.fd(); }
    const std::string& path() const { return path_; }
    bool atomic() const { return atomic_; }

private:
    DrmDevice(SeatDevice fd, std::string path, bool atomic) : fd_(std::move(fd)), path_(std::move(path)), atomic_(atomic) {}

    SeatDevice fd_;  // closed through the seat that opened it, if one did
    std::string path_;
    bool atomic_;
};

}  // namespace udefio
