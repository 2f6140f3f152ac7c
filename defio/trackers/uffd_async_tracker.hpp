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
#include "defio/trackers/protect_doorbell.hpp"
#include "defio/trackers/userfaultfd.hpp"

namespace udefio {

class UffdAsyncTracker final : public Tracker {
public:
    static Result<std::unique_ptr<Tracker>> create(std::span<std::byte> range);

    TrackerKind kind() const override { return TrackerKind::uffd_async; }
    Result<void> collect(std::vector<uint32_t>& written_pages) override;
    int write_doorbell_fd() const override { return doorbell_->fd(); }
    bool doorbell_only_when_idle() const override { return true; }

    UffdAsyncTracker(std::span<std::byte> range, Userfaultfd uffd, UniqueFd pagemap,
                     std::unique_ptr<ProtectDoorbell> doorbell);

private:
    Result<void> scan(std::vector<uint32_t>& written_pages);

    std::span<std::byte> range_;
    Userfaultfd uffd_;  // must stay open: closing it drops the write protection
    UniqueFd pagemap_;  // /proc/self/pagemap, opened once (PAGEMAP_SCAN target)
    std::unique_ptr<ProtectDoorbell> doorbell_;
    std::vector<page_region> regions_;  // scratch of collect (one caller at a time)
};

}  // namespace udefio
