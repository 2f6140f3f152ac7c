// The CRC of what a CRTC composed, from debugfs (vkms computes one per frame):
// how the KMS lane and its benchmark see a picture on a driver with no screen.
#pragma once

#include <string>

#include "util/unique_fd.hpp"

namespace udefio {

class CrtcCrc {
public:
    // Starts CRC generation ("auto" source) on CRTC 0 of DRM minor 0.
    CrtcCrc();
    bool available() const { return bool(data_); }

    // The newest CRC ("0x…") among the entries queued so far, one per frame;
    // empty if none arrived since the last call.
    std::string latest();
    // Drops the queued entries, lets a few frames pass, returns the newest.
    std::string settled();

private:
    UniqueFd data_;
};

}  // namespace udefio
