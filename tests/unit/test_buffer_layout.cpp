#include <gtest/gtest.h>

#include "defio/buffer_layout.hpp"

using namespace udefio;

TEST(BufferLayout, TightStrideByDefault)
{
    auto layout = BufferLayout::make(1920, 1080);
    ASSERT_TRUE(layout.ok()) << layout.error().message();
    EXPECT_EQ(layout->stride, 1920u * 4);
    EXPECT_EQ(layout->bytes(), 1920u * 4 * 1080);
    EXPECT_EQ(layout->mapped_bytes() % page_size(), 0u);
    EXPECT_GE(layout->mapped_bytes(), layout->bytes());
}

TEST(BufferLayout, RejectsImpossibleSizes)
{
    for (auto [w, h] : {std::pair{0u, 10u}, {10u, 0u}, {kMaxDimension + 1, 10u}, {10u, 100000u}}) {
        auto layout = BufferLayout::make(w, h);
        ASSERT_FALSE(layout.ok());
        EXPECT_NE(layout.error().message().find("impossible size"), std::string::npos);
    }
}

TEST(BufferLayout, RejectsBadStrides)
{
    auto small = BufferLayout::make(100, 10, 396);
    ASSERT_FALSE(small.ok());
    EXPECT_NE(small.error().message().find("smaller than width"), std::string::npos);
    auto odd = BufferLayout::make(100, 10, 401);
    ASSERT_FALSE(odd.ok());
    EXPECT_NE(odd.error().message().find("not a multiple of 4"), std::string::npos);
    EXPECT_TRUE(BufferLayout::make(100, 10, 512).ok());
}

TEST(BufferLayout, PixelFormats)
{
    EXPECT_TRUE(parse_pixel_format("XRGB8888").ok());
    auto bad = parse_pixel_format("NV12");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("NV12"), std::string::npos);
}
