// Sorted page indices → maximal runs of consecutive pages, so that re-arming
// costs one system call per run instead of one per page.
#pragma once

#include <cstdint>
#include <span>

namespace udefio {

template <typename Fn>  // Fn(uint32_t first_page, uint32_t page_count)
void for_each_page_run(std::span<const uint32_t> sorted_pages, Fn&& fn)
{
    size_t i = 0;
    while (i < sorted_pages.size()) {
        size_t j = i + 1;
        while (j < sorted_pages.size() && sorted_pages[j] == sorted_pages[j - 1] + 1)
            ++j;
        fn(sorted_pages[i], static_cast<uint32_t>(j - i));
        i = j;
    }
}

}  // namespace udefio
