#include "backends/gbm/gbm_buffer.hpp"

#include <gbm.h>
#include <xf86drmMode.h>

#include <cstring>

namespace udefio {

Result<std::unique_ptr<GbmDevice>> GbmDevice::create(int drm_fd)
{
    gbm_device* device = gbm_create_device(drm_fd);
    if (!device)
        return errno_error("gbm_create_device (no Mesa driver for this DRM device?)");
    return std::make_unique<GbmDevice>(device, drm_fd);
}

GbmDevice::~GbmDevice() { gbm_device_destroy(device_); }

std::string GbmDevice::backend_name() const
{
    const char* name = gbm_device_get_backend_name(device_);
    return name ? name : "?";
}

Result<std::unique_ptr<GbmBuffer>> GbmBuffer::create(const GbmDevice& device, uint32_t width, uint32_t height)
{
    const std::string size = std::to_string(width) + "x" + std::to_string(height);
    gbm_bo* bo = gbm_bo_create(device.get(), width, height, GBM_FORMAT_XRGB8888,
                               GBM_BO_USE_SCANOUT | GBM_BO_USE_LINEAR);
    if (!bo)
        return errno_error("gbm_bo_create(" + size + " XRGB8888, SCANOUT | LINEAR) on gbm backend " +
                           device.backend_name());
    const uint32_t handles[4] = {gbm_bo_get_handle(bo).u32};
    const uint32_t pitches[4] = {gbm_bo_get_stride(bo)};
    const uint32_t offsets[4] = {0};
    uint32_t fb_id = 0;
    if (drmModeAddFB2(device.drm_fd(), width, height, GBM_FORMAT_XRGB8888, handles, pitches, offsets, &fb_id, 0) !=
        0) {
        const Error error = errno_error("drmModeAddFB2 for a GBM buffer " + size);
        gbm_bo_destroy(bo);
        return error;
    }
    uint32_t stride = 0;
    void* map_data = nullptr;
    void* data = gbm_bo_map(bo, 0, 0, width, height, GBM_BO_TRANSFER_READ_WRITE, &stride, &map_data);
    if (!data) {
        const Error error = errno_error("gbm_bo_map " + size);
        drmModeRmFB(device.drm_fd(), fb_id);
        gbm_bo_destroy(bo);
        return error;
    }
    std::memset(data, 0, size_t(stride) * height);
    return std::make_unique<GbmBuffer>(device.drm_fd(), bo, fb_id, map_data, static_cast<std::byte*>(data), stride);
}

GbmBuffer::GbmBuffer(int drm_fd, gbm_bo* bo, uint32_t fb_id, void* map_data, std::byte* data, uint32_t pitch)
    : drm_fd_(drm_fd), bo_(bo), fb_id_(fb_id), map_data_(map_data), data_(data), pitch_(pitch)
{
}

GbmBuffer::~GbmBuffer()
{
    gbm_bo_unmap(bo_, map_data_);
    drmModeRmFB(drm_fd_, fb_id_);
    gbm_bo_destroy(bo_);
}

}  // namespace udefio
