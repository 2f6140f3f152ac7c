// A virtual screen: flushes are copied into a frame of its own, and a
// simulated vblank (a timer at the next multiple of the refresh period)
// presents them and signals their fences (a software timeline). It keeps counters and can write the frame as PNG, which
// makes it the embedded default when there is no display and the backend
// the tests check pixels on.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>

#include "backends/frame_copy.hpp"
#include "backends/output.hpp"
#include "backends/png_file.hpp"
#include "backends/vblank_clock.hpp"
#include "loop/event_loop.hpp"
#include "fence/software_timeline.hpp"
#include "util/weak_self.hpp"

namespace udefio {

struct HeadlessSnapshots {
    std::string dir;                          // empty: no snapshots
    std::chrono::milliseconds interval{1000}; // at most one per interval
    std::string prefix = "frame-";            // DIR/PREFIXnnnn.png
};

class HeadlessOutput final : public Output {
public:
    // `name`: headless-0, headless-1, ...; `mode` is the panel's, the
    // frame it shows is that turned by `transform`.
    static Result<std::unique_ptr<HeadlessOutput>> create(EventLoop& loop, std::string name, OutputMode mode,
                                                          HeadlessSnapshots snapshots,
                                                          Transform transform = Transform::normal);

    std::string name() const override { return name_; }
    OutputMode mode() const override { return mode_; }
    // Its counters: commits are flushes copied into the frame; presented, vblanks that showed something new.
    VblankTiming vblank_timing() const override;
    // The simulated vblanks fall on the multiples of the refresh period.
    std::chrono::nanoseconds next_vblank(std::chrono::nanoseconds now) const override;
    uint64_t snapshots() const { return snapshots_taken_.load(std::memory_order_relaxed); }
    // Blanked, the screen shows black (frame() and the snapshots say so).
    Result<void> set_blanked(bool blanked) override;
    Result<void> hold_blanked(bool held) override;
    bool blanked() const override
    {
        return blanked_.load(std::memory_order_relaxed) || held_.load(std::memory_order_relaxed);
    }

    // Flush worker thread.
    FlushResult flush(const SharedBuffer& src, std::span<PageRef* const> pages,
                      const Damage& damage, std::chrono::nanoseconds due) override;
    // Any thread. Like a KMS output with a vblank (VblankClock): shortly
    // before the simulated vblank that keeps delay + one period.
    std::chrono::nanoseconds flush_time(std::chrono::nanoseconds now, std::chrono::nanoseconds ready) const override;

    // What the screen shows now: the panel's pixels. Any thread.
    Image frame() const;
    Result<void> snapshot_png(const std::string& path) const override;

    HeadlessOutput(EventLoop& loop, std::string name, OutputMode mode, HeadlessSnapshots snapshots,
                   Transform transform);

private:
    SinkBinding& binding() override { return binding_; }
    void on_flushed();  // loop thread
    void on_vblank();   // loop thread
    // Arms the vblank that shows the oldest flush not yet shown, if any.
    void arm_vblank();  // loop thread
    void maybe_snapshot(std::chrono::steady_clock::time_point now);

    EventLoop& loop_;
    const std::string name_;
    const OutputMode mode_;
    const HeadlessSnapshots snapshots_;

    const FrameCopy copy_;
    mutable std::mutex frame_mutex_;  // protects frame_; taken by flush() (flush worker, under the state
                                      // lock; the cursor's lock nests inside) and by readers of the frame
    Image frame_;
    std::atomic<bool> blanked_{false};  // until something is drawn (set_blanked)
    std::atomic<bool> held_{false};     // until hold_blanked(false)

    // Loop thread only.
    EventSource vblank_;
    bool vblank_pending_ = false;
    std::chrono::nanoseconds next_vblank_{};  // the grid point the pending vblank stands for
    std::chrono::nanoseconds last_vblank_{};  // the grid point of the last one that ran
    uint64_t sequence_ = 0;
    std::chrono::steady_clock::time_point last_snapshot_{};

    std::atomic<uint64_t> snapshots_taken_{0};

    // When flushes start: fed with each flush and each simulated vblank.
    VblankClock vblank_clock_;

    // The flushes committed (with their fence) and not yet presented, in
    // commit order. A vblank presents those committed at or before its grid
    // time; one committed later (its timer ran late) waits for the next, so a
    // frame is never shown, nor its fence signalled, before its commit.
    struct Committed {
        std::chrono::nanoseconds at{};
        uint64_t fence_seqno = 0;  // 0: no fence
        uint64_t token = 0;
    };
    std::mutex committed_mutex_;  // protects committed_; a leaf, taken by flush(), on_vblank() and arm_vblank()
    std::deque<Committed> committed_;

    // Scanout fences: one per flush, signalled by the vblank that shows it.
    SoftwareTimeline timeline_{"headless-scanout"};

    // Posted callbacks and the vblank timer find the output gone after this.
    WeakSelf<HeadlessOutput> self_{*this};
    SinkBinding binding_{*this};  // last: detaches the state first
};

}  // namespace udefio
