#include <gtest/gtest.h>

#include <vector>

#include "defio/damage.hpp"

using namespace udefio;

namespace {
std::vector<uint32_t> pages_of(std::initializer_list<uint32_t> indices) { return indices; }
}  // namespace

TEST(Damage, PageWithinOneRowIsASpan)
{
    // 1920 px * 4 = 7680 bytes per row: page 0 is pixels 0..1023 of row 0.
    auto layout = BufferLayout::make(1920, 1080).value();
    Damage d;
    d.add_pages(pages_of({0}), layout);
    EXPECT_EQ(d.rects(), (std::vector<Rect>{{0, 0, 1024, 1}}));
}

TEST(Damage, PageAcrossRowsSplits)
{
    // Page 1 covers bytes 4096..8191: row 0 pixels 1024..1919 and row 1 pixels 0..127.
    auto layout = BufferLayout::make(1920, 1080).value();
    Damage d;
    d.add_pages(pages_of({1}), layout);
    EXPECT_EQ(d.rects(), (std::vector<Rect>{{1024, 0, 896, 1}, {0, 1, 128, 1}}));
}

TEST(Damage, SmallStrideCoversWholeRows)
{
    // 64 px * 4 = 256 bytes per row: one page is 16 whole rows.
    auto layout = BufferLayout::make(64, 64).value();
    Damage d;
    d.add_pages(pages_of({1, 2}), layout);
    EXPECT_EQ(d.rects(), (std::vector<Rect>{{0, 16, 64, 32}}));
}

TEST(Damage, StridePaddingIsNotDamage)
{
    // width 100 (400 bytes) with stride 512: bytes 400..511 of each row are padding.
    auto layout = BufferLayout::make(100, 64, 512).value();
    Damage d;
    d.add_pages(pages_of({0}), layout);
    EXPECT_EQ(d.rects(), (std::vector<Rect>{{0, 0, 100, 8}}));
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
