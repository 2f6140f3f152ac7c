// Everything a flush touches, shared by the output and every mapping of the
// buffer (fb_deferred_io_state, from "fbdev: defio: Move variable state into
// struct fb_deferred_io_state"). The output attaches itself as the
// sink; when it goes away, detach() clears the sink under the state lock,
// stops the flush worker and revokes the buffer, while the state itself lives
// on for as long as any mapping holds a reference: later writes get SIGBUS and
// later flushes are no-ops.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "defio/buffer_flags.hpp"
#include "defio/damage.hpp"
#include "defio/damage_finder.hpp"
#include "defio/flush_worker.hpp"
#include "profile/frame_recorder.hpp"
#include "defio/page_ref_list.hpp"
#include "defio/shared_buffer.hpp"
#include "defio/sink.hpp"
#include "defio/tracker.hpp"

namespace udefio {

struct DeferredIoOptions {
    std::chrono::nanoseconds delay{16'666'667};          // first write -> flush
    std::chrono::nanoseconds poll_interval{16'666'667};  // for trackers without a doorbell
    std::optional<TrackerKind> tracker;                  // nullopt: the best that works here
    DamageFinderOptions damage;                          // exact damage, hot pages, full copy (the sink may
                                                         // turn exact damage off: Sink::damage_shape)
};

struct FlushStats {
    uint64_t flushes = 0;       // sink flushes with non-empty damage
    uint64_t pages = 0;         // pages flushed, summed
    uint64_t damage_pixels = 0; // damaged pixels flushed, summed
    uint64_t bytes_copied = 0;  // what the sink reported
    uint64_t wakeups = 0;       // flush worker wakeups
    uint64_t flush_ns = 0;      // time in flushes (collect, damage, the sink's copy and commit), summed
    uint64_t faults_taken = 0;  // the rest as FoundCounts (defio/damage_finder.hpp), summed
    uint64_t faults_avoided = 0;
    uint64_t pages_compared = 0;
    uint64_t pages_unchanged = 0;
    uint64_t full_copies = 0;   // flushes that sent the whole frame with one copy

    FlushStats& operator+=(const FlushStats& o)
    {
        flushes += o.flushes;
        pages += o.pages;
        damage_pixels += o.damage_pixels;
        bytes_copied += o.bytes_copied;
        wakeups += o.wakeups;
        flush_ns += o.flush_ns;
        faults_taken += o.faults_taken;
        faults_avoided += o.faults_avoided;
        pages_compared += o.pages_compared;
        pages_unchanged += o.pages_unchanged;
        full_copies += o.full_copies;
        return *this;
    }
};

class DeferredIoState {
public:
    static Result<std::shared_ptr<DeferredIoState>> create(const BufferLayout& layout,
                                                           const DeferredIoOptions& options);
    ~DeferredIoState();
    DeferredIoState(const DeferredIoState&) = delete;
    DeferredIoState& operator=(const DeferredIoState&) = delete;

    // Profiling mode: every flush is recorded here. Before attach(); the
    // recorder stays for the state's life (outputs add their stages to it).
    void set_recorder(std::shared_ptr<FrameRecorder> recorder);
    FrameRecorder* recorder() const { return recorder_.get(); }

    // fb_deferred_io_init: flushes start going to `sink`. Once per state.
    Result<void> attach(Sink& sink);
    // fb_deferred_io_cleanup: after return no flush runs into the sink and every
    // mapping of the buffer gets SIGBUS on its next access. The output calls this
    // first thing in its destructor, never from inside Sink::flush.
    void detach();

    // Something was written: arm the deferred flush (from any thread).
    // Returns false once the output is gone (the caller's SIGBUS).
    bool notify_write();
    // Explicit damage from a client; combined with tracked pages at the next flush.
    bool add_damage(const Rect& rect);
    // Flushes what is pending now, on the calling thread (e.g. before exit).
    void flush_now();
    // While its output is switched off (--blank-after), a polled tracker (a
    // shadow compare) looks once a second instead of every poll interval: a
    // store is still found, within a second, and the panel woken by it.
    // Back to normal, the next look is one poll interval from now.
    static constexpr std::chrono::seconds kSlowPoll{1};
    void poll_slowly(bool slow);

    // The buffer and its memory outlive the output; after detach() the memory is revoked.
    SharedBuffer& buffer() { return buffer_; }
    const BufferLayout& layout() const { return buffer_.layout(); }
    TrackerKind tracker_kind() const { return tracker_kind_; }
    const BufferFlags& flags() const { return flags_; }
    bool attached() const;
    FlushStats stats() const;

    struct Key {
        explicit Key() = default;
    };
    DeferredIoState(Key, SharedBuffer buffer, std::unique_ptr<Tracker> tracker, const DeferredIoOptions& options);

private:
    void deferred_work(std::chrono::nanoseconds due);  // the flush worker's timer, armed for `due`, expired
    // Arms the flush for the delay from now, when the sink wants it. Under
    // lock_ (shared or exclusive) with info_ set.
    void schedule_flush();
    // What the last collect said. Under lock_ with info_ set.
    void look_again(NextLook next);
    void look_tracker();   // the look timer expired: a collect between flushes (polled trackers)
    // `due`: when the flush should have started (Sink::flush).
    void flush_locked(const std::unique_lock<std::shared_mutex>& lock, std::chrono::nanoseconds due);
    // Returns the frame's number.
    uint64_t record_flush_start(std::chrono::nanoseconds started, const FoundDamage& found);

    const DeferredIoOptions options_;
    const TrackerKind tracker_kind_;

    std::chrono::nanoseconds poll_interval() const;  // under lock_

    // lock_ protects info_, pagerefs_, pagereflist_, explicit_damage_,
    // tracker_, finder_, stats_, last_look_, look_bound_, polling_, slow_poll_ and the setting of
    // recorder_. Taken exclusively by flushes (worker thread or flush_now), looks,
    // attach(), detach() and add_damage(); shared by notify_write(), which only
    // reads info_ and sets an allow-listed flag. Sink::flush runs under it, so
    // detach() waits for a running flush. Lock order: lock_, then the worker's mutex.
    mutable std::shared_mutex lock_;
    Sink* info_ = nullptr;  // the output; nullptr before attach and after detach
    SharedBuffer buffer_;
    std::vector<PageRef> pagerefs_;  // one per page, 1:1 with the buffer
    PageRefList pagereflist_;
    Damage explicit_damage_;
    std::unique_ptr<Tracker> tracker_;
    std::unique_ptr<DamageFinder> finder_;  // made by attach(): the sink says whether it wants a shadow
    FlushStats stats_;
    // Profiling, for writes no doorbell announced: when the tracker last
    // looked (a poll or a flush), and the look before the one that first
    // found this frame's writes (0: none found yet).
    std::chrono::nanoseconds last_look_{};
    std::chrono::nanoseconds look_bound_{};
    bool polling_ = false;    // the tracker's last look asked for another after the poll interval
    bool slow_poll_ = false;  // poll_slowly(true)

    // Set before attach(), then read-only: profiling costs one branch when off.
    std::shared_ptr<FrameRecorder> recorder_;
    // Profiling: CLOCK_MONOTONIC ns of the first write announced since the
    // last flush (0: none). Set by notify_write() under the shared lock.
    std::atomic<int64_t> first_write_ns_{0};

    BufferFlags flags_;
    // Created by attach() under lock_ and never replaced, so notify_write()
    // may use it under the shared lock once it has seen info_ set.
    std::unique_ptr<FlushWorker> worker_;
};

}  // namespace udefio
