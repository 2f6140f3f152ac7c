// The CRC of what a CRTC composed, from debugfs (vkms computes one per frame):
// how the KMS lane and its benchmark see a picture on a driver with no screen.
#pragma once

#include <cstdint>
#include <string>

#include "util/unique_fd.hpp"

namespace udefio {

class CrtcCrc {
public:
    // Starts CRC generation ("auto" source) on CRTC 0 of DRM minor 0.
    CrtcCrc();
    bool available() const { return bool(data_); }

    // The newest entry among those queued so far, one per frame: the CRC
    // ("0x…") and the vblank it was composed for; empty if none arrived
    // since the last call.
    struct Entry {
        uint64_t frame = 0;
        std::string crc;
    };
    Entry latest();
    // The oldest entry queued, or an empty one.
    Entry next();
    // Drops the queued entries, lets a few frames pass, returns the newest.
    std::string settled();

private:
    UniqueFd data_;
};

}  // namespace udefio
