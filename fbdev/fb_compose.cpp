#include "fbdev/fb_compose.hpp"

#include <pixman.h>

#include <algorithm>

#include "defio/sigbus_guard.hpp"

namespace udefio::fbdev {
namespace {

pixman_format_code_t pixman_format(uint32_t bits_per_pixel)
{
    switch (bits_per_pixel) {
    case 16:
        return PIXMAN_r5g6b5;
    case 24:
        return PIXMAN_r8g8b8;  // bytes B, G, R: red at bit 16, as fbdev's RGB888
    default:
        return PIXMAN_x8r8g8b8;
    }
}

}  // namespace

std::vector<Rect> shown_rows_of_pages(std::span<PageRef* const> pages, size_t page_size, const ShownRegion& shown)
{
    std::vector<Rect> rows;
    const uint64_t top = shown.yoffset;
    const uint64_t bottom = top + shown.height;  // exclusive, in memory rows
    for (const PageRef* page : pages) {
        const uint64_t begin = uint64_t{page->index} * page_size;
        const uint64_t first = begin / shown.line_length;
        const uint64_t last = (begin + page_size - 1) / shown.line_length;  // inclusive
        const uint64_t lo = std::max(first, top);
        const uint64_t hi = std::min(last + 1, bottom);
        if (lo >= hi)
            continue;
        const auto row = static_cast<int32_t>(lo - top);
        const auto count = static_cast<int32_t>(hi - lo);
        // Pages are sorted, so a band only ever grows at its end.
        if (!rows.empty() && rows.back().y + rows.back().height >= row) {
            Rect& band = rows.back();
            band.height = std::max(band.y + band.height, row + count) - band.y;
        } else {
            rows.push_back({0, row, static_cast<int32_t>(shown.width), count});
        }
    }
    return rows;
}

std::optional<std::vector<Rect>> shown_rects_of_damage(const Damage& damage, uint32_t stride, const ShownRegion& shown)
{
    if (shown.bits_per_pixel != 32 || shown.line_length != stride || shown.xoffset != 0)
        return std::nullopt;
    Damage on_canvas = damage;
    on_canvas.translate(0, -static_cast<int32_t>(shown.yoffset));
    on_canvas.clip_to(BufferLayout{shown.width, shown.height, shown.width * 4});
    return on_canvas.rects();
}

int64_t compose_rects(const std::byte* memory, const ShownRegion& shown, std::span<const Rect> rects,
                      const Canvas& canvas)
{
    if (rects.empty())
        return 0;
    pixman_image_t* src = pixman_image_create_bits_no_clear(
        pixman_format(shown.bits_per_pixel), static_cast<int>(shown.width), static_cast<int>(shown.memory_rows),
        reinterpret_cast<uint32_t*>(const_cast<std::byte*>(memory)), static_cast<int>(shown.line_length));
    pixman_image_t* dst = pixman_image_create_bits_no_clear(
        PIXMAN_x8r8g8b8, static_cast<int>(shown.width), static_cast<int>(shown.height),
        reinterpret_cast<uint32_t*>(canvas.origin), static_cast<int>(canvas.stride));
    // A horizontal pan shows fewer columns of the memory.
    const auto columns = static_cast<int32_t>(shown.width - std::min(shown.xoffset, shown.width));
    int64_t bytes = 0;
    const bool ok = run_guarding_sigbus([&] {
        for (const Rect& r : rects) {
            const int32_t width = std::min(r.width, columns - r.x);
            if (width <= 0)
                continue;
            pixman_image_composite32(PIXMAN_OP_SRC, src, nullptr, dst, static_cast<int>(shown.xoffset) + r.x,
                                     static_cast<int>(shown.yoffset) + r.y, 0, 0, r.x, r.y, width, r.height);
            bytes += int64_t{width} * 4 * r.height;
        }
    });
    pixman_image_unref(src);
    pixman_image_unref(dst);
    return ok ? bytes : -1;
}

}  // namespace udefio::fbdev
