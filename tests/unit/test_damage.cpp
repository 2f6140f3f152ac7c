#include <gtest/gtest.h>

#include <vector>

#include "defio/damage.hpp"
#include "util/mapping.hpp"

using namespace udefio;

namespace {
// The damage of these pages of the layout, as Damage::add_pages makes it.
std::vector<Rect> damage_of_pages(const BufferLayout& layout, std::initializer_list<uint32_t> indices)
{
    std::vector<PageRef> storage(layout.pages());
    std::vector<PageRef*> pages;
    for (uint32_t i : indices) {
        storage[i].index = i;
        pages.push_back(&storage[i]);
    }
    Damage d;
    d.add_pages(pages, layout);
    return d.rects();
}
}  // namespace

// Pages are page_size() bytes, as the trackers report them (4096 on x86-64,
// 16 or 64 KiB on some arm64 kernels): the layouts below are sized in pages.
const int32_t kPagePixels = int32_t(page_size() / 4);

TEST(Damage, PageWithinOneRowIsASpan)
{
    // A row of 1.875 pages (1920 px with 4 KiB pages): page 0 is pixels 0..P-1 of row 0.
    const int32_t width = kPagePixels * 15 / 8;
    auto layout = BufferLayout::make(uint32_t(width), 64).value();
    EXPECT_EQ(damage_of_pages(layout, {0}), (std::vector<Rect>{{0, 0, kPagePixels, 1}}));
}

TEST(Damage, PageAcrossRowsSplits)
{
    // Page 1 covers pixels P..2P-1: the rest of row 0 from P, and row 1 up to 2P - width.
    const int32_t width = kPagePixels * 15 / 8;
    auto layout = BufferLayout::make(uint32_t(width), 64).value();
    EXPECT_EQ(damage_of_pages(layout, {1}),
              (std::vector<Rect>{{kPagePixels, 0, width - kPagePixels, 1}, {0, 1, 2 * kPagePixels - width, 1}}));
}

TEST(Damage, SmallStrideCoversWholeRows)
{
    // 64 px * 4 = 256 bytes per row: one page is P / 64 whole rows (16 with 4 KiB pages).
    const int32_t rows = kPagePixels / 64;
    auto layout = BufferLayout::make(64, uint32_t(4 * rows)).value();
    EXPECT_EQ(damage_of_pages(layout, {1, 2}), (std::vector<Rect>{{0, rows, 64, 2 * rows}}));
}

TEST(Damage, StridePaddingIsNotDamage)
{
    // width 100 (400 bytes) with stride 512: bytes 400..511 of each row are
    // padding; one page is P / 128 rows (8 with 4 KiB pages).
    const int32_t rows = kPagePixels / 128;
    auto layout = BufferLayout::make(100, uint32_t(8 * rows), 512).value();
    EXPECT_EQ(damage_of_pages(layout, {0}), (std::vector<Rect>{{0, 0, 100, rows}}));
}

TEST(Damage, ClipsMergeToAtMostN)
{
    Damage d;
    for (int i = 0; i < 40; ++i)
        d.add(Rect{i * 20, i * 20, 5, 5});
    auto clips = d.clips(8);
    ASSERT_LE(clips.size(), 8u);
    // Every damaged pixel is inside some clip.
    for (const Rect& r : d.rects()) {
        bool covered = false;
        for (const Rect& c : clips)
            covered |= r.x >= c.x && r.y >= c.y && r.x + r.width <= c.x + c.width &&
                       r.y + r.height <= c.y + c.height;
        EXPECT_TRUE(covered) << r.x << "," << r.y;
    }
    EXPECT_EQ(d.clips(64).size(), 40u);
}

TEST(Damage, ClipToLayout)
{
    auto layout = BufferLayout::make(100, 100).value();
    Damage d;
    d.add(Rect{90, 90, 50, 50});
    d.clip_to(layout);
    EXPECT_EQ(d.extents(), (Rect{90, 90, 10, 10}));
    EXPECT_EQ(d.area(), 100);
}

TEST(Damage, PastTwentyRectanglesItIsTheirExtents)
{
    Damage d;
    for (int i = 0; i < 20; ++i)
        d.add(Rect{i * 10, i * 3, 2, 2});
    d.collapse_past();
    EXPECT_EQ(d.rects().size(), 20u) << "twenty are kept as they are";
    d.add(Rect{500, 400, 1, 1});
    d.collapse_past();
    ASSERT_EQ(d.rects().size(), 1u);
    EXPECT_EQ(d.extents(), (Rect{0, 0, 501, 401}));
}
