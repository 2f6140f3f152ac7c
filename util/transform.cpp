#include "util/transform.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace udefio {
namespace {

constexpr std::array<std::string_view, 8> kNames{"normal",  "90",         "180",         "270",
                                                 "flipped", "flipped-90", "flipped-180", "flipped-270"};

}  // namespace

std::optional<Transform> parse_transform(std::string_view name)
{
    for (size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name)
            return Transform(i);
    }
    return std::nullopt;
}

std::string_view transform_name(Transform t) { return kNames[size_t(t) & 7]; }

Transform invert(Transform t)
{
    // Rotations by 90 and 270 undo each other; a flip followed by any
    // rotation is an involution (a reflection), as is 180.
    if (t == Transform::rotate_90)
        return Transform::rotate_270;
    if (t == Transform::rotate_270)
        return Transform::rotate_90;
    return t;
}

bool swaps_axes(Transform t) { return (uint8_t(t) & 1) != 0; }

Size transformed_size(Transform t, Size size)
{
    return swaps_axes(t) ? Size{size.height, size.width} : size;
}

Rect transform_rect(Transform t, const Rect& r, Size size)
{
    const int32_t w = size.width, h = size.height;
    Rect out{0, 0, r.width, r.height};
    if (swaps_axes(t))
        std::swap(out.width, out.height);
    switch (t) {
    case Transform::normal:
        out.x = r.x, out.y = r.y;
        break;
    case Transform::rotate_90:
        out.x = h - r.y - r.height, out.y = r.x;
        break;
    case Transform::rotate_180:
        out.x = w - r.x - r.width, out.y = h - r.y - r.height;
        break;
    case Transform::rotate_270:
        out.x = r.y, out.y = w - r.x - r.width;
        break;
    case Transform::flipped:
        out.x = w - r.x - r.width, out.y = r.y;
        break;
    case Transform::flipped_90:
        out.x = r.y, out.y = r.x;
        break;
    case Transform::flipped_180:
        out.x = r.x, out.y = h - r.y - r.height;
        break;
    case Transform::flipped_270:
        out.x = h - r.y - r.height, out.y = w - r.x - r.width;
        break;
    }
    return out;
}

PointF transform_point(Transform t, PointF p, Size size)
{
    // transform_rect of the 1x1 rectangle at p, in doubles.
    const double w = size.width, h = size.height;
    switch (t) {
    case Transform::normal:
        return p;
    case Transform::rotate_90:
        return {h - p.y - 1, p.x};
    case Transform::rotate_180:
        return {w - p.x - 1, h - p.y - 1};
    case Transform::rotate_270:
        return {p.y, w - p.x - 1};
    case Transform::flipped:
        return {w - p.x - 1, p.y};
    case Transform::flipped_90:
        return {p.y, p.x};
    case Transform::flipped_180:
        return {p.x, h - p.y - 1};
    case Transform::flipped_270:
        return {h - p.y - 1, w - p.x - 1};
    }
    return p;
}

PointF OutputGeometry::panel_to_logical(PointF p) const
{
    const PointF q = transform_point(transform, p, panel);
    const Size size = logical();
    return {std::clamp(q.x, 0.0, std::max(0.0, size.width - 1.0)),
            std::clamp(q.y, 0.0, std::max(0.0, size.height - 1.0))};
}

}  // namespace udefio
