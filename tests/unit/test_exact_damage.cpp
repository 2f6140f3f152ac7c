// ExactDamage: written pages compared with the shadow of what was sent,
// differences as row spans, the shadow updated from what was compared.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <vector>

#include "defio/exact_damage.hpp"

using namespace udefio;

namespace {

class ExactDamageTest : public testing::Test {
protected:
    void make(uint32_t width, uint32_t height, uint32_t stride = 0, uint32_t gap = kSpanMergeGap)
    {
        layout_ = BufferLayout::make(width, height, stride).value();
        live_.emplace(SharedBuffer::create(layout_).value());
        exact_.emplace(ExactDamage::create(layout_, gap).value());
    }

    void fill(const Rect& r, uint32_t color)
    {
        for (int32_t y = r.y; y < r.y + r.height; ++y)
            for (int32_t x = r.x; x < r.x + r.width; ++x)
                live_->row(uint32_t(y))[x] = color;
    }

    // The pages the bytes of `r` lie in, as a tracker would report them.
    std::vector<uint32_t> pages_of(const Rect& r) const
    {
        std::vector<uint32_t> pages;
        const size_t page = page_size();
        for (int32_t y = r.y; y < r.y + r.height; ++y) {
            const size_t first = (size_t(y) * layout_.stride + size_t(r.x) * 4) / page;
            const size_t last = (size_t(y) * layout_.stride + size_t(r.x + r.width) * 4 - 1) / page;
            for (size_t p = first; p <= last; ++p)
                if (pages.empty() || pages.back() < p)
                    pages.push_back(uint32_t(p));
        }
        return pages;
    }

    std::vector<Rect> compare(const std::vector<uint32_t>& pages, ExactDamage::Compared* counts = nullptr,
                              std::vector<uint32_t>* changed = nullptr)
    {
        Damage damage;
        auto r = exact_->compare(live_->data(), pages, damage, changed);
        EXPECT_TRUE(r.ok()) << r.error().message();
        if (counts && r)
            *counts = *r;
        return damage.rects();
    }

    BufferLayout layout_;
    std::optional<SharedBuffer> live_;
    std::optional<ExactDamage> exact_;
};

TEST_F(ExactDamageTest, CursorMoveIsExactlyTheSquares)
{
    make(1920, 1080);
    const Rect cursor{600, 500, 64, 64};
    fill(cursor, 0x00ff0000);
    EXPECT_EQ(compare(pages_of(cursor)), (std::vector<Rect>{cursor}));
    // Moved 8 px right: the old square's left 8 px go black, the rest changes colour.
    fill(cursor, 0);
    const Rect moved{608, 500, 64, 64};
    fill(moved, 0x0000ff00);
    EXPECT_EQ(compare(pages_of(Rect{600, 500, 72, 64})), (std::vector<Rect>{{600, 500, 72, 64}}));
}

TEST_F(ExactDamageTest, WrittenButUnchangedPageSendsNothing)
{
    make(1920, 1080);
    fill({10, 10, 100, 4}, 0x123456);
    (void)compare(pages_of({10, 10, 100, 4}));
    fill({10, 10, 100, 4}, 0x123456);  // the same pixels again
    ExactDamage::Compared counts;
    std::vector<uint32_t> changed;
    EXPECT_TRUE(compare(pages_of({10, 10, 100, 4}), &counts, &changed).empty());
    EXPECT_EQ(counts.pages, 4u);
    EXPECT_EQ(counts.unchanged, 4u);
    EXPECT_TRUE(changed.empty());
}

TEST_F(ExactDamageTest, TheShadowIsUpdatedFromTheCompare)
{
    make(640, 480);
    fill({5, 5, 20, 20}, 0xabcdef);
    const auto pages = pages_of({5, 5, 20, 20});
    EXPECT_FALSE(compare(pages).empty());
    EXPECT_TRUE(compare(pages).empty()) << "the second compare found what the first sent";
    for (int32_t y = 5; y < 25; ++y)
        EXPECT_EQ(std::memcmp(exact_->shadow().row(uint32_t(y)) + 5, live_->row(uint32_t(y)) + 5, 20 * 4), 0);
}

TEST_F(ExactDamageTest, ChangesCloserThanTheGapAreOneSpan)
{
    make(1920, 8, 0, 16);
    live_->row(3)[100] = 1;
    live_->row(3)[115] = 1;  // 14 unchanged pixels between: merged
    live_->row(3)[200] = 1;  // 84 between: a span of its own
    EXPECT_EQ(compare(pages_of({0, 3, 1920, 1})), (std::vector<Rect>{{100, 3, 16, 1}, {200, 3, 1, 1}}));
}

TEST_F(ExactDamageTest, ARowAcrossAPageBoundaryIsOneSpan)
{
    // 1920 px rows: row 0 ends in page 1 (bytes 4096..7679 are pixels 1024..1919).
    make(1920, 8);
    fill({1000, 0, 50, 1}, 7);
    EXPECT_EQ(pages_of({1000, 0, 50, 1}), (std::vector<uint32_t>{0, 1}));
    EXPECT_EQ(compare({0, 1}), (std::vector<Rect>{{1000, 0, 50, 1}}));
}

TEST_F(ExactDamageTest, OnlyTheComparedPagesAreLookedAt)
{
    make(1024, 64);  // one row per page
    fill({0, 10, 8, 1}, 3);
    fill({0, 20, 8, 1}, 3);
    EXPECT_EQ(compare({10}), (std::vector<Rect>{{0, 10, 8, 1}}));
    EXPECT_EQ(compare({20}), (std::vector<Rect>{{0, 20, 8, 1}}));
}

TEST_F(ExactDamageTest, StridePaddingIsNeverDamage)
{
    make(100, 64, 512);  // bytes 400..511 of each row are padding
    for (uint32_t y = 0; y < 8; ++y)
        std::memset(live_->data() + size_t(y) * 512 + 400, 0xff, 112);
    EXPECT_TRUE(compare({0}).empty());
    live_->row(2)[99] = 5;
    EXPECT_EQ(compare({0}), (std::vector<Rect>{{99, 2, 1, 1}}));
}

TEST_F(ExactDamageTest, RowsWithTheSameSpanAreOneRectangle)
{
    make(800, 600);
    fill({100, 100, 300, 200}, 9);  // the text box
    EXPECT_EQ(compare(pages_of({100, 100, 300, 200})), (std::vector<Rect>{{100, 100, 300, 200}}));
}

TEST_F(ExactDamageTest, TakeCopiesWithoutComparing)
{
    make(320, 240);
    fill({0, 0, 320, 240}, 0x42);
    Damage all = Damage::full(layout_);
    ASSERT_TRUE(exact_->take(live_->data(), all).ok());
    EXPECT_EQ(std::memcmp(exact_->shadow().data(), live_->data(), layout_.bytes()), 0);
    std::vector<uint32_t> every;
    for (uint32_t p = 0; p < layout_.pages(); ++p)
        every.push_back(p);
    EXPECT_TRUE(compare(every).empty());
}

TEST_F(ExactDamageTest, MemoryThatVanishesIsAnErrorNotACrash)
{
    // A client's lease: it truncates its memfd while the compositor compares it.
    make(1024, 16);
    fill({0, 0, 1024, 16}, 1);
    ASSERT_EQ(::ftruncate(live_->fd(), 0), 0);
    Damage damage;
    const std::vector<uint32_t> pages{0, 1, 2};
    auto r = exact_->compare(live_->data(), pages, damage);
    EXPECT_FALSE(r.ok());
}

TEST_F(ExactDamageTest, TheShadowCostsOneBuffer)
{
    make(1920, 1080);
    EXPECT_EQ(exact_->shadow_bytes(), layout_.mapped_bytes());
}

}  // namespace
