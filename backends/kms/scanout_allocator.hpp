// Where the KMS output's scanout buffers come from (`--allocator`): dumb
// buffers, which every KMS driver has, or GBM buffer objects through Mesa.
// GBM is tried and, where libgbm has no driver for the device or cannot make
// a scanout buffer, the reason is logged and dumb buffers are used instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backends/kms/scanout_buffer.hpp"
#include "util/result.hpp"

namespace udefio {

enum class AllocatorKind { dumb, gbm };

Result<AllocatorKind> parse_allocator_kind(const std::string& name);

class GbmDevice;

class ScanoutAllocator {
public:
    static std::unique_ptr<ScanoutAllocator> choose(int drm_fd, AllocatorKind wanted);
    // Whether `kind` gives scanout buffers on this device, as choose() finds
    // out (a buffer made and freed now): what describe() would say, or why not.
    static Result<std::string> probe(int drm_fd, AllocatorKind kind);
    ~ScanoutAllocator();

    Result<std::unique_ptr<ScanoutBuffer>> allocate(uint32_t width, uint32_t height);
    // "dumb" or "gbm (<libgbm backend>)".
    std::string describe() const;

    ScanoutAllocator(int drm_fd, std::unique_ptr<GbmDevice> gbm);

private:
    const int drm_fd_;
    std::unique_ptr<GbmDevice> gbm_;  // null: dumb buffers
};

}  // namespace udefio
