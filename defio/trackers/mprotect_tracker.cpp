#include "defio/trackers/mprotect_tracker.hpp"

#include <sys/mman.h>

#include "defio/buffer_layout.hpp"
#include "defio/trackers/page_runs.hpp"

namespace udefio {

Result<std::unique_ptr<Tracker>> MprotectTracker::create(std::span<std::byte> range)
{
    auto written = WrittenPages::create(range.size() / page_size());
    if (!written)
        return written.error();
    auto tracker = std::make_unique<MprotectTracker>(range, std::move(written).value());
    if (auto added = add_write_fault_range(range, *tracker); !added)
        return added.error();
    tracker->registered_ = true;
    if (::mprotect(range.data(), range.size(), PROT_READ) != 0)
        return errno_error("mprotect(PROT_READ) of the tracked buffer");
    return std::unique_ptr<Tracker>(std::move(tracker));
}

MprotectTracker::MprotectTracker(std::span<std::byte> range, WrittenPages written)
    : range_(range), page_size_(page_size()), written_(std::move(written))
{
}

MprotectTracker::~MprotectTracker()
{
    if (registered_)
        remove_write_fault_range(range_, *this);
}

void MprotectTracker::on_write_fault(std::byte* address) noexcept
{
    const size_t page = static_cast<size_t>(address - range_.data()) / page_size_;
    // Writable before marked: if collect took the bit between the two steps
    // it would re-protect a page that we then open again unmarked, and every
    // later write to it would be lost.
    ::mprotect(range_.data() + page * page_size_, page_size_, PROT_READ | PROT_WRITE);
    written_.mark(page);
}

Result<void> MprotectTracker::collect(std::vector<uint32_t>& written_pages)
{
    const std::span<const uint32_t> taken = written_.take();
    // Taken before re-protected: a write in between lands before the flush
    // copies the page, so it is flushed now; a write after faults again.
    Result<void> result;
    for_each_page_run(taken, [&](uint32_t first, uint32_t count) {
        if (::mprotect(range_.data() + first * page_size_, count * page_size_, PROT_READ) != 0 && result)
            result = errno_error("mprotect(PROT_READ) to re-arm written pages");
    });
    written_pages.insert(written_pages.end(), taken.begin(), taken.end());
    return result;
}

}  // namespace udefio
