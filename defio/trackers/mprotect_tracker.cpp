#include "defio/trackers/mprotect_tracker.hpp"

#include <sys/mman.h>

#include "defio/buffer_layout.hpp"

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
    : range_(range), page_size_(page_size()), written_(std::move(written)), open_(uint32_t(written_.pages()))
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

Result<NextLook> MprotectTracker::collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open)
{
    const std::span<const uint32_t> taken = written_.take();
    // Taken before re-protected: a write in between lands before the flush
    // copies the page, so it is flushed now; a write after faults again.
    auto rearm = [&](uint32_t first, uint32_t count) -> Result<void> {
        if (::mprotect(range_.data() + first * page_size_, count * page_size_, PROT_READ) != 0)
            return errno_error("mprotect(PROT_READ) to re-arm written pages");
        return {};
    };
    auto open_all = [&]() -> Result<void> {
        if (::mprotect(range_.data(), range_.size(), PROT_READ | PROT_WRITE) != 0)
            return errno_error("mprotect(PROT_READ|PROT_WRITE) to open the tracked buffer");
        return {};
    };
    if (auto settled = open_.settle(taken, keep_open, written_pages, rearm, open_all); !settled)
        return settled.error();
    return open_.any() ? NextLook::after_delay : NextLook::when_told;
}

}  // namespace udefio
