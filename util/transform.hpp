// An output transform, numbered as wl_output_transform (a rotation
// counter-clockwise in steps of 90 degrees, optionally after a flip around
// the vertical axis), and its maths for sizes, rectangles and positions.
//
// Two spaces are involved. The panel is the output's own pixels (its mode,
// as scanned out). The logical space is what clients, fbdev programs and the
// user see, upright: the panel's size with width and height swapped for the
// 90 and 270 variants. Following wlroots (wlr_box_transform), the panel maps
// to the logical space by `transform` and the logical space back to the
// panel by its inverse.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/rect.hpp"

namespace udefio {

enum class Transform : uint8_t {
    normal = 0,
    rotate_90 = 1,
    rotate_180 = 2,
    rotate_270 = 3,
    flipped = 4,
    flipped_90 = 5,
    flipped_180 = 6,
    flipped_270 = 7,
};

struct Size {
    int32_t width = 0;
    int32_t height = 0;
    bool operator==(const Size&) const = default;
};

// A position in pixels; fractional where the device is finer than a pixel.
struct PointF {
    double x = 0;
    double y = 0;
    bool operator==(const PointF&) const = default;
};

// "normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270".
std::optional<Transform> parse_transform(std::string_view name);
std::string_view transform_name(Transform t);

// The transform that undoes `t` (90 and 270 swap; flips are their own inverse).
Transform invert(Transform t);
// True for the 90 and 270 variants, which swap width and height.
bool swaps_axes(Transform t);

// The size of a width x height space after `t`.
Size transformed_size(Transform t, Size size);

// `rect`, in a space of `size`, after `t` (wlr_box_transform).
Rect transform_rect(Transform t, const Rect& rect, Size size);

// `p`, in a space of `size`, after `t`. Positions are sample points with
// pixel i at coordinate i, so a space spans [0, size-1]: a flipped axis maps
// i to size-1-i (the 1x1 rectangle at p moves as transform_rect moves it),
// and a position inside the space stays inside.
PointF transform_point(Transform t, PointF p, Size size);

// Where things are on an output: its panel and the transform that turns the
// panel into what the user sees.
struct OutputGeometry {
    Size panel;
    Transform transform = Transform::normal;

    Size logical() const { return transformed_size(transform, panel); }
    // A device position on the panel (a touch, a tablet), clamped into the
    // logical space: devices finer than the panel report up to size - 1/n.
    PointF panel_to_logical(PointF p) const;
    Rect logical_to_panel(const Rect& r) const { return transform_rect(invert(transform), r, logical()); }
};

}  // namespace udefio
