#include "defio/trackers/pagemap_scan.hpp"

#include <sys/ioctl.h>

#include "defio/buffer_layout.hpp"

namespace udefio {

Result<void> scan_written_pages(int pagemap_fd, uintptr_t begin, uint64_t length, std::vector<page_region>& regions,
                                std::vector<uint32_t>& pages, bool write_protect)
{
    const uintptr_t end = begin + length;
    const size_t page = page_size();
    pm_scan_arg arg{};
    arg.size = sizeof arg;
    arg.flags = (write_protect ? PM_SCAN_WP_MATCHING : 0) | PM_SCAN_CHECK_WPASYNC;
    arg.start = begin;
    arg.end = end;
    arg.vec = reinterpret_cast<uintptr_t>(regions.data());
    arg.vec_len = regions.size();
    arg.category_mask = PAGE_IS_WRITTEN;
    arg.return_mask = PAGE_IS_WRITTEN;
    for (;;) {
        const int filled = ::ioctl(pagemap_fd, PAGEMAP_SCAN, &arg);
        if (filled < 0)
            return errno_error("ioctl(PAGEMAP_SCAN) (needs Linux 6.7+ and a write-protect-async registration)");
        for (int i = 0; i < filled; ++i) {
            for (uintptr_t a = regions[size_t(i)].start; a < regions[size_t(i)].end; a += page)
                pages.push_back(static_cast<uint32_t>((a - begin) / page));
        }
        if (arg.walk_end >= end)
            return {};
        arg.start = arg.walk_end;
    }
}

}  // namespace udefio
