// The CRC of what a CRTC composed, from debugfs (vkms computes one per frame):
// how the KMS lane and its benchmark see a picture on a driver with no screen.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tools/crc/vblank_counter.hpp"
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
    // The CRC of the first frame composed after `vblanks`' counter now:
    // vkms composes in a worker that may run several vblanks late and labels
    // its CRC with every vblank queued since it last ran, so only an entry
    // labelled after now was composed after now (from what is committed now).
    // Waits for it (poll on the data file) for up to 30 s; empty if none came.
    std::string settled(const VblankCounter& vblanks);
    // The first entry queued whose CRC is not `crc`: the first picture
    // composed after it changed. Waits for it (poll) up to `timeout`; empty
    // if none came.
    Entry first_unlike(const std::string& crc, std::chrono::milliseconds timeout);
    // The oldest entry queued, waiting for one up to `timeout`; empty if none came.
    Entry wait_next(std::chrono::milliseconds timeout);

private:
    template <typename Wanted>
    Entry first_entry(Wanted wanted, std::chrono::milliseconds timeout);

    UniqueFd data_;
};

}  // namespace udefio
