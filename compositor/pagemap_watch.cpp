#include "compositor/pagemap_watch.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <string>
#include <utility>

#include "defio/uapi.hpp"

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
    constexpr uint64_t kPage = 4096;
    std::vector<page_region> regions(64);
    std::vector<uint32_t> pages = std::exchange(pending_, {});
    const uint64_t end = address_ + length_;
    pm_scan_arg arg{};
    arg.size = sizeof arg;
    arg.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
    arg.start = address_;
    arg.end = end;
    arg.vec = reinterpret_cast<uintptr_t>(regions.data());
    arg.vec_len = regions.size();
    arg.category_mask = PAGE_IS_WRITTEN;
    arg.return_mask = PAGE_IS_WRITTEN;
    for (;;) {
        const int filled = ::ioctl(pagemap_.get(), PAGEMAP_SCAN, &arg);
        if (filled < 0)
            return errno_error("ioctl(PAGEMAP_SCAN) on a client's pagemap");
        for (int i = 0; i < filled; ++i)
            for (uint64_t a = regions[size_t(i)].start; a < regions[size_t(i)].end; a += kPage)
                pages.push_back(uint32_t((a - address_) / kPage));
        if (arg.walk_end >= end)
            return pages;
        arg.start = arg.walk_end;
    }
}

}  // namespace udefio
