// struct fb_var_screeninfo and fb_fix_screeninfo for one mode, as the
// kernel's DRM fbdev emulation (drivers/gpu/drm/drm_fb_helper.c) reports and
// changes them, with what udefio adds: 16, 24 and 32 bpp (converted at the
// flush), and a virtual height of twice the mode for page flipping, as
// drm_fbdev_overalloc=200 gives. Plain state, no locking: the owner locks.
#pragma once

#include <linux/fb.h>

#include <cstddef>
#include <cstdint>

#include "fbdev/screen.hpp"

namespace udefio::fbdev {

// The result of FBIOPUT_VSCREENINFO.
struct PutVarResult {
    int error = 0;             // 0 or the errno the kernel gives
    bool applied = false;      // the state changed (FB_ACTIVATE_NOW and a different var)
    bool format_changed = false;  // bpp changed: every shown pixel means something else
    bool flush_hint = false;   // FB_ACTIVATE_NOW (or _FORCE) succeeded: show what is drawn now
};

class FbScreenInfo {
public:
    explicit FbScreenInfo(const ScreenMode& mode);

    // The size of the framebuffer memory: 32 bpp rows, twice the mode's height.
    static size_t memory_bytes(const ScreenMode& mode);

    const fb_var_screeninfo& var() const { return var_; }
    fb_fix_screeninfo fix() const;

    // FBIOPUT_VSCREENINFO. `var` is what the program passed and becomes what
    // the kernel copies back to it (adjusted), whatever the result.
    PutVarResult put_var(fb_var_screeninfo& var);
    // FBIOPAN_DISPLAY: 0 or EINVAL (fb_pan_display's checks).
    int pan(const fb_var_screeninfo& var);

    uint32_t line_length() const { return line_length_for(var_.bits_per_pixel); }
    uint32_t bytes_per_pixel() const { return var_.bits_per_pixel / 8; }
    // Byte offset, in the memory, of the shown top-left pixel.
    size_t shown_offset() const;

private:
    uint32_t line_length_for(uint32_t bpp) const;
    void fill_var(fb_var_screeninfo& var) const;  // drm_fb_helper's __fill_var

    ScreenMode mode_;
    fb_var_screeninfo var_{};
};

}  // namespace udefio::fbdev
