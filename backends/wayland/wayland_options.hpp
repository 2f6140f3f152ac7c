// What the Wayland backend is asked for (a plain header: the backend factory
// includes it in builds without Wayland too).
#pragma once

#include <cstdint>

#include "backends/output.hpp"

namespace udefio {

struct WaylandOutputOptions {
    bool fullscreen = false;  // ask for it (kiosk); else a normal, resizable window
    uint32_t width = 1280;    // the window's size when the compositor leaves it to us
    uint32_t height = 720;
    // --transform, by output name (window@DISPLAY): the window shows the
    // frame turned, by wl_surface.set_buffer_transform.
    OutputTransforms transforms;
};

}  // namespace udefio
