#include "defio/trackers/uffd_async_tracker.hpp"

#include <fcntl.h>

#include "defio/buffer_layout.hpp"
#include "defio/trackers/pagemap_scan.hpp"

namespace udefio {
namespace {

constexpr size_t kRegionsPerScan = 256;  // runs of written pages per ioctl

}  // namespace

Result<std::unique_ptr<Tracker>> UffdAsyncTracker::create(std::span<std::byte> range)
{
    auto uffd = Userfaultfd::open_for_write_protect(range, UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED);
    if (!uffd)
        return uffd.error();
    UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    if (!pagemap)
        return errno_error("open(/proc/self/pagemap) for PAGEMAP_SCAN");
    auto doorbell = ProtectDoorbell::create(range);
    if (!doorbell)
        return doorbell.error();
    auto tracker = std::make_unique<UffdAsyncTracker>(range, std::move(uffd).value(), std::move(pagemap),
                                                      std::move(doorbell).value());
    // One scan now: an ENOTTY here means the kernel has no PAGEMAP_SCAN (< 6.7).
    std::vector<uint32_t> none;
    if (auto scanned = tracker->collect(none); !scanned)
        return scanned.error();
    return std::unique_ptr<Tracker>(std::move(tracker));
}

UffdAsyncTracker::UffdAsyncTracker(std::span<std::byte> range, Userfaultfd uffd, UniqueFd pagemap,
                                   std::unique_ptr<ProtectDoorbell> doorbell)
    : range_(range),
      uffd_(std::move(uffd)),
      pagemap_(std::move(pagemap)),
      doorbell_(std::move(doorbell)),
      regions_(kRegionsPerScan)
{
}

Result<void> UffdAsyncTracker::collect(std::vector<uint32_t>& written_pages)
{
    const size_t before = written_pages.size();
    if (auto scanned = scan(written_pages); !scanned || written_pages.size() != before)
        return scanned;
    // Idle: arm the doorbell, then scan again, so that a write made between
    // the first scan and the arming is not left waiting for the next burst.
    if (auto armed = doorbell_->arm(); !armed)
        return armed;
    return scan(written_pages);
}

Result<void> UffdAsyncTracker::scan(std::vector<uint32_t>& written_pages)
{
    return scan_written_pages(pagemap_.get(), reinterpret_cast<uintptr_t>(range_.data()), range_.size(), regions_,
                              written_pages);
}

}  // namespace udefio
