// The conversion at the flush: rows of the shown part of the framebuffer, in
// the program's 16, 24 or 32 bpp, copied into the output's XRGB8888 canvas
// with pixman.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

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

struct RowSpan {
    uint32_t first = 0;  // canvas row
    uint32_t count = 0;
};

// The canvas rows that the written pages (sorted) hold pixels of, merged.
std::vector<RowSpan> shown_rows_of_pages(std::span<PageRef* const> pages, size_t page_size, const ShownRegion& shown);

// Copies `rows` from `memory` into the canvas, converting. Returns the bytes
// written, or -1 if reading or writing raised SIGBUS (the memory was
// truncated under us).
int64_t compose_rows(const std::byte* memory, const ShownRegion& shown, std::span<const RowSpan> rows,
                     const Canvas& canvas);

}  // namespace udefio::fbdev
