// A KMS dumb buffer: created, registered as a framebuffer and mapped, and all
// three undone in the destructor (kmscube's order, reversed).
#pragma once

#include <cstdint>
#include <memory>

#include "defio/damage.hpp"
#include "defio/mapping.hpp"
#include "defio/result.hpp"

namespace udefio {

class DumbBuffer {
public:
    static Result<std::unique_ptr<DumbBuffer>> create(int fd, uint32_t width, uint32_t height);
    ~DumbBuffer();
    DumbBuffer(const DumbBuffer&) = delete;
    DumbBuffer& operator=(const DumbBuffer&) = delete;

    uint32_t fb_id() const { return fb_id_; }
    uint32_t pitch() const { return pitch_; }
    std::byte* data() const { return mapping_.data(); }

    // Damage this buffer has not received yet: the frames that went to the
    // other buffer while this one was on screen (its "age").
    Damage& missed() { return missed_; }

    DumbBuffer(int fd, uint32_t handle, uint32_t pitch, uint32_t fb_id, Mapping mapping);

private:
    int fd_;
    uint32_t handle_;
    uint32_t pitch_;
    uint32_t fb_id_;
    Mapping mapping_;
    Damage missed_;
};

}  // namespace udefio
