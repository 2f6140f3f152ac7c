// The pages of the framebuffer that its program's processes wrote, found with
// userfaultfds that live in their mms. A userfaultfd belongs to the mm of the
// task that created it, but UFFDIO_REGISTER and UFFDIO_WRITEPROTECT act on
// that mm from any process holding the fd (fs/userfaultfd.c uses ctx->mm):
// udefio has one created inside each process (SyscallInjector), takes it
// over, registers the process's mappings of the framebuffer write-protect
// and serves the faults on a thread of its own, as UffdSyncTracker does for
// udefio's own mapping. A fork hands over the child's userfaultfd
// (UFFD_FEATURE_EVENT_FORK); munmap and mremap are followed. Idle costs
// nothing: the fault thread sleeps until a store faults.
//
// A fault costs two context switches (50-60 us in our VMs): one per page per
// frame would make a full-screen animation crawl. So this is a tracker that
// can leave pages open (Tracker::collect's keep_open): the deferred I/O
// state's hot pages stay writable and are compared there, once, at every
// flush; in full-copy mode the whole framebuffer is opened in every process.
// And a write fault opens the aligned block of pages around it
// (fault-around, as the kernel maps pages around a read fault), reported
// like the faulted page, so that a frame drawn into closed pages takes one
// fault per block. While any page is open the flush worker collects again
// after its delay (NextLook::after_delay) instead of waiting for a fault;
// once none is, the next store faults and rings the doorbell.
//
// write() and friends on /dev/fb0 change the memory without a fault: an
// inotify watch of the memfd (IN_MODIFY) marks the whole framebuffer then.
// Where no userfaultfd can be had (ptrace refused), a shadow compare of
// udefio's own mapping takes over, polled: the last resort, and said so.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "defio/tracker.hpp"
#include "defio/trackers/open_pages.hpp"
#include "util/doorbell.hpp"
#include "util/unique_fd.hpp"

namespace udefio::fbdev {

class RemoteWrites {
public:
    // `memory`: udefio's own mapping of the framebuffer (for the shadow
    // compare); `memfd`: the framebuffer's memfd (for the inotify watch).
    static Result<std::shared_ptr<RemoteWrites>> create(std::span<std::byte> memory, int memfd);
    ~RemoteWrites();
    RemoteWrites(const RemoteWrites&) = delete;
    RemoteWrites& operator=(const RemoteWrites&) = delete;

    // Loop thread: what SyscallInjector found in process `tgid`.
    bool has_context(pid_t tgid) const;
    // Takes over a userfaultfd created in `tgid` (replacing one of its old mm).
    Result<void> adopt(pid_t tgid, UniqueFd uffd);
    // `tgid` mapped `length` bytes of the framebuffer from `file_offset` at
    // `start`: register them write-protected. Every page counts as written.
    // A mapping that can never be written is left alone.
    Result<void> track(pid_t tgid, uint64_t start, uint64_t length, uint64_t file_offset);
    // A mapping no userfaultfd covers: from now on a shadow compare finds its stores.
    void add_untracked_mapping(const std::string& why);

    // "userfaultfd in 2 processes", "shadow compare (...)".
    std::string describe() const;
    bool shadow_compare() const { return shadow_on_.load(std::memory_order_acquire); }
    size_t contexts() const;
    uint64_t faults() const { return faults_.load(std::memory_order_relaxed); }

    // Tracker::collect (flush worker thread), through RemoteWritesTracker.
    // Returns whether pages were left open: their stores ring nothing.
    Result<bool> collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open);
    int doorbell_fd() const { return doorbell_.fd(); }

    struct Range {
        uint64_t start = 0;
        uint64_t length = 0;
        uint64_t first_page = 0;  // file page of `start`
    };
    struct Context {
        pid_t tgid = 0;  // 0 until known (a forked child's, until it faults)
        UniqueFd uffd;
        UniqueFd pidfd;  // when tgid is known: its end drops the context
        std::vector<Range> ranges;
    };

    RemoteWrites(std::span<std::byte> memory, UniqueFd inotify, Doorbell doorbell, Doorbell stop, Doorbell changed);

private:
    void run_fault_thread();
    void handle_messages(Context& ctx, std::vector<std::unique_ptr<Context>>& born);
    void mark(uint64_t page);
    std::optional<uint64_t> file_page_of(const Context& ctx, uint64_t address) const;
    // A write fault at `address` (page-aligned): opens it, or the block around it.
    void open_around(Context& ctx, uint64_t address);
    // Write-protects (`on`) or opens file pages [first_page, end_page) in
    // every process that maps them, and drops the processes whose mm is
    // gone. Pages that cannot be re-armed now are marked, to be reported and
    // re-armed at the next collect.
    void set_protection(uint64_t first_page, uint64_t end_page, bool on);
    void learn_tgid(Context& ctx, pid_t tid);
    void sweep_dead_contexts();
    // Drops contexts: their mm ended or was replaced. What they stored is
    // reported all the same: their open pages are reported until re-armed.
    void drop_contexts(const std::function<bool(const Context&)>& which);
    Context* find(pid_t tgid);

    const std::span<std::byte> memory_;
    const size_t pages_;
    UniqueFd inotify_;   // IN_MODIFY of the memfd: a write() to /dev/fb0
    Doorbell doorbell_;  // rung at the first mark after a collect
    Doorbell stop_;      // ends the fault thread
    Doorbell changed_;   // the set of contexts changed: the fault thread polls anew

    // lock_ protects contexts_ (their ranges), marks_, rung_, open_ and
    // fault_around_. The fault thread takes it to mark a page and unprotect
    // it (one step: a collect between them would re-arm the page we then
    // open, and its later stores would be lost), collect to take the marks
    // and re-arm what is not kept open (one step), the loop thread to add
    // contexts and ranges. A writer blocked in a fault holds nothing we wait for.
    mutable std::mutex lock_;
    std::vector<std::unique_ptr<Context>> contexts_;
    std::vector<uint64_t> marks_;  // one bit per page
    bool rung_ = false;
    OpenPages open_;  // file pages left open at the caller's request
    // Off in full-copy mode (from a collect that opens everything to one that
    // keeps nothing open): there a probe re-arms a sample and counts its
    // faults as written pages, one page each.
    bool fault_around_ = true;

    std::atomic<uint64_t> faults_{0};  // write faults served
    std::atomic<bool> shadow_on_{false};
    std::string shadow_reason_;        // under lock_
    std::unique_ptr<Tracker> shadow_;  // collect only (one caller at a time)
    std::thread fault_thread_;
};

// The Tracker a DeferredIoState holds; RemoteWrites is shared with the
// program's supervisor, which feeds it mappings.
class RemoteWritesTracker final : public Tracker {
public:
    explicit RemoteWritesTracker(std::shared_ptr<RemoteWrites> writes) : writes_(std::move(writes)) {}
    TrackerKind kind() const override { return TrackerKind::uffd_sync; }
    bool can_leave_open() const override { return true; }
    // Open pages take no fault: until none is, look again after the delay.
    Result<NextLook> collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open) override
    {
        auto open = writes_->collect(written_pages, keep_open);
        if (!open)
            return open.error();
        return *open ? NextLook::after_delay : NextLook::when_told;
    }
    int write_doorbell_fd() const override { return writes_->doorbell_fd(); }

private:
    std::shared_ptr<RemoteWrites> writes_;
};

}  // namespace udefio::fbdev
