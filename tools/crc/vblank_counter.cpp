#include "tools/crc/vblank_counter.hpp"

#include <fcntl.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

namespace udefio {

VblankCounter::VblankCounter()
{
    fd_.reset(::open("/dev/dri/card0", O_RDWR | O_CLOEXEC));
    // The first opener may become master: the KMS backend needs that.
    if (fd_)
        drmDropMaster(fd_.get());
    drmModeRes* res = fd_ ? drmModeGetResources(fd_.get()) : nullptr;
    if (!res)
        return;
    if (res->count_crtcs > 0)
        crtc_ = res->crtcs[0];
    drmModeFreeResources(res);
}

uint64_t VblankCounter::sequence() const
{
    uint64_t sequence = 0, ns = 0;
    if (!fd_ || drmCrtcGetSequence(fd_.get(), crtc_, &sequence, &ns) != 0)
        return 0;
    return sequence;
}

}  // namespace udefio
