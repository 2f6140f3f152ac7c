// What the Wayland backend is asked for (a plain header: the backend factory
// includes it in builds without Wayland too).
#pragma once

#include <cstdint>

namespace udefio {

struct WaylandOutputOptions {
    bool fullscreen = false;  // ask for it (kiosk); else a normal, resizable window
    uint32_t width = 1280;    // the window's size when the compositor leaves it to us
    uint32_t height = 720;
};

}  // namespace udefio
