#include "defio/pixel_copy.hpp"

#include <algorithm>
#include <cstring>

namespace udefio {
namespace {

template <uint32_t kSet>
void copy_row(uint32_t* __restrict to, const uint32_t* __restrict from, size_t n)
{
    size_t x = 0;
    for (; x + 8 <= n; x += 8) {
        for (size_t i = 0; i < 8; ++i)
            to[x + i] = from[x + i] | kSet;
    }
    for (; x < n; ++x)
        to[x] = from[x] | kSet;
}

// Quarter turns write down the panel's columns: in tiles of this many
// logical rows and columns, each panel cache line a tile touches is
// filled by the tile's rows before it is evicted.
constexpr int32_t kTile = 16;

}  // namespace

uint64_t copy_rect(std::byte* dst, size_t dst_stride, const std::byte* src, size_t src_stride, const Rect& r,
                   XByte x_byte)
{
    if (x_byte == XByte::keep && r.x == 0 && dst_stride == src_stride && size_t(r.width) * 4 == src_stride) {
        // Whole rows, back to back in both (a full-screen video frame): one
        // memcpy, which past a size threshold streams (non-temporal stores)
        // instead of pulling the destination through the cache.
        const size_t start = size_t(r.y) * src_stride;
        std::memcpy(dst + start, src + start, size_t(r.height) * src_stride);
        return uint64_t(r.width) * uint64_t(r.height) * 4;
    }
    auto* const row = x_byte == XByte::opaque ? &copy_row<0xff000000u> : &copy_row<0u>;
    for (int32_t y = r.y; y < r.y + r.height; ++y)
        row(reinterpret_cast<uint32_t*>(dst + size_t(y) * dst_stride) + r.x,
            reinterpret_cast<const uint32_t*>(src + size_t(y) * src_stride) + r.x, size_t(r.width));
    return uint64_t(r.width) * uint64_t(r.height) * 4;
}

uint64_t copy_rect_transformed(std::byte* dst, size_t dst_stride, const std::byte* src, size_t src_stride,
                               const Rect& rect, const OutputGeometry& geometry, XByte x_byte)
{
    const Transform to_panel = invert(geometry.transform);
    if (to_panel == Transform::normal)
        return copy_rect(dst, dst_stride, src, src_stride, rect, x_byte);
    const uint32_t set = x_byte == XByte::opaque ? 0xff000000u : 0u;
    // Logical pixel (x, y) lands at panel pixel origin + x * ex + y * ey:
    // the transform is linear, so three points give it whole.
    const Size logical = geometry.logical();
    const PointF o = transform_point(to_panel, {0, 0}, logical);
    const PointF px = transform_point(to_panel, {1, 0}, logical);
    const PointF py = transform_point(to_panel, {0, 1}, logical);
    const ptrdiff_t pitch = ptrdiff_t(dst_stride / 4);  // in pixels
    const ptrdiff_t origin = ptrdiff_t(o.y) * pitch + ptrdiff_t(o.x);
    const ptrdiff_t step_x = ptrdiff_t(px.y - o.y) * pitch + ptrdiff_t(px.x - o.x);
    const ptrdiff_t step_y = ptrdiff_t(py.y - o.y) * pitch + ptrdiff_t(py.x - o.x);
    auto* out = reinterpret_cast<uint32_t*>(dst);
    auto row = [&](int32_t y, int32_t x0, int32_t x1) {
        const auto* in = reinterpret_cast<const uint32_t*>(src + size_t(y) * src_stride);
        uint32_t* to = out + origin + y * step_y + x0 * step_x;
        for (int32_t x = x0; x < x1; ++x, to += step_x)
            *to = in[x] | set;
    };
    if (!swaps_axes(to_panel)) {
        // Flips and the half turn: each row lands on one panel row.
        for (int32_t y = rect.y; y < rect.y + rect.height; ++y)
            row(y, rect.x, rect.x + rect.width);
        return uint64_t(rect.area()) * 4;
    }
    for (int32_t ty = rect.y; ty < rect.y + rect.height; ty += kTile) {
        const int32_t y_end = std::min(ty + kTile, rect.y + rect.height);
        for (int32_t tx = rect.x; tx < rect.x + rect.width; tx += kTile) {
            const int32_t x_end = std::min(tx + kTile, rect.x + rect.width);
            for (int32_t y = ty; y < y_end; ++y)
                row(y, tx, x_end);
        }
    }
    return uint64_t(rect.area()) * 4;
}

}  // namespace udefio
