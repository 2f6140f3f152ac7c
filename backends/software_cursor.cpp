#include "backends/software_cursor.hpp"

#include <algorithm>
#include <cstdint>

namespace udefio {
namespace {

// The left-pointing arrow of X's and most themes' default cursor: a black
// outline ('#') around a white body ('.'), transparent elsewhere, so that
// it shows on any picture.
constexpr const char* kArrow[SoftwareCursor::kHeight] = {
    "#           ",
    "##          ",
    "#.#         ",
    "#..#        ",
    "#...#       ",
    "#....#      ",
    "#.....#     ",
    "#......#    ",
    "#.......#   ",
    "#........#  ",
    "#.........# ",
    "#......#####",
    "#...#..#    ",
    "#..# #..#   ",
    "#.#  #..#   ",
    "##    #..#  ",
    "#     #..#  ",
    "       #..# ",
    "        ##  ",
};

Rect intersect(const Rect& a, const Rect& b)
{
    const int32_t x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
    const int32_t x1 = std::min(a.x + a.width, b.x + b.width), y1 = std::min(a.y + a.height, b.y + b.height);
    return x1 > x0 && y1 > y0 ? Rect{x0, y0, x1 - x0, y1 - y0} : Rect{};
}

}  // namespace

std::vector<SoftwareCursor::Damaged> SoftwareCursor::place(const Output* output, PointF tip)
{
    const Rect now = output ? Rect{int32_t(tip.x), int32_t(tip.y), kWidth, kHeight} : Rect{};
    std::lock_guard lock(mutex_);
    if (output == output_ && now == rect_)
        return {};
    std::vector<Damaged> damaged;
    if (output_)
        damaged.push_back({output_, rect_});
    if (output)
        damaged.push_back({output, now});
    output_ = output;
    rect_ = now;
    return damaged;
}

const Output* SoftwareCursor::output() const
{
    std::lock_guard lock(mutex_);
    return output_;
}

void SoftwareCursor::compose(const Output& output, std::byte* dst, size_t pitch, const Rect& logical,
                             const OutputGeometry& buffer) const
{
    Rect arrow;
    {
        std::lock_guard lock(mutex_);
        if (output_ != &output)
            return;
        arrow = rect_;
    }
    const Size space = buffer.logical();
    const Rect part = intersect(intersect(arrow, logical), Rect{0, 0, space.width, space.height});
    const Transform to_buffer = invert(buffer.transform);
    for (int32_t y = part.y; y < part.y + part.height; ++y) {
        const char* row = kArrow[y - arrow.y];
        for (int32_t x = part.x; x < part.x + part.width; ++x) {
            const char c = row[x - arrow.x];
            if (c == ' ')
                continue;
            const PointF at = transform_point(to_buffer, {double(x), double(y)}, space);
            auto* pixel = reinterpret_cast<uint32_t*>(dst + size_t(at.y) * pitch) + size_t(at.x);
            *pixel = c == '#' ? 0xff000000u : 0xffffffffu;
        }
    }
}

}  // namespace udefio
