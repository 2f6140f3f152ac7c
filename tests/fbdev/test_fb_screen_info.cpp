// FBIOGET/PUT_VSCREENINFO, FBIOGET_FSCREENINFO and FBIOPAN_DISPLAY as the
// kernel's DRM fbdev emulation answers them (drm_fb_helper_check_var,
// fb_set_var, fb_pan_display), with udefio's 16/24 bpp and double height.
#include <gtest/gtest.h>

#include "fbdev/fb_screen_info.hpp"
#include "util/mapping.hpp"

using namespace udefio;
using namespace udefio::fbdev;

namespace {

ScreenMode mode_640x480() { return ScreenMode{640, 480, 60000, 0, 0}; }

}  // namespace

TEST(FbScreenInfo, StartsAsXrgb8888WithTwiceTheHeight)
{
    FbScreenInfo info(mode_640x480());
    const fb_var_screeninfo& var = info.var();
    EXPECT_EQ(var.xres, 640u);
    EXPECT_EQ(var.yres, 480u);
    EXPECT_EQ(var.xres_virtual, 640u);
    EXPECT_EQ(var.yres_virtual, 960u);
    EXPECT_EQ(var.bits_per_pixel, 32u);
    EXPECT_EQ(var.red.offset, 16u);
    EXPECT_EQ(var.green.offset, 8u);
    EXPECT_EQ(var.blue.offset, 0u);
    EXPECT_EQ(var.transp.length, 0u);
    const fb_fix_screeninfo fix = info.fix();
    EXPECT_EQ(fix.line_length, 640u * 4);
    EXPECT_EQ(fix.smem_len, 640u * 4 * 960);
    EXPECT_EQ(fix.smem_start % page_size(), 0u);
    EXPECT_EQ(fix.accel, uint32_t{FB_ACCEL_NONE});
    EXPECT_EQ(fix.mmio_len, 0u);
    EXPECT_EQ(fix.type, uint32_t{FB_TYPE_PACKED_PIXELS});
    EXPECT_EQ(fix.visual, uint32_t{FB_VISUAL_TRUECOLOR});
    EXPECT_EQ(fix.ypanstep, 1);
    EXPECT_EQ(fix.ywrapstep, 0);
}

TEST(FbScreenInfo, UnchangedVarIsAFlushHintAndNothingElse)
{
    FbScreenInfo info(mode_640x480());
    fb_var_screeninfo var = info.var();
    const PutVarResult r = info.put_var(var);
    EXPECT_EQ(r.error, 0);
    EXPECT_FALSE(r.applied);
    EXPECT_TRUE(r.flush_hint);
    // LVGL's refresh: the same var with FB_ACTIVATE_FORCE.
    var.activate = FB_ACTIVATE_NOW | FB_ACTIVATE_FORCE;
    const PutVarResult forced = info.put_var(var);
    EXPECT_EQ(forced.error, 0);
    EXPECT_TRUE(forced.flush_hint);
    EXPECT_FALSE(forced.format_changed);
}

TEST(FbScreenInfo, SdlStyleZeroedFormatGets565At16Bpp)
{
    FbScreenInfo info(mode_640x480());
    fb_var_screeninfo var = info.var();
    var.bits_per_pixel = 16;
    var.red = var.green = var.blue = var.transp = fb_bitfield{};
    var.yres_virtual = 960;
    var.pixclock = 39721;  // SDL's VESA timings; the emulation ignores them
    var.left_margin = 48;
    const PutVarResult r = info.put_var(var);
    ASSERT_EQ(r.error, 0);
    EXPECT_TRUE(r.applied);
    EXPECT_TRUE(r.format_changed);
    EXPECT_EQ(var.red.offset, 11u);
    EXPECT_EQ(var.green.length, 6u);
    EXPECT_EQ(var.pixclock, 0u);
    EXPECT_EQ(var.left_margin, 0u);
    EXPECT_EQ(info.line_length(), 640u * 2);
    EXPECT_EQ(info.var().bits_per_pixel, 16u);
}

TEST(FbScreenInfo, ANewDepthBringsItsFormat)
{
    // SDL's mode probe: the current var with another bits_per_pixel, FB_ACTIVATE_TEST.
    FbScreenInfo info(mode_640x480());
    fb_var_screeninfo var = info.var();
    var.bits_per_pixel = 16;
    var.activate = FB_ACTIVATE_TEST;
    ASSERT_EQ(info.put_var(var).error, 0);
    EXPECT_EQ(var.bits_per_pixel, 16u);
    EXPECT_EQ(var.red.offset, 11u);
    EXPECT_EQ(var.green.length, 6u);
}

TEST(FbScreenInfo, TwentyFourBppRowsAreFourByteAligned)
{
    FbScreenInfo info(ScreenMode{641, 480});
    fb_var_screeninfo var = info.var();
    var.xres = var.xres_virtual = 641;
    var.bits_per_pixel = 24;
    ASSERT_EQ(info.put_var(var).error, 0);
    EXPECT_EQ(info.line_length(), 1924u);  // 641 * 3 = 1923, rounded up
}

TEST(FbScreenInfo, ImpossibleGeometryIsRefusedWithEinval)
{
    FbScreenInfo info(mode_640x480());
    const fb_var_screeninfo good = info.var();
    auto put = [&](auto change) {
        fb_var_screeninfo var = good;
        change(var);
        return info.put_var(var).error;
    };
    EXPECT_EQ(put([](auto& v) { v.xres = 641; }), EINVAL);
    EXPECT_EQ(put([](auto& v) { v.yres = 481; }), EINVAL);
    EXPECT_EQ(put([](auto& v) { v.yres_virtual = 961; }), EINVAL);
    EXPECT_EQ(put([](auto& v) { v.xres_virtual = 1280; }), EINVAL);
    EXPECT_EQ(put([](auto& v) { v.bits_per_pixel = 64; }), EINVAL);
    EXPECT_EQ(put([](auto& v) { v.xres = 4; }), EINVAL);
    EXPECT_EQ(put([](auto& v) { v.grayscale = 1; }), EINVAL);
    EXPECT_EQ(put([](auto& v) { v.nonstd = 1; }), EINVAL);
    EXPECT_EQ(put([](auto& v) { v.yoffset = 481; }), EINVAL);
    // A format other than the one of the depth.
    EXPECT_EQ(put([](auto& v) {
                  v.bits_per_pixel = 32;
                  v.transp = {24, 8, 0};
              }),
              EINVAL);
    EXPECT_EQ(put([](auto& v) { v.red = {11, 5, 0}; }), EINVAL);
    // Nothing of the above changed the state.
    EXPECT_EQ(std::memcmp(&info.var(), &good, sizeof good), 0);
}

TEST(FbScreenInfo, OtherDepthsBecomeTheCurrentOneAsTheKernelDoes)
{
    FbScreenInfo info(mode_640x480());
    fb_var_screeninfo var = info.var();
    var.bits_per_pixel = 8;
    var.red = var.green = var.blue = var.transp = fb_bitfield{};
    const PutVarResult r = info.put_var(var);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(var.bits_per_pixel, 32u);
}

TEST(FbScreenInfo, SmallerVirtualHeightBecomesTheFramebuffers)
{
    FbScreenInfo info(mode_640x480());
    fb_var_screeninfo var = info.var();
    var.yres_virtual = 480;
    ASSERT_EQ(info.put_var(var).error, 0);
    EXPECT_EQ(var.yres_virtual, 960u);
}

TEST(FbScreenInfo, ActivateTestChecksWithoutApplying)
{
    FbScreenInfo info(mode_640x480());
    fb_var_screeninfo var = info.var();
    var.bits_per_pixel = 16;
    var.red = var.green = var.blue = var.transp = fb_bitfield{};
    var.activate = FB_ACTIVATE_TEST;
    const PutVarResult r = info.put_var(var);
    EXPECT_EQ(r.error, 0);
    EXPECT_FALSE(r.applied);
    EXPECT_FALSE(r.flush_hint);
    EXPECT_EQ(var.red.offset, 11u);  // the adjusted var still goes back
    EXPECT_EQ(info.var().bits_per_pixel, 32u);
}

TEST(FbScreenInfo, PanWithinTheVirtualHeight)
{
    FbScreenInfo info(mode_640x480());
    fb_var_screeninfo var = info.var();
    var.yoffset = 480;
    EXPECT_EQ(info.pan(var), 0);
    EXPECT_EQ(info.shown_offset(), size_t{480} * 640 * 4);
    var.yoffset = 481;
    EXPECT_EQ(info.pan(var), EINVAL);
    var.yoffset = 8;
    var.vmode = FB_VMODE_YWRAP;
    EXPECT_EQ(info.pan(var), EINVAL);  // ywrapstep 0
    var.vmode = 0;
    var.xoffset = 1;
    EXPECT_EQ(info.pan(var), EINVAL);
    EXPECT_EQ(info.var().yoffset, 480u);
}
