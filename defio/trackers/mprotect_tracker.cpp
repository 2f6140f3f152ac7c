#include "defio/trackers/mprotect_tracker.hpp"

#include <sys/mman.h>

#include "defio/buffer_layout.hpp"
#include "defio/log.hpp"
#include "defio/trackers/page_runs.hpp"

namespace udefio {

Result<std::unique_ptr<Tracker>> MprotectTracker::create(std::span<std::byte> range)
{
    auto doorbell = Doorbell::create();
    if (!doorbell)
        return doorbell.error();
    auto tracker = std::make_unique<MprotectTracker>(range, std::move(doorbell).value());
    if (auto added = add_write_fault_range(range, *tracker); !added)
        return added.error();
    tracker->registered_ = true;
    if (::mprotect(range.data(), range.size(), PROT_READ) != 0)
        return errno_error("mprotect(PROT_READ) of the tracked buffer");
    return std::unique_ptr<Tracker>(std::move(tracker));
}

MprotectTracker::MprotectTracker(std::span<std::byte> range, Doorbell doorbell)
    : range_(range), page_size_(page_size()), doorbell_(std::move(doorbell)), written_(range.size() / page_size_)
{
}

MprotectTracker::~MprotectTracker()
{
    if (!registered_)
        return;
    // Writable first, so that no fault arrives once the handler is gone.
    if (::mprotect(range_.data(), range_.size(), PROT_READ | PROT_WRITE) != 0)
        UDEFIO_LOG(error, "mprotect(PROT_READ|PROT_WRITE) of a buffer no longer tracked failed: errno %d", errno);
    remove_write_fault_range(*this);
}

void MprotectTracker::on_write_fault(std::byte* address) noexcept
{
    const size_t page = static_cast<size_t>(address - range_.data()) / page_size_;
    // Writable before marked: if collect took the bit between the two steps
    // it would re-protect a page that we then open again unmarked, and every
    // later write to it would be lost.
    ::mprotect(range_.data() + page * page_size_, page_size_, PROT_READ | PROT_WRITE);
    written_.set(page);
    if (!rung_.exchange(true, std::memory_order_acq_rel))
        doorbell_.ring();
}

Result<void> MprotectTracker::collect(std::vector<uint32_t>& written_pages)
{
    rung_.store(false, std::memory_order_release);
    taken_.clear();
    written_.take(taken_);
    // Taken before re-protected: a write in between lands before the flush
    // copies the page, so it is flushed now; a write after faults again.
    Result<void> result;
    for_each_page_run(taken_, [&](uint32_t first, uint32_t count) {
        if (::mprotect(range_.data() + first * page_size_, count * page_size_, PROT_READ) != 0 && result)
            result = errno_error("mprotect(PROT_READ) to re-arm written pages");
    });
    written_pages.insert(written_pages.end(), taken_.begin(), taken_.end());
    return result;
}

}  // namespace udefio
