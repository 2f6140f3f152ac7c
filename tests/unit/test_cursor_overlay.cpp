// The software cursor: what each change damages, and where the flush copy
// draws it: only where the flush copied, turned with the output's
// transform, clipped at the frame's edges.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "backends/cursor_overlay.hpp"

using namespace udefio;

namespace {

// A panel image of w x h XRGB pixels, all `fill`.
struct Panel {
    int32_t width, height;
    std::vector<uint32_t> pixels;
    Panel(int32_t w, int32_t h, uint32_t fill) : width(w), height(h), pixels(size_t(w) * h, fill) {}
    std::byte* data() { return reinterpret_cast<std::byte*>(pixels.data()); }
    size_t pitch() const { return size_t(width) * 4; }
    uint32_t at(int32_t x, int32_t y) const { return pixels[size_t(y) * width + x]; }
    size_t count(uint32_t value) const { return size_t(std::count(pixels.begin(), pixels.end(), value)); }
};

constexpr uint32_t kGround = 0x00123456;
constexpr uint32_t kBlack = 0x00000000, kWhite = 0x00ffffff;

}  // namespace

TEST(CursorOverlay, EachChangeDamagesWhereItWasAndWhereItIs)
{
    CursorOverlay cursor;
    EXPECT_TRUE(cursor.move_to({10, 20}).empty()) << "hidden: nothing to redraw";
    const auto shown = cursor.set_visible(true);
    ASSERT_EQ(shown.size(), 1u);
    EXPECT_EQ(shown[0], (Rect{10, 20, CursorOverlay::kWidth, CursorOverlay::kHeight}));
    EXPECT_TRUE(cursor.set_visible(true).empty());
    EXPECT_TRUE(cursor.move_to({10.7, 20.2}).empty()) << "the same pixel";
    const auto moved = cursor.move_to({30, 5});
    ASSERT_EQ(moved.size(), 2u);
    EXPECT_EQ(moved[0], (Rect{10, 20, CursorOverlay::kWidth, CursorOverlay::kHeight}));
    EXPECT_EQ(moved[1], (Rect{30, 5, CursorOverlay::kWidth, CursorOverlay::kHeight}));
    const auto hidden = cursor.set_visible(false);
    ASSERT_EQ(hidden.size(), 1u);
    EXPECT_EQ(hidden[0], moved[1]);
}

TEST(CursorOverlay, ItIsDrawnOnlyWhereTheFlushCopied)
{
    const OutputGeometry normal{{64, 48}, Transform::normal};
    Panel panel(64, 48, kGround);
    const CursorOverlay::Placement at{true, 8, 4};
    // The tip, its outline and fill, inside the copied rectangle.
    const size_t drawn = CursorOverlay::draw(panel.data(), panel.pitch(), at, {{0, 0, 64, 48}}, normal, XByte::keep);
    EXPECT_GT(drawn, 100u);
    EXPECT_EQ(panel.at(8, 4), kBlack) << "the tip";
    EXPECT_EQ(panel.at(9, 6), kWhite);
    EXPECT_EQ(panel.at(19, 4), kGround) << "right of the tip: the frame shows through";
    EXPECT_EQ(panel.count(kBlack) + panel.count(kWhite), drawn);
    // A flush that copied only the left half of where it is draws only that half.
    Panel half(64, 48, kGround);
    const size_t left = CursorOverlay::draw(half.data(), half.pitch(), at, {{0, 0, 12, 48}}, normal, XByte::keep);
    EXPECT_GT(left, 0u);
    EXPECT_LT(left, drawn);
    for (int32_t y = 0; y < 48; ++y)
        for (int32_t x = 12; x < 64; ++x)
            ASSERT_EQ(half.at(x, y), kGround) << x << "," << y;
    // Hidden: nothing.
    Panel none(64, 48, kGround);
    EXPECT_EQ(CursorOverlay::draw(none.data(), none.pitch(), {false, 8, 4}, {{0, 0, 64, 48}}, normal, XByte::keep), 0u);
    EXPECT_EQ(none.count(kGround), 64u * 48);
}

TEST(CursorOverlay, ItIsTurnedWithTheOutputAndClippedAtItsEdges)
{
    // Panel 48x64 turned 90: the logical frame is 64x48; logical (x, y) is
    // on the panel at (y, 63 - x)... as transform_rect says. Compare with a
    // 1x1 copy of the same place, the one turn every flush copy uses.
    const OutputGeometry turned{{48, 64}, Transform::rotate_90};
    Panel panel(48, 64, kGround);
    const CursorOverlay::Placement at{true, 20, 10};
    ASSERT_GT(CursorOverlay::draw(panel.data(), panel.pitch(), at, {{0, 0, 64, 48}}, turned, XByte::opaque), 0u);
    const Rect tip = turned.logical_to_panel({20, 10, 1, 1});
    EXPECT_EQ(panel.at(tip.x, tip.y), 0xff000000u) << "the tip, black, opaque X byte";
    const Rect fill = turned.logical_to_panel({21, 12, 1, 1});
    EXPECT_EQ(panel.at(fill.x, fill.y), 0xffffffffu);
    // At the bottom right corner only the tip's pixel is inside the frame.
    Panel corner(64, 48, kGround);
    EXPECT_EQ(CursorOverlay::draw(corner.data(), corner.pitch(), {true, 63, 47}, {{0, 0, 64, 48}},
                                  {{64, 48}, Transform::normal}, XByte::keep),
              1u);
    EXPECT_EQ(corner.at(63, 47), kBlack);
}

TEST(CursorOverlay, ModesAreParsed)
{
    EXPECT_EQ(parse_cursor_mode("auto").value(), CursorMode::automatic);
    EXPECT_EQ(parse_cursor_mode("never").value(), CursorMode::never);
    EXPECT_EQ(parse_cursor_mode("always").value(), CursorMode::always);
    EXPECT_FALSE(parse_cursor_mode("sometimes").ok());
}
