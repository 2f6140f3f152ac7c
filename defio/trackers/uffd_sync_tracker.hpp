// userfaultfd write-protect without WP_ASYNC (5.19+ on shmem): a write to a
// protected page blocks the writer and queues a message; our fault thread
// marks the page, lifts the protection (which wakes the writer) and rings the
// doorbell. collect re-protects the pages it takes. Like mprotect, but without
// signals and with the kernel doing the bookkeeping of which thread waits.
#pragma once

#include <memory>
#include <mutex>
#include <thread>

#include "util/doorbell.hpp"
#include "defio/tracker.hpp"
#include "defio/trackers/open_pages.hpp"
#include "defio/trackers/userfaultfd.hpp"
#include "defio/trackers/written_pages.hpp"

namespace udefio {

class UffdSyncTracker final : public Tracker {
public:
    static Result<std::unique_ptr<Tracker>> create(std::span<std::byte> range);
    ~UffdSyncTracker() override;

    TrackerKind kind() const override { return TrackerKind::uffd_sync; }
    Result<NextLook> collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open) override;
    bool can_leave_open() const override { return true; }
    int write_doorbell_fd() const override { return written_.doorbell_fd(); }

    UffdSyncTracker(std::span<std::byte> range, Userfaultfd uffd, WrittenPages written, Doorbell stop);

private:
    void run_fault_thread();

    std::span<std::byte> range_;
    size_t page_size_;
    Userfaultfd uffd_;
    WrittenPages written_;  // marked by the fault thread
    OpenPages open_;        // under protection_lock_
    // Makes "mark the page, open it" (fault thread) and "take the marks,
    // protect those pages" (collect) atomic with respect to each other. Held
    // only around those two steps; the writer blocked in the fault holds
    // nothing, so no one waits on it while holding this.
    std::mutex protection_lock_;
    Doorbell stop_;         // rung by the destructor to end the fault thread
    std::thread fault_thread_;
};

}  // namespace udefio
