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
// frame would make a full-screen animation crawl. So a page stays writable
// ("hot") after its fault, with the block of pages around it (fault-around,
// as the kernel maps pages around a read fault), and each collect compares
// hot pages with a copy taken when they were last reported; a page
// unchanged for two collects is write-protected again. While any page is
// hot the flush worker collects again after its delay
// (NextLook::after_delay) instead of waiting for a fault; once none is, the
// next store faults and rings the doorbell. A
// program that draws once a frame, out of phase with the flushes, thus
// takes no fault while it draws: one collect without a change between two
// of its frames does not close its pages.
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
#include "util/doorbell.hpp"
#include "util/mapping.hpp"
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

    // The Tracker interface (flush worker thread), through RemoteWritesTracker.
    // Returns whether pages were left open (hot): their stores ring nothing.
    Result<bool> collect(std::vector<uint32_t>& written_pages);
    int doorbell_fd() const { return doorbell_.fd(); }

    struct Range {
        uint64_t start = 0;
        uint64_t length = 0;
        uint64_t first_page = 0;  // file page of `start`
    };
    struct Open {
        uint64_t address = 0;  // of a page left writable
        uint32_t idle = 0;     // collects it did not change in
    };
    struct Context {
        pid_t tgid = 0;  // 0 until known (a forked child's, until it faults)
        UniqueFd uffd;
        UniqueFd pidfd;  // when tgid is known: its end drops the context
        std::vector<Range> ranges;
        std::vector<Open> opened;  // its hot pages
    };

    RemoteWrites(std::span<std::byte> memory, UniqueFd inotify, Doorbell doorbell, Doorbell stop, Doorbell changed);

private:
    void run_fault_thread();
    void handle_messages(Context& ctx, std::vector<std::unique_ptr<Context>>& born);
    void mark(uint64_t page);
    std::optional<uint64_t> file_page_of(const Context& ctx, uint64_t address) const;
    int protect(Context& ctx, std::vector<uint64_t>& addresses, bool on);
    // A write fault at `address` (page-aligned): opens the block around it.
    void open_around(Context& ctx, uint64_t address);
    Result<void> ensure_shadow_pages();  // the copies of hot pages, mapped at first use
    bool shadow_differs(uint64_t file_page) const;
    void take_shadow(uint64_t file_page);
    void learn_tgid(Context& ctx, pid_t tid);
    void sweep_dead_contexts();
    // Drops contexts (their mm ended or was replaced), marking their hot pages.
    void drop_contexts(const std::function<bool(const Context&)>& which);
    Context* find(pid_t tgid);

    const std::span<std::byte> memory_;
    const size_t pages_;
    UniqueFd inotify_;   // IN_MODIFY of the memfd: a write() to /dev/fb0
    Doorbell doorbell_;  // rung at the first mark after a collect
    Doorbell stop_;      // ends the fault thread
    Doorbell changed_;   // the set of contexts changed: the fault thread polls anew

    // lock_ protects contexts_ (their ranges and opened pages), marks_ and
    // rung_. The fault thread takes it to mark a page and unprotect it (one
    // step), collect to take the marks and protect the opened pages again
    // (one step), the loop thread to add contexts and ranges. A writer blocked
    // in a fault holds nothing we wait for.
    mutable std::mutex lock_;
    std::vector<std::unique_ptr<Context>> contexts_;
    std::vector<uint64_t> marks_;  // one bit per page
    bool rung_ = false;
    Mapping shadow_pages_;  // copies of hot pages, as last reported

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
    // The doorbell is armed only once no page is hot (hot pages take no
    // fault): until then, look again after the delay.
    Result<NextLook> collect(std::vector<uint32_t>& written_pages, const PageSet&) override
    {
        const size_t before = written_pages.size();
        auto open = writes_->collect(written_pages);
        if (!open)
            return open.error();
        return written_pages.size() == before && !*open ? NextLook::when_told : NextLook::after_delay;
    }
    int write_doorbell_fd() const override { return writes_->doorbell_fd(); }

private:
    std::shared_ptr<RemoteWrites> writes_;
};

}  // namespace udefio::fbdev
