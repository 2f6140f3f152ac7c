// fbdev defio's own trick in userspace: the range is read-only, the first
// write to a page faults, the SIGSEGV handler makes that page writable, marks
// it and rings the doorbell; collect makes the written pages read-only again.
// Limit: the kernel's own writes into the range (read(2) into the buffer)
// fail with EFAULT instead of faulting.
#pragma once

#include <memory>

#include "defio/tracker.hpp"
#include "defio/trackers/open_pages.hpp"
#include "defio/trackers/write_fault_router.hpp"
#include "defio/trackers/written_pages.hpp"

namespace udefio {

class MprotectTracker final : public Tracker, private WriteFaultClient {
public:
    static Result<std::unique_ptr<Tracker>> create(std::span<std::byte> range);
    ~MprotectTracker() override;

    TrackerKind kind() const override { return TrackerKind::mprotect; }
    Result<NextLook> collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open) override;
    bool can_leave_open() const override { return true; }
    int write_doorbell_fd() const override { return written_.doorbell_fd(); }

    MprotectTracker(std::span<std::byte> range, WrittenPages written);

private:
    void on_write_fault(std::byte* address) noexcept override;

    std::span<std::byte> range_;
    size_t page_size_;
    WrittenPages written_;
    OpenPages open_;  // collect's only
    bool registered_ = false;
};

}  // namespace udefio
