// The CRIU mechanism: writing "4" to /proc/self/clear_refs clears every
// soft-dirty bit of the process, the next write to a page sets bit 55 of its
// /proc/self/pagemap entry (defio/trackers/soft_dirty_pages.* owns that
// process-wide clear). Needs CONFIG_MEM_SOFT_DIRTY (the probe writes a page
// and checks the bit, because on kernels without it the files exist and the
// bit simply never sets). Polled: it has no doorbell.
#pragma once

#include <memory>

#include "defio/tracker.hpp"
#include "defio/trackers/soft_dirty_pages.hpp"

namespace udefio {

class SoftDirtyTracker final : public Tracker {
public:
    static Result<std::unique_ptr<Tracker>> create(std::span<std::byte> range);

    TrackerKind kind() const override { return TrackerKind::soft_dirty; }
    Result<NextLook> collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open) override;

    explicit SoftDirtyTracker(std::unique_ptr<SoftDirtyPages> pages) : pages_(std::move(pages)) {}

private:
    std::unique_ptr<SoftDirtyPages> pages_;
};

}  // namespace udefio
