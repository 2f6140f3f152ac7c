// Output transforms: names, inverses, and the maths for rectangles, sizes
// and positions that the input mapping and the rotated flush share.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "util/transform.hpp"

using namespace udefio;

namespace {

constexpr Transform kAll[] = {Transform::normal,  Transform::rotate_90,  Transform::rotate_180,
                              Transform::rotate_270, Transform::flipped, Transform::flipped_90,
                              Transform::flipped_180, Transform::flipped_270};

PointF apply(Transform t, PointF p, Size size) { return transform_point(t, p, size); }

}  // namespace

TEST(Transform, NamesRoundTripAndUnknownNamesAreRefused)
{
    for (Transform t : kAll)
        EXPECT_EQ(parse_transform(transform_name(t)), t);
    EXPECT_EQ(parse_transform("flipped-90"), Transform::flipped_90);
    EXPECT_EQ(parse_transform("90"), Transform::rotate_90);
    EXPECT_FALSE(parse_transform("45"));
    EXPECT_FALSE(parse_transform(""));
    EXPECT_FALSE(parse_transform("Normal"));
}

TEST(Transform, NumberedAsWlOutputTransform)
{
    // wayland.xml: normal 0, 90 1, 180 2, 270 3, flipped 4, flipped_90 5, ...
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(int(kAll[i]), i);
}

TEST(Transform, SizesSwapForQuarterTurns)
{
    const Size panel{800, 480};
    for (Transform t : kAll) {
        const Size expected = swaps_axes(t) ? Size{480, 800} : panel;
        EXPECT_EQ(transformed_size(t, panel), expected) << transform_name(t);
        EXPECT_EQ((OutputGeometry{panel, t}.logical()), expected);
    }
}

TEST(Transform, RectanglesAsWlrBoxTransform)
{
    // A 4x2 space and the 1x1 box at its top-left pixel (wlroots' util/box.c).
    const Size size{4, 2};
    const Rect corner{0, 0, 1, 1};
    EXPECT_EQ(transform_rect(Transform::normal, corner, size), (Rect{0, 0, 1, 1}));
    EXPECT_EQ(transform_rect(Transform::rotate_90, corner, size), (Rect{1, 0, 1, 1}));
    EXPECT_EQ(transform_rect(Transform::rotate_180, corner, size), (Rect{3, 1, 1, 1}));
    EXPECT_EQ(transform_rect(Transform::rotate_270, corner, size), (Rect{0, 3, 1, 1}));
    EXPECT_EQ(transform_rect(Transform::flipped, corner, size), (Rect{3, 0, 1, 1}));
    EXPECT_EQ(transform_rect(Transform::flipped_90, corner, size), (Rect{0, 0, 1, 1}));
    EXPECT_EQ(transform_rect(Transform::flipped_180, corner, size), (Rect{0, 1, 1, 1}));
    EXPECT_EQ(transform_rect(Transform::flipped_270, corner, size), (Rect{1, 3, 1, 1}));
    // A wide damage rectangle becomes a tall one.
    EXPECT_EQ(transform_rect(Transform::rotate_90, Rect{10, 20, 100, 5}, Size{640, 480}),
              (Rect{480 - 20 - 5, 10, 5, 100}));
}

TEST(Transform, TheInverseUndoesEveryTransform)
{
    const Size size{640, 480};
    const Rect rects[] = {{0, 0, 640, 480}, {10, 20, 100, 5}, {639, 479, 1, 1}, {300, 0, 40, 480}};
    for (Transform t : kAll) {
        for (const Rect& r : rects) {
            const Rect there = transform_rect(t, r, size);
            EXPECT_EQ(transform_rect(invert(t), there, transformed_size(t, size)), r) << transform_name(t);
        }
        EXPECT_EQ(invert(invert(t)), t);
    }
}

TEST(Transform, RotationsCompose)
{
    // Four quarter turns are none, two are a half turn, a flip twice is none.
    const Size size{5, 3};
    for (int y = 0; y < size.height; ++y) {
        for (int x = 0; x < size.width; ++x) {
            const PointF p{double(x), double(y)};
            PointF q = p;
            Size s = size;
            for (int i = 0; i < 4; ++i) {
                q = apply(Transform::rotate_90, q, s);
                s = transformed_size(Transform::rotate_90, s);
                if (i == 1) {
                    EXPECT_EQ(q, apply(Transform::rotate_180, p, size));
                }
            }
            EXPECT_EQ(q, p);
            EXPECT_EQ(apply(Transform::flipped, apply(Transform::flipped, p, size), size), p);
        }
    }
}

TEST(Transform, PointsMoveAsTheirPixelAndFillTheSpace)
{
    // Every pixel of a 5x3 panel lands on a distinct pixel of the logical
    // space, where its 1x1 rectangle lands.
    const Size size{5, 3};
    for (Transform t : kAll) {
        const Size out = transformed_size(t, size);
        std::set<std::pair<double, double>> hit;
        for (int y = 0; y < size.height; ++y) {
            for (int x = 0; x < size.width; ++x) {
                const PointF q = apply(t, {double(x), double(y)}, size);
                const Rect r = transform_rect(t, Rect{x, y, 1, 1}, size);
                EXPECT_EQ(q, (PointF{double(r.x), double(r.y)})) << transform_name(t);
                EXPECT_TRUE(q.x >= 0 && q.x < out.width && q.y >= 0 && q.y < out.height) << transform_name(t);
                hit.insert({q.x, q.y});
            }
        }
        EXPECT_EQ(hit.size(), size_t(size.width * size.height)) << transform_name(t);
    }
}

TEST(Transform, PanelPositionsAreClampedIntoTheLogicalSpace)
{
    // A device finer than the panel reports up to width - 1/n: flipped, that
    // would be just below 0.
    const OutputGeometry g{{800, 480}, Transform::rotate_180};
    EXPECT_EQ(g.panel_to_logical({799.75, 479.5}), (PointF{0, 0}));
    EXPECT_EQ(g.panel_to_logical({0, 0}), (PointF{799, 479}));
    EXPECT_EQ(g.panel_to_logical({100.5, 20}), (PointF{698.5, 459}));
    const OutputGeometry quarter{{800, 480}, Transform::rotate_90};
    EXPECT_EQ(quarter.panel_to_logical({0, 0}), (PointF{479, 0}));
    EXPECT_EQ(quarter.panel_to_logical({799, 479}), (PointF{0, 799}));
}

TEST(Transform, LogicalDamageMapsBackOntoThePanel)
{
    // A client's damage in its upright (480x800) buffer, on a panel of 800x480 turned by 90.
    const OutputGeometry g{{800, 480}, Transform::rotate_90};
    const Rect whole{0, 0, 480, 800};
    EXPECT_EQ(g.logical_to_panel(whole), (Rect{0, 0, 800, 480}));
    const Rect damage{10, 20, 30, 40};
    const Rect on_panel = g.logical_to_panel(damage);
    EXPECT_EQ(transform_rect(g.transform, on_panel, g.panel), damage);
    EXPECT_EQ(on_panel.width, 40);
    EXPECT_EQ(on_panel.height, 30);
}
