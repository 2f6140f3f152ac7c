// A KMS dumb buffer: created, registered as a framebuffer and mapped, and all
// three undone in the destructor (kmscube's order, reversed).
#pragma once

#include <cstdint>
#include <memory>

#include "backends/kms/scanout_buffer.hpp"
#include "util/mapping.hpp"
#include "util/result.hpp"

namespace udefio {

class DumbBuffer final : public ScanoutBuffer {
public:
    static Result<std::unique_ptr<DumbBuffer>> create(int fd, uint32_t width, uint32_t height);
    ~DumbBuffer() override;
    DumbBuffer(const DumbBuffer&) = delete;
    DumbBuffer& operator=(const DumbBuffer&) = delete;

    uint32_t fb_id() const override { return fb_id_; }
    uint32_t pitch() const override { return pitch_; }
    std::byte* data() const override { return mapping_.data(); }

    DumbBuffer(int fd, uint32_t handle, uint32_t pitch, uint32_t fb_id, Mapping mapping);

private:
    int fd_;
    uint32_t handle_;
    uint32_t pitch_;
    uint32_t fb_id_;
    Mapping mapping_;
};

}  // namespace udefio
