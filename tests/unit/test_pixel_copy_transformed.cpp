// copy_rect_transformed, the software-rotated flush copy, against the input
// mapping: what shows at a panel pixel is the logical pixel a touch there
// maps to, for every transform; a partial copy touches exactly the
// rectangle's image.
#include <gtest/gtest.h>

#include <vector>

#include "defio/pixel_copy.hpp"

using namespace udefio;

namespace {

constexpr Transform kAll[] = {Transform::normal,  Transform::rotate_90,  Transform::rotate_180,
                              Transform::rotate_270, Transform::flipped, Transform::flipped_90,
                              Transform::flipped_180, Transform::flipped_270};

// A logical image whose every pixel says where it is.
std::vector<uint32_t> numbered(Size size)
{
    std::vector<uint32_t> image(size_t(size.width) * size_t(size.height));
    for (int32_t y = 0; y < size.height; ++y)
        for (int32_t x = 0; x < size.width; ++x)
            image[size_t(y) * size_t(size.width) + size_t(x)] = uint32_t(x) | uint32_t(y) << 16;
    return image;
}

}  // namespace

TEST(TransformedCopy, ThePanelShowsWhatTouchesThereMapTo)
{
    // Odd sizes and a panel pitch wider than a row: tiles end inside the image.
    const Size panel{37, 21};
    const uint32_t pitch = 40 * 4;
    for (Transform t : kAll) {
        const OutputGeometry g{panel, t};
        const Size logical = g.logical();
        const auto src = numbered(logical);
        std::vector<uint32_t> dst(40 * size_t(panel.height), 0xdeadbeef);
        copy_rect_transformed(reinterpret_cast<std::byte*>(dst.data()), pitch,
                         reinterpret_cast<const std::byte*>(src.data()), uint32_t(logical.width) * 4,
                         Rect{0, 0, logical.width, logical.height}, g);
        for (int32_t y = 0; y < panel.height; ++y) {
            for (int32_t x = 0; x < panel.width; ++x) {
                const PointF l = g.panel_to_logical({double(x), double(y)});
                const uint32_t want = uint32_t(l.x) | uint32_t(l.y) << 16;
                ASSERT_EQ(dst[size_t(y) * 40 + size_t(x)], want) << transform_name(t) << " at " << x << "," << y;
            }
            EXPECT_EQ(dst[size_t(y) * 40 + 37], 0xdeadbeef) << "wrote past the panel row";
        }
    }
}

TEST(TransformedCopy, APartialCopyWritesExactlyItsRectangleOnThePanel)
{
    const Size panel{64, 48};
    for (Transform t : kAll) {
        const OutputGeometry g{panel, t};
        const Size logical = g.logical();
        const auto src = numbered(logical);
        std::vector<uint32_t> dst(size_t(panel.width) * size_t(panel.height), 0);
        const Rect damage{5, 7, 19, 3};
        copy_rect_transformed(reinterpret_cast<std::byte*>(dst.data()), uint32_t(panel.width) * 4,
                         reinterpret_cast<const std::byte*>(src.data()), uint32_t(logical.width) * 4, damage, g);
        const Rect on_panel = g.logical_to_panel(damage);
        for (int32_t y = 0; y < panel.height; ++y) {
            for (int32_t x = 0; x < panel.width; ++x) {
                const bool inside = x >= on_panel.x && x < on_panel.x + on_panel.width && y >= on_panel.y &&
                                    y < on_panel.y + on_panel.height;
                // Pixel (0, 0) of the logical image is 0 too: only check what is outside stays 0 and
                // what is inside is the mapped pixel.
                const PointF l = g.panel_to_logical({double(x), double(y)});
                const uint32_t want = inside ? (uint32_t(l.x) | uint32_t(l.y) << 16) : 0;
                ASSERT_EQ(dst[size_t(y) * size_t(panel.width) + size_t(x)], want) << transform_name(t);
            }
        }
    }
}

// Whole rows back to back in both buffers go in one memcpy; rows with a
// margin, other pitches and the opaque X byte go row by row: each copies
// exactly the rectangle, and the bytes it says.
TEST(PlainCopy, WholeRowsAndPartsOfRowsCopyExactlyTheRectangle)
{
    const Size size{48, 20};
    const auto src = numbered(size);
    struct Case {
        Rect rect;
        uint32_t dst_pitch_px;
        XByte x_byte;
    } cases[] = {{{0, 3, 48, 9}, 48, XByte::keep},    // whole rows, same pitch: one memcpy
                 {{0, 3, 48, 9}, 56, XByte::keep},    // whole rows, another pitch
                 {{1, 3, 47, 9}, 48, XByte::keep},    // a margin on the left
                 {{0, 0, 48, 20}, 48, XByte::opaque}};
    for (const Case& c : cases) {
        std::vector<uint32_t> dst(size_t(c.dst_pitch_px) * size_t(size.height), 0xdeadbeef);
        const uint64_t bytes = copy_rect(reinterpret_cast<std::byte*>(dst.data()), c.dst_pitch_px * 4,
                                         reinterpret_cast<const std::byte*>(src.data()), uint32_t(size.width) * 4,
                                         c.rect, c.x_byte);
        EXPECT_EQ(bytes, uint64_t(c.rect.area()) * 4);
        for (int32_t y = 0; y < size.height; ++y) {
            for (int32_t x = 0; x < int32_t(c.dst_pitch_px); ++x) {
                const bool inside = x >= c.rect.x && x < c.rect.x + c.rect.width && y >= c.rect.y &&
                                    y < c.rect.y + c.rect.height;
                const uint32_t want = inside ? src[size_t(y) * size_t(size.width) + size_t(x)] |
                                                   (c.x_byte == XByte::opaque ? 0xff000000u : 0u)
                                             : 0xdeadbeef;
                ASSERT_EQ(dst[size_t(y) * c.dst_pitch_px + size_t(x)], want)
                    << "pitch " << c.dst_pitch_px << " at " << x << "," << y;
            }
        }
    }
}
