#include <gtest/gtest.h>

#include <vector>

#include "defio/page_ref_list.hpp"

using namespace udefio;

TEST(PageRefList, SortedAndDeduplicated)
{
    std::vector<PageRef> refs(10);
    for (uint32_t i = 0; i < refs.size(); ++i)
        refs[i].index = i;
    PageRefList list;
    EXPECT_TRUE(list.add(refs[7]));
    EXPECT_TRUE(list.add(refs[2]));
    EXPECT_FALSE(list.add(refs[7]));
    EXPECT_TRUE(list.add(refs[5]));
    EXPECT_FALSE(list.add(refs[2]));
    auto sorted = list.sorted();
    ASSERT_EQ(sorted.size(), 3u);
    EXPECT_EQ(sorted[0]->index, 2u);
    EXPECT_EQ(sorted[1]->index, 5u);
    EXPECT_EQ(sorted[2]->index, 7u);
}

TEST(PageRefList, ClearUnlists)
{
    std::vector<PageRef> refs(3);
    PageRefList list;
    list.add(refs[1]);
    list.clear();
    EXPECT_TRUE(list.empty());
    EXPECT_FALSE(refs[1].listed);
    EXPECT_TRUE(list.add(refs[1]));
}
