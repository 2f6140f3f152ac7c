// FBIOGETCMAP / FBIOPUTCMAP on a true-colour framebuffer, as the kernel
// answers them (fbcmap.c, drm_fb_helper_setcmap): a 256-entry colour map that
// starts as the console's 16 colours; a true-colour visual accepts entries
// 0..15 only (the pseudo palette fbcon draws with) and shows none of them.
#pragma once

#include <linux/fb.h>

#include <array>
#include <cstdint>

#include "fbdev/target_memory.hpp"

namespace udefio::fbdev {

class ColorMap {
public:
    ColorMap();

    // `user` is the program's struct fb_cmap; its arrays live in `memory`.
    // Returns 0 or the kernel's errno.
    int put(const fb_cmap& user, TargetMemory& memory);
    int get(const fb_cmap& user, TargetMemory& memory) const;

    static constexpr uint32_t kEntries = 256;

private:
    std::array<uint16_t, kEntries> red_{}, green_{}, blue_{};
};

}  // namespace udefio::fbdev
