// CRTC 0's vblank counter on DRM minor 0, read through its own fd: what the
// CRC entries of vkms are labelled with (tools/crc/crtc_crc.hpp).
#pragma once

#include <cstdint>

#include "util/unique_fd.hpp"

namespace udefio {

class VblankCounter {
public:
    VblankCounter();
    // The counter now; 0 if it cannot be read.
    uint64_t sequence() const;

private:
    UniqueFd fd_;
    uint32_t crtc_ = 0;
};

}  // namespace udefio
