// A buffer a KMS plane scans out from, mapped for the CPU: a dumb buffer
// (kms/dumb_buffer.*) or a GBM buffer object (gbm/gbm_buffer.*). The KMS
// output copies damage into it and commits its framebuffer id.
#pragma once

#include <cstddef>
#include <cstdint>


namespace udefio {

class ScanoutBuffer {
public:
    virtual ~ScanoutBuffer() = default;

    virtual uint32_t fb_id() const = 0;
    virtual uint32_t pitch() const = 0;
    virtual std::byte* data() const = 0;
};

}  // namespace udefio
