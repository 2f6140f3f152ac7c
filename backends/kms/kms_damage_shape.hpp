// What a KMS device wants to be told of a frame's damage (Sink::damage_shape):
// drivers that merge the clips into one rectangle anyway get one bounding
// box, the others every rectangle the exact damage has (up to DIRTYFB's 256).
#pragma once

#include <string>

#include "defio/sink.hpp"

namespace udefio {

// `driver`: the DRM driver's name (drmGetVersion). FB_DAMAGE_CLIPS and
// DIRTYFB (DRM_MODE_FB_DIRTY_MAX_CLIPS) both take up to 256 rectangles.
DamageShape kms_damage_shape(const std::string& driver);

// The DRM driver's name of an open device ("virtio_gpu", "vkms", ...), or "".
std::string drm_driver_name(int fd);

}  // namespace udefio
