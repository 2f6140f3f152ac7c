#include "compositor/pagemap_watch.hpp"

#include <fcntl.h>

#include <string>
#include <utility>

#include "defio/trackers/pagemap_scan.hpp"

namespace udefio {

Result<PagemapWatch> PagemapWatch::open(pid_t pid, uint64_t address, uint64_t length)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/pagemap";
    UniqueFd pagemap(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!pagemap)
        return errno_error("open(" + path + ")");
    PagemapWatch watch(std::move(pagemap), address, length);
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
    if (auto scanned = scan_written_pages(pagemap_.get(), address_, length_, regions, pages); !scanned)
        return Error{scanned.error().code, "a client's pagemap: " + scanned.error().what};
    return pages;
}

}  // namespace udefio
