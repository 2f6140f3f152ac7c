// What an fbdev program's screen is to the session: the session implements
// Screen for the place on an output it gave the program (the whole output or
// a band of rows), and the fbdev layer (FbdevProgram) calls it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "util/rect.hpp"

namespace udefio::fbdev {

struct ScreenMode {
    uint32_t width = 0;     // pixels of the place: the program's xres
    uint32_t height = 0;    // its yres
    uint32_t refresh_mhz = 60000;
    uint32_t width_mm = 0;  // physical size, 0 when unknown (the kernel says 0 too)
    uint32_t height_mm = 0;
};

// Where the program's pixels go: XRGB8888 rows of the output, `origin` being
// the place's top-left pixel, `stride` bytes apart, mode().width x
// mode().height of them.
struct Canvas {
    std::byte* origin = nullptr;
    uint32_t stride = 0;
};

class Screen {
public:
    virtual ~Screen() = default;

    // Fixed for the program's life: a new mode is a new program binding.
    virtual ScreenMode mode() const = 0;

    // Runs `paint` with the canvas if the place still exists, and returns
    // whether it ran. Called on the framebuffer's flush thread (or the loop
    // thread, for a flush hint), never concurrently with itself. The session
    // holds its output's frame for the call, so the frame's teardown waits for
    // a paint in progress and none starts after it; after
    // FbdevProgram::output_gone() no call comes at all.
    virtual bool draw(const std::function<void(const Canvas&)>& paint) = 0;
    // The pixels of `rect` (canvas coordinates) changed: the output shows them
    // with its next flush. Called only from inside draw()'s `paint`.
    virtual void damaged(const Rect& rect) = 0;

    // Loop thread. The program asked for what it drew to be shown now
    // (FBIOPUT_VSCREENINFO with FB_ACTIVATE_NOW or _FORCE, FBIOPAN_DISPLAY):
    // what damaged() reported should not wait for the output's delay.
    virtual void flush_hint() = 0;
    // Loop thread. Calls `done` on the loop thread at the output's next
    // vblank (FBIO_WAITFORVSYNC, a pan completing), or when the output goes.
    virtual void wait_vblank(std::function<void()> done) = 0;
    // Loop thread. FBIOBLANK: true switches the output off (DPMS off on KMS)
    // until false, whatever is drawn meanwhile.
    virtual void set_blanked(bool blanked) = 0;
};

}  // namespace udefio::fbdev
