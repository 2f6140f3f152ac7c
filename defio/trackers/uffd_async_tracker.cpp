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
    if (auto scanned = tracker->scan(none, true); !scanned)
        return scanned.error();
    return std::unique_ptr<Tracker>(std::move(tracker));
}

UffdAsyncTracker::UffdAsyncTracker(std::span<std::byte> range, Userfaultfd uffd, UniqueFd pagemap,
                                   std::unique_ptr<ProtectDoorbell> doorbell)
    : range_(range),
      uffd_(std::move(uffd)),
      pagemap_(std::move(pagemap)),
      doorbell_(std::move(doorbell)),
      regions_(kRegionsPerScan),
      open_(uint32_t(range.size() / page_size()))
{
}

Result<NextLook> UffdAsyncTracker::collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open)
{
    const size_t before = written_pages.size();
    auto rearm = [&](uint32_t first, uint32_t count) { return uffd_.write_protect(first, count, true); };
    auto open_all = [&] { return uffd_.write_protect(0, range_.size() / page_size(), false); };
    if (open_.any() || !keep_open.empty()) {
        // Pages to leave open: get without re-arming, then re-arm the others.
        // An open page has no write protection, so the scan reports it as
        // written every time, as OpenPages wants; with the whole range open
        // (full-copy mode) there is nothing to scan for. A write between the
        // scan and the re-arm lands before the caller reads the page.
        scanned_.clear();
        if (!(open_.all() && keep_open.all())) {
            if (auto scanned = scan(scanned_, false); !scanned)
                return scanned.error();
        }
        if (auto settled = open_.settle(scanned_, keep_open, written_pages, rearm, open_all); !settled)
            return settled.error();
        if (open_.any())
            return NextLook::after_delay;  // their writes are not seen: look at them again
    } else if (auto scanned = scan(written_pages, true); !scanned) {
        return scanned.error();
    }
    if (written_pages.size() != before)
        return NextLook::after_delay;  // still being written: the doorbell stays unarmed (it costs a pass)
    // Idle: arm the doorbell, then scan again, so that a write made between
    // the first scan and the arming is not left waiting for the next burst.
    if (auto armed = doorbell_->arm(); !armed)
        return armed.error();
    if (auto scanned = scan(written_pages, true); !scanned)
        return scanned.error();
    return written_pages.size() != before ? NextLook::after_delay : NextLook::when_told;
}

Result<void> UffdAsyncTracker::scan(std::vector<uint32_t>& written_pages, bool write_protect)
{
    return scan_written_pages(pagemap_.get(), reinterpret_cast<uintptr_t>(range_.data()), range_.size(), regions_,
                              written_pages, write_protect);
}

}  // namespace udefio
