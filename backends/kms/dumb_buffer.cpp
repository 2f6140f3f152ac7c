#include "backends/kms/dumb_buffer.hpp"

#include <drm_fourcc.h>
#include <sys/mman.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <cstring>

namespace udefio {
namespace {

void destroy_dumb(int fd, uint32_t handle)
{
    drm_mode_destroy_dumb destroy{};
    destroy.handle = handle;
    drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
}

}  // namespace

Result<std::unique_ptr<DumbBuffer>> DumbBuffer::create(int fd, uint32_t width, uint32_t height)
{
    drm_mode_create_dumb create{};
    create.width = width;
    create.height = height;
    create.bpp = 32;
    if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0)
        return errno_error("DRM_IOCTL_MODE_CREATE_DUMB " + std::to_string(width) + "x" + std::to_string(height));
    const uint32_t handles[4] = {create.handle};
    const uint32_t pitches[4] = {create.pitch};
    const uint32_t offsets[4] = {0};
    uint32_t fb_id = 0;
    if (drmModeAddFB2(fd, width, height, DRM_FORMAT_XRGB8888, handles, pitches, offsets, &fb_id, 0) != 0) {
        const Error error = errno_error("drmModeAddFB2(XRGB8888)");
        destroy_dumb(fd, create.handle);
        return error;
    }
    drm_mode_map_dumb map{};
    map.handle = create.handle;
    auto fail = [&](Error error) -> Result<std::unique_ptr<DumbBuffer>> {
        drmModeRmFB(fd, fb_id);
        destroy_dumb(fd, create.handle);
        return error;
    };
    if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) != 0)
        return fail(errno_error("DRM_IOCTL_MODE_MAP_DUMB"));
    auto mapping = Mapping::map_shared(fd, create.size, PROT_READ | PROT_WRITE, static_cast<off_t>(map.offset));
    if (!mapping)
        return fail(mapping.error());
    std::memset(mapping->data(), 0, mapping->size());
    return std::make_unique<DumbBuffer>(fd, create.handle, create.pitch, fb_id, std::move(mapping).value());
}

DumbBuffer::DumbBuffer(int fd, uint32_t handle, uint32_t pitch, uint32_t fb_id, Mapping mapping)
    : fd_(fd), handle_(handle), pitch_(pitch), fb_id_(fb_id), mapping_(std::move(mapping))
{
}

DumbBuffer::~DumbBuffer()
{
    mapping_ = Mapping();
    drmModeRmFB(fd_, fb_id_);
    destroy_dumb(fd_, handle_);
}

}  // namespace udefio
