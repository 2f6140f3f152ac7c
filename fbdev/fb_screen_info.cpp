#include "fbdev/fb_screen_info.hpp"

#include <cerrno>
#include <cstring>

#include "util/mapping.hpp"

namespace udefio::fbdev {
namespace {

constexpr uint32_t kMaxBpp = 32;

uint32_t round_up4(uint32_t n) { return (n + 3) / 4 * 4; }

bool supported_bpp(uint32_t bpp) { return bpp == 16 || bpp == 24 || bpp == 32; }

// drm_fb_helper_fill_pixel_fmt for the format udefio uses at each depth:
// RGB565, RGB888 and XRGB8888.
void fill_pixel_format(fb_var_screeninfo& var, uint32_t bpp)
{
    var.red = var.green = var.blue = var.transp = fb_bitfield{};
    if (bpp == 16) {
        var.red = {11, 5, 0};
        var.green = {5, 6, 0};
        var.blue = {0, 5, 0};
    } else {
        var.red = {16, 8, 0};
        var.green = {8, 8, 0};
        var.blue = {0, 8, 0};
    }
}

bool same_bitfield(const fb_bitfield& a, const fb_bitfield& b)
{
    return a.offset == b.offset && a.length == b.length && a.msb_right == b.msb_right;
}

// drm_fb_pixel_format_equal, against the one format of `bpp`.
bool pixel_format_is(const fb_var_screeninfo& var, uint32_t bpp)
{
    fb_var_screeninfo want{};
    fill_pixel_format(want, bpp);
    return same_bitfield(var.red, want.red) && same_bitfield(var.green, want.green) &&
           same_bitfield(var.blue, want.blue) && same_bitfield(var.transp, want.transp);
}

bool pixel_format_is_zero(const fb_var_screeninfo& var)
{
    const fb_bitfield zero{};
    return same_bitfield(var.red, zero) && same_bitfield(var.green, zero) && same_bitfield(var.blue, zero) &&
           same_bitfield(var.transp, zero);
}

}  // namespace

FbScreenInfo::FbScreenInfo(const ScreenMode& mode) : mode_(mode)
{
    // drm_fb_helper_fill_var
    var_.xres = mode.width;
    var_.yres = mode.height;
    var_.bits_per_pixel = kMaxBpp;
    fill_var(var_);
    fill_pixel_format(var_, kMaxBpp);
    var_.activate = FB_ACTIVATE_NOW;
}

size_t FbScreenInfo::memory_bytes(const ScreenMode& mode)
{
    return size_t{mode.width} * (kMaxBpp / 8) * mode.height * 2;
}

void FbScreenInfo::fill_var(fb_var_screeninfo& var) const
{
    var.xres_virtual = mode_.width;
    var.yres_virtual = mode_.height * 2;
    var.accel_flags = 0;
    var.width = mode_.width_mm;
    var.height = mode_.height_mm;
    var.left_margin = var.right_margin = 0;
    var.upper_margin = var.lower_margin = 0;
    var.hsync_len = var.vsync_len = 0;
    var.sync = var.vmode = 0;
    var.rotate = 0;
    var.colorspace = 0;
    std::memset(var.reserved, 0, sizeof var.reserved);
}

uint32_t FbScreenInfo::line_length_for(uint32_t bpp) const { return round_up4(mode_.width * (bpp / 8)); }

fb_fix_screeninfo FbScreenInfo::fix() const
{
    fb_fix_screeninfo fix{};
    std::strncpy(fix.id, "udefiodrmfb", sizeof fix.id - 1);
    // The kernel hides smem_start (FBINFO_HIDE_SMEM_START): 0, page aligned.
    fix.smem_start = 0;
    fix.smem_len = static_cast<uint32_t>(memory_bytes(mode_));
    fix.type = FB_TYPE_PACKED_PIXELS;
    fix.visual = FB_VISUAL_TRUECOLOR;
    fix.xpanstep = 1;
    fix.ypanstep = 1;
    fix.ywrapstep = 0;
    fix.line_length = line_length();
    // No MMIO and no acceleration: SDL and DirectFB would map MMIO at smem_len otherwise.
    fix.mmio_start = 0;
    fix.mmio_len = 0;
    fix.accel = FB_ACCEL_NONE;
    return fix;
}

size_t FbScreenInfo::shown_offset() const
{
    return size_t{var_.yoffset} * line_length() + size_t{var_.xoffset} * bytes_per_pixel();
}

PutVarResult FbScreenInfo::put_var(fb_var_screeninfo& var)
{
    PutVarResult result;
    // fb_chrdev.c: only for kernel-internal use.
    var.activate &= ~FB_ACTIVATE_KD_TEXT;

    // fb_set_var
    if (var.activate & FB_ACTIVATE_INV_MODE) {
        // Deleting a video mode from the mode list: only the current one exists.
        const bool current = var.xres == var_.xres && var.yres == var_.yres &&
                             var.bits_per_pixel == var_.bits_per_pixel;
        result.error = current ? EINVAL : 0;
        return result;
    }
    const bool now = (var.activate & FB_ACTIVATE_MASK) == FB_ACTIVATE_NOW;
    if (!(var.activate & FB_ACTIVATE_FORCE) && std::memcmp(&var, &var_, sizeof var) == 0) {
        result.flush_hint = now;
        return result;
    }
    // bitfill_aligned() assumes at least 8x8.
    if (var.xres < 8 || var.yres < 8) {
        result.error = EINVAL;
        return result;
    }

    // drm_fb_helper_check_var, with 16/24/32 bpp and twice the height allowed.
    var.pixclock = 0;  // changing the pixel clock is not supported; ignored
    // The kernel turns any depth up to the framebuffer's into the
    // framebuffer's own (__fill_var); udefio keeps the three it converts.
    if (var.bits_per_pixel <= kMaxBpp && !supported_bpp(var.bits_per_pixel))
        var.bits_per_pixel = var_.bits_per_pixel;
    if (var.bits_per_pixel > kMaxBpp || var.xres > mode_.width || var.yres > mode_.height ||
        var.xres_virtual > mode_.width || var.yres_virtual > mode_.height * 2) {
        result.error = EINVAL;
        return result;
    }
    fill_var(var);
    if (var.yoffset > var.yres_virtual - var.yres || var.xoffset > var.xres_virtual - var.xres) {
        result.error = EINVAL;
        return result;
    }
    // Neither grayscale nor FOURCC (also stored in grayscale), nor nonstd formats.
    if (var.grayscale > 0 || var.nonstd) {
        result.error = EINVAL;
        return result;
    }
    // SDL 1.2 sets every pixel format field to zero: "use what fits". A new
    // depth brings its own format, as fbdev drivers' check_var sets it (the
    // DRM emulation refuses any new depth; SDL's mode probe only changes
    // bits_per_pixel).
    if (pixel_format_is_zero(var) || var.bits_per_pixel != var_.bits_per_pixel)
        fill_pixel_format(var, var.bits_per_pixel);
    if (!pixel_format_is(var, var.bits_per_pixel)) {
        result.error = EINVAL;
        return result;
    }
    if (!now)
        return result;  // FB_ACTIVATE_TEST and friends: checked, not applied

    result.format_changed = var.bits_per_pixel != var_.bits_per_pixel;
    var_ = var;
    result.applied = true;
    result.flush_hint = true;
    return result;
}

int FbScreenInfo::pan(const fb_var_screeninfo& var)
{
    // fb_pan_display with ypanstep = xpanstep = 1 and no ywrap.
    uint32_t yres = var_.yres;
    if (var.yoffset > 0 && (var.vmode & FB_VMODE_YWRAP))
        return EINVAL;  // ywrapstep is 0
    if (var.yoffset > var_.yres_virtual - yres || var.xoffset > var_.xres_virtual - var_.xres)
        return EINVAL;
    var_.xoffset = var.xoffset;
    var_.yoffset = var.yoffset;
    var_.vmode &= ~FB_VMODE_YWRAP;
    return 0;
}

}  // namespace udefio::fbdev
