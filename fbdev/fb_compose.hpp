// The conversion at the flush: rectangles of the shown part of the
// framebuffer, in the program's 16, 24 or 32 bpp, copied into the output's
// XRGB8888 canvas with pixman.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "defio/damage.hpp"
#include "defio/page_ref.hpp"
#include "fbdev/screen.hpp"

namespace udefio::fbdev {

// What is shown: a snapshot of the screen info taken at the flush.
struct ShownRegion {
    uint32_t width = 0;        // the mode's
    uint32_t height = 0;
    uint32_t bits_per_pixel = 32;
    uint32_t line_length = 0;
    uint32_t xoffset = 0;
    uint32_t yoffset = 0;
    uint32_t memory_rows = 0;  // yres_virtual
};

// The canvas rows that the written pages (sorted) hold pixels of, merged,
// as full-width rectangles.
std::vector<Rect> shown_rows_of_pages(std::span<PageRef* const> pages, size_t page_size, const ShownRegion& shown);

// The canvas rectangles of exact damage found in the memory (its 32 bpp rows
// of `stride` bytes, the deferred I/O state's layout), clipped to what is
// shown; nullopt when the program's pixels are not laid out that way (another
// depth or line length, a horizontal pan): then only pages can be mapped.
std::optional<std::vector<Rect>> shown_rects_of_damage(const Damage& damage, uint32_t stride, const ShownRegion& shown);

// Copies `rects` of the canvas from `memory` into it, converting. Returns
// the bytes written, or -1 if reading or writing raised SIGBUS (the memory
// was truncated under us).
int64_t compose_rects(const std::byte* memory, const ShownRegion& shown, std::span<const Rect> rects,
                      const Canvas& canvas);

}  // namespace udefio::fbdev
