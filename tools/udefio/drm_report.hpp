// `udefio info`'s display devices, as drm_info shows them: each DRM card's
// driver, connectors (status, modes), CRTCs and planes with the properties
// udefio uses (FB_DAMAGE_CLIPS, IN_FENCE_FD, OUT_FENCE_PTR), whether it
// could take DRM master, and whether dumb buffers and GBM give scanout
// buffers there (the KMS backend's own allocators, tried).
#pragma once

namespace udefio::cli {

void print_drm_devices();

}  // namespace udefio::cli
