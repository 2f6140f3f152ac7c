// A 5x7 pixel font (digits, capitals, a few signs) for the demo's text: the
// demo must draw readable text without any library.
#pragma once

#include <cstdint>
#include <string_view>

namespace udefio::demo {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;

// Row bits of `c` (bit 4 = leftmost pixel); unknown characters draw as blanks.
const uint8_t* glyph(char c);

// Draws `text` with its top-left corner at (x, y), each font pixel scale x scale.
void draw_text(uint32_t* pixels, uint32_t stride_px, int x, int y, int scale, uint32_t color,
               std::string_view text);

}  // namespace udefio::demo
