// The best mechanism of recent kernels (6.7+): the range is write-protected
// through a userfaultfd with UFFD_FEATURE_WP_ASYNC, so a write fault is
// resolved by the kernel itself (no thread, no signal) and only marks the page
// PAGE_IS_WRITTEN; collect is one PAGEMAP_SCAN ioctl that returns the written
// pages and write-protects them again atomically (PM_SCAN_WP_MATCHING). Cost
// grows with the number of written pages, not with the frame size. Kernel
// writes on our behalf (read(2) into the buffer) are tracked too.
#pragma once

#include <memory>

#include "defio/tracker.hpp"
#include "defio/uapi.hpp"
#include "defio/trackers/open_pages.hpp"
#include "defio/trackers/protect_doorbell.hpp"
#include "defio/trackers/userfaultfd.hpp"

namespace udefio {

class UffdAsyncTracker final : public Tracker {
public:
    static Result<std::unique_ptr<Tracker>> create(std::span<std::byte> range);

    TrackerKind kind() const override { return TrackerKind::uffd_async; }
    Result<NextLook> collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open) override;
    bool can_leave_open() const override { return true; }
    // Armed only by a collect that found nothing: arming costs a pass over
    // the range's page table, so while the client draws it is not armed and
    // collect says to look again after the delay.
    int write_doorbell_fd() const override { return doorbell_->fd(); }

    UffdAsyncTracker(std::span<std::byte> range, Userfaultfd uffd, UniqueFd pagemap,
                     std::unique_ptr<ProtectDoorbell> doorbell);

private:
    Result<void> scan(std::vector<uint32_t>& written_pages, bool write_protect);

    std::span<std::byte> range_;
    Userfaultfd uffd_;  // must stay open: closing it drops the write protection
    UniqueFd pagemap_;  // /proc/self/pagemap, opened once (PAGEMAP_SCAN target)
    std::unique_ptr<ProtectDoorbell> doorbell_;
    std::vector<page_region> regions_;  // scratch of collect (one caller at a time)
    std::vector<uint32_t> scanned_;     // likewise
    OpenPages open_;
};

}  // namespace udefio
