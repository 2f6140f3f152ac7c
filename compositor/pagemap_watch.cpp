#include "compositor/pagemap_watch.hpp"

#include <utility>

#include "defio/trackers/pagemap_scan.hpp"

namespace udefio {

Result<PagemapWatch> PagemapWatch::open(std::shared_ptr<const ProcessMemory> memory, uint64_t address,
                                        uint64_t length)
{
    PagemapWatch watch(std::move(memory), address, length);
    // One scan now: it fails if the kernel has no PAGEMAP_SCAN or the range
    // is not registered write-protect-async. What it finds is kept.
    auto first = watch.written();
    if (!first)
        return first.error();
    watch.pending_ = std::move(first).value();
    return watch;
}

Result<std::vector<uint32_t>> PagemapWatch::written()
{
    std::vector<page_region> regions(64);
    std::vector<uint32_t> pages = std::exchange(pending_, {});
    if (auto scanned = scan_written_pages(memory_->pagemap(), address_, length_, regions, pages); !scanned)
        return Error{scanned.error().code, "a client's pagemap: " + scanned.error().what};
    return pages;
}

}  // namespace udefio
