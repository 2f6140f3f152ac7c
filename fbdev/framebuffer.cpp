#include "fbdev/framebuffer.hpp"

#include <linux/fb.h>
#include <linux/vt.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "fbdev/fb_compose.hpp"
#include "util/log.hpp"

namespace udefio::fbdev {

Result<std::unique_ptr<Framebuffer>> Framebuffer::create(Screen& screen, const TrackerFactory& make_tracker,
                                                         std::chrono::nanoseconds delay)
{
    const ScreenMode mode = screen.mode();
    // The memory is 32 bpp rows, twice the mode's height: one layout for the
    // deferred I/O state whatever depth the program picks.
    auto layout = BufferLayout::make(mode.width, mode.height * 2);
    if (!layout)
        return layout.error();
    auto buffer = SharedBuffer::create(*layout, "udefio-fb0");
    if (!buffer)
        return buffer.error();
    auto tracker = make_tracker(buffer->bytes(), buffer->fd());
    if (!tracker)
        return tracker.error();
    auto fb = std::make_unique<Framebuffer>(screen, mode);
    DeferredIoOptions options;
    options.delay = delay;
    fb->state_ = std::make_shared<DeferredIoState>(DeferredIoState::Key(), std::move(buffer).value(),
                                                   std::move(tracker).value(), options);
    if (auto attached = fb->state_->attach(*fb); !attached)
        return attached.error();
    return fb;
}

Framebuffer::Framebuffer(Screen& screen, ScreenMode mode) : screen_(screen), mode_(mode), info_(mode) {}

Framebuffer::~Framebuffer()
{
    if (state_)
        state_->detach();
}

void Framebuffer::revoke()
{
    revoked_ = true;
    state_->detach();
}

void Framebuffer::show()
{
    if (std::exchange(shown_, true))
        return;
    show_everything();
}

void Framebuffer::show_everything()
{
    {
        const std::lock_guard lock(info_lock_);
        redraw_all_ = true;
    }
    // Explicit damage so that the flush runs even if nothing was written.
    state_->add_damage(Rect{0, 0, 1, 1});
    state_->flush_now();
}

IoctlOutcome Framebuffer::ioctl(unsigned long cmd, uint64_t arg, TargetMemory& memory)
{
    if (revoked_)
        return {ENODEV};
    switch (cmd) {
    case FBIOGET_VSCREENINFO: {
        fb_var_screeninfo var;
        {
            const std::lock_guard lock(info_lock_);
            var = info_.var();
        }
        return {memory.write_struct(arg, var)};
    }
    case FBIOPUT_VSCREENINFO:
        return put_var(arg, memory);
    case FBIOGET_FSCREENINFO: {
        fb_fix_screeninfo fix;
        {
            const std::lock_guard lock(info_lock_);
            fix = info_.fix();
        }
        return {memory.write_struct(arg, fix)};
    }
    case FBIOPUTCMAP:
    case FBIOGETCMAP: {
        fb_cmap user;
        if (memory.read_struct(arg, user) != 0)
            return {EFAULT};
        return {cmd == FBIOPUTCMAP ? cmap_.put(user, memory) : cmap_.get(user, memory)};
    }
    case FBIOPAN_DISPLAY:
        return pan(arg, memory);
    case FBIO_CURSOR:
        return {EINVAL};
    case FBIOGET_CON2FBMAP:
    case FBIOPUT_CON2FBMAP: {
        // fbcon's map of consoles to framebuffers: every console shows fb0.
        fb_con2fbmap map;
        if (memory.read_struct(arg, map) != 0)
            return {EFAULT};
        if (map.console < 1 || map.console > MAX_NR_CONSOLES)
            return {EINVAL};
        if (cmd == FBIOPUT_CON2FBMAP)
            return {map.framebuffer == 0 ? 0 : EINVAL};  // no other framebuffer is registered
        map.framebuffer = 0;
        return {memory.write_struct(arg, map)};
    }
    case FBIOBLANK:
        if (arg > FB_BLANK_POWERDOWN)
            return {EINVAL};
        screen_.set_blanked(arg != FB_BLANK_UNBLANK);
        return {0};
    case FBIO_WAITFORVSYNC:
        // drm_fb_helper_ioctl ignores the argument (by value or by pointer,
        // programs disagree) and waits for the first CRTC's next vblank.
        return {0, Deferral::next_vblank};
    default:
        return {ENOTTY};
    }
}

IoctlOutcome Framebuffer::put_var(uint64_t arg, TargetMemory& memory)
{
    fb_var_screeninfo var;
    if (memory.read_struct(arg, var) != 0)
        return {EFAULT};
    PutVarResult result;
    {
        const std::lock_guard lock(info_lock_);
        result = info_.put_var(var);
    }
    if (result.error != 0)
        return {result.error};
    if (result.applied)
        show_everything();
    else if (result.flush_hint)
        state_->flush_now();
    if (result.flush_hint)
        screen_.flush_hint();
    return {memory.write_struct(arg, var)};
}

IoctlOutcome Framebuffer::pan(uint64_t arg, TargetMemory& memory)
{
    fb_var_screeninfo var;
    if (memory.read_struct(arg, var) != 0)
        return {EFAULT};
    int error;
    {
        const std::lock_guard lock(info_lock_);
        error = info_.pan(var);
    }
    if (error != 0)
        return {error};
    // The DRM emulation commits the new offset and returns after the vblank
    // that shows it: the new half goes onto the canvas now, the answer waits.
    show_everything();
    screen_.flush_hint();
    if (int written = memory.write_struct(arg, var); written != 0)
        return {written};
    return {0, Deferral::next_vblank};
}

FlushResult Framebuffer::flush(const SharedBuffer& src, std::span<PageRef* const> pages,
                               const Damage& damage, std::chrono::nanoseconds)
{
    if (memory_lost_)
        return {};
    ShownRegion shown;
    bool redraw_all;
    {
        const std::lock_guard lock(info_lock_);
        const fb_var_screeninfo& var = info_.var();
        shown = {mode_.width,    mode_.height, var.bits_per_pixel, info_.line_length(),
                 var.xoffset,    var.yoffset,  var.yres_virtual};
        redraw_all = std::exchange(redraw_all_, false);
    }
    // What changed on the canvas: the exact damage the state found where the
    // program's pixels are laid out as its buffer (32 bpp, no horizontal
    // pan), else the rows of the written pages, as the kernel's fbdev does.
    std::vector<Rect> rects;
    if (redraw_all)
        rects.push_back({0, 0, static_cast<int32_t>(mode_.width), static_cast<int32_t>(mode_.height)});
    else if (auto exact = shown_rects_of_damage(damage, src.layout().stride, shown))
        rects = std::move(*exact);
    else
        rects = shown_rows_of_pages(pages, page_size(), shown);
    int64_t bytes = 0;
    const bool drawn = screen_.draw([&](const Canvas& canvas) {
        bytes = compose_rects(src.data(), shown, rects, canvas);
        if (bytes < 0)
            return;
        for (const Rect& rect : rects)
            screen_.damaged(rect);
    });
    if (!drawn)
        return {};  // the place is gone; output_gone() follows
    if (bytes < 0) {
        memory_lost_ = true;
        UDEFIO_LOG(error, "fbdev: the framebuffer memory or the output's canvas vanished during a flush "
                          "(SIGBUS); this program's flushes stop");
        return {};
    }
    return {static_cast<uint64_t>(bytes)};
}

}  // namespace udefio::fbdev
