// The write patterns the benchmarks replay: what a cursor, a text box and
// full-screen video do to a framebuffer in one frame.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "defio/buffer_layout.hpp"
#include "defio/pixel_copy.hpp"
#include "util/rect.hpp"

namespace udefio::bench {

enum class Pattern { cursor, text_box, video };

inline const char* pattern_name(Pattern p)
{
    switch (p) {
    case Pattern::cursor: return "cursor64";
    case Pattern::text_box: return "textbox300x200";
    case Pattern::video: return "video";
    }
    return "?";
}

inline void fill_rect(std::byte* base, const BufferLayout& layout, const Rect& r, uint32_t color)
{
    for (int32_t y = r.y; y < r.y + r.height; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(base + size_t(y) * layout.stride);
        for (int32_t x = r.x; x < r.x + r.width; ++x)
            row[x] = color;
    }
}

// Draws frame number `frame` of the pattern. The cursor erases its old square
// and draws the new one 8 px further, as a real cursor does.
inline void draw_pattern(std::byte* base, const BufferLayout& layout, Pattern pattern, uint64_t frame)
{
    const uint32_t color = 0x00102030u + uint32_t(frame);
    switch (pattern) {
    case Pattern::cursor: {
        const int32_t span = int32_t(layout.width) - 64 - 8;
        const int32_t x = int32_t((frame * 8) % uint64_t(span));
        const int32_t y = int32_t(layout.height / 2);
        fill_rect(base, layout, {x, y, 64, 64}, 0);
        fill_rect(base, layout, {x + 8, y, 64, 64}, color);
        break;
    }
    case Pattern::text_box:
        fill_rect(base, layout, {100, 100, 300, 200}, color);
        break;
    case Pattern::video:
        for (uint32_t y = 0; y < layout.height; ++y) {
            auto* row = reinterpret_cast<uint32_t*>(base + size_t(y) * layout.stride);
            for (uint32_t x = 0; x < layout.width; ++x)
                row[x] = color ^ x;
        }
        break;
    }
}

// What draw_pattern(frame) changed, as a client that reports damage says it.
inline std::vector<Rect> pattern_damage(const BufferLayout& layout, Pattern pattern, uint64_t frame)
{
    switch (pattern) {
    case Pattern::cursor: {
        const int32_t span = int32_t(layout.width) - 64 - 8;
        const int32_t x = int32_t((frame * 8) % uint64_t(span));
        return {{x, int32_t(layout.height / 2), 72, 64}};
    }
    case Pattern::text_box: return {{100, 100, 300, 200}};
    case Pattern::video: return {{0, 0, int32_t(layout.width), int32_t(layout.height)}};
    }
    return {};
}

// Copies the damage rectangles from src to dst with the sinks' own copy.
template <class Rects>
inline uint64_t copy_rects(std::byte* dst, const std::byte* src, const BufferLayout& layout, const Rects& rects)
{
    uint64_t bytes = 0;
    for (const Rect& r : rects)
        bytes += copy_rect(dst, layout.stride, src, layout.stride, r);
    return bytes;
}

}  // namespace udefio::bench
