// Scanout buffers from libgbm (GBM_BO_USE_SCANOUT | GBM_BO_USE_LINEAR),
// mapped with gbm_bo_map, as an alternative to dumb buffers
// (`--allocator gbm`). It needs a Mesa driver for the DRM device (kms_swrast
// where there is no GPU); where libgbm cannot create a device or a buffer,
// the error says so and the KMS backend falls back to dumb buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backends/kms/scanout_buffer.hpp"
#include "util/result.hpp"

struct gbm_device;
struct gbm_bo;

namespace udefio {

class GbmDevice {
public:
    // On a DRM fd that outlives the device.
    static Result<std::unique_ptr<GbmDevice>> create(int drm_fd);
    ~GbmDevice();
    GbmDevice(const GbmDevice&) = delete;
    GbmDevice& operator=(const GbmDevice&) = delete;

    gbm_device* get() const { return device_; }
    int drm_fd() const { return drm_fd_; }
    std::string backend_name() const;

    GbmDevice(gbm_device* device, int drm_fd) : device_(device), drm_fd_(drm_fd) {}

private:
    gbm_device* device_;
    int drm_fd_;
};

class GbmBuffer final : public ScanoutBuffer {
public:
    static Result<std::unique_ptr<GbmBuffer>> create(const GbmDevice& device, uint32_t width, uint32_t height);
    ~GbmBuffer() override;
    GbmBuffer(const GbmBuffer&) = delete;
    GbmBuffer& operator=(const GbmBuffer&) = delete;

    uint32_t fb_id() const override { return fb_id_; }
    uint32_t pitch() const override { return pitch_; }
    std::byte* data() const override { return data_; }

    GbmBuffer(int drm_fd, gbm_bo* bo, uint32_t fb_id, void* map_data, std::byte* data, uint32_t pitch);

private:
    int drm_fd_;
    gbm_bo* bo_;
    uint32_t fb_id_;
    void* map_data_;  // gbm_bo_map's cookie for gbm_bo_unmap
    std::byte* data_;
    uint32_t pitch_;
};

}  // namespace udefio
