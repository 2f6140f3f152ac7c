// The CRIU mechanism: writing "4" to /proc/self/clear_refs clears every
// soft-dirty bit of the process, the next write to a page sets bit 55 of its
// /proc/self/pagemap entry. Needs CONFIG_MEM_SOFT_DIRTY (the probe writes a
// page and checks the bit, because on kernels without it the files exist and
// the bit simply never sets). Polled: it has no doorbell.
// Known limit: clear_refs is not atomic with the pagemap read, so a write to
// a page not yet reported, made between the read and the clear, is missed;
// the probe says so and prefers every other kernel mechanism.
#pragma once

#include <memory>

#include "defio/tracker.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class SoftDirtyTracker final : public Tracker {
public:
    static Result<std::unique_ptr<Tracker>> create(std::span<std::byte> range);

    TrackerKind kind() const override { return TrackerKind::soft_dirty; }
    Result<void> collect(std::vector<uint32_t>& written_pages) override;

    SoftDirtyTracker(std::span<std::byte> range, UniqueFd pagemap, UniqueFd clear_refs);

private:
    Result<void> clear() const;

    std::span<std::byte> range_;
    size_t page_size_;
    UniqueFd pagemap_;
    UniqueFd clear_refs_;
    std::vector<uint64_t> entries_;  // scratch of collect (one caller at a time)
};

}  // namespace udefio
