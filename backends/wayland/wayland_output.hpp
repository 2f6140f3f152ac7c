// A window on a Wayland compositor showing a DeferredIoState: an xdg_toplevel
// (fullscreen when asked) with two wl_shm buffers. A flush (flush worker)
// copies this frame's damage plus what the buffer missed (its age, as on KMS)
// into a buffer the compositor does not hold and posts the commit to the loop
// thread, which makes every Wayland call: attach, damage_buffer, a frame
// callback, wp_presentation feedback, commit. At most one commit is in flight
// (until its frame callback): a flush that finds one waits for that callback,
// as a KMS flush waits for its page flip, but only for two refresh periods.
// If it does not come (the window is hidden, the compositor throttles it) or
// both buffers are still held, the flush's damage is owed, not lost: it is
// given back to the state as explicit damage when a frame callback or a
// release arrives, and flushes stop waiting until a frame callback comes.
//
// Resize: the window's size is the output's mode. The DeferredIoState's
// buffer cannot change size (the memfd is sealed against growing and clients
// have it mapped), so a resized window shows it unscaled at the top left,
// clipped when the window is smaller and on black when it is larger; the
// mode() reports the new size so a new state can be made to fit.
//
// Transform (--transform T): the window's surface is the panel (mode() is
// the surface size, as the configure gives it) and the buffers hold the
// logical frame as it was drawn, of frame_size() (width and height swapped
// for the 90 and 270 variants), copied untouched. The surface's buffer
// transform, invert(T), has the compositor turn the buffer onto the surface
// as a KMS panel or the headless output turns it: the protocol's buffer
// transform is the one that undoes the compositor's use of the buffer, and
// our panel is the logical frame turned by invert(T). Damage is in buffer
// coordinates (damage_buffer), so logical, as this output keeps it.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "backends/damage_ring.hpp"
#include "backends/output.hpp"
#include "backends/wayland/presentation_feedback.hpp"
#include "backends/wayland/shm_buffer.hpp"
#include "backends/wayland/wayland_options.hpp"
#include "backends/wayland/xdg_window.hpp"
#include "loop/event_loop.hpp"
#include "util/weak_self.hpp"

namespace udefio {

// What only a Wayland output counts (OutputCounters has commits, presented and bytes).
struct WaylandCounters {
    uint64_t frame_callbacks = 0;  // frame callbacks received
    uint64_t discarded = 0;        // commits the compositor reported never shown
    uint64_t deferred = 0;         // flushes that found a commit in flight or no free buffer
    uint64_t resizes = 0;          // configures that changed the window's size
    uint64_t configures = 0;       // configures handled (counted once each took effect)
};

class WaylandOutput final : public Output {
public:
    // Creates the window and waits for the compositor's first configure, which
    // decides the mode; shows black until the first flush. Loop thread.
    static Result<std::unique_ptr<WaylandOutput>> create(EventLoop& loop, WaylandConnection& connection,
                                                         const WaylandOutputOptions& options);
    // Loop thread, or after the loop stopped.
    ~WaylandOutput() override;

    std::string name() const override { return output_name(connection_); }
    static std::string output_name(const WaylandConnection& connection) { return "window@" + connection.name(); }
    // What the surface's wl_surface.set_buffer_transform gets for the output's transform `t`.
    static Transform buffer_transform(Transform t) { return invert(t); }
    OutputMode mode() const override;
    // Its counters: commits are flushes committed to the surface; presented, those reported presented.

    // Flush worker thread.
    FlushResult flush(const SharedBuffer& src, std::span<PageRef* const> pages,
                      const Damage& damage, std::chrono::nanoseconds due) override;

    // The buffer last committed, turned as the compositor shows it (the panel).
    Result<void> snapshot_png(const std::string& path) const override;
    WaylandCounters wayland_counters() const
    {
        return {frame_callbacks_.load(std::memory_order_relaxed), discarded_.load(std::memory_order_relaxed),
                deferred_.load(std::memory_order_relaxed), resizes_.load(std::memory_order_relaxed),
                configures_.load(std::memory_order_relaxed)};
    }
    // The compositor asked to close the window. Loop thread.
    void set_close_callback(std::function<void()> callback) { window_->set_close_callback(std::move(callback)); }

    WaylandOutput(EventLoop& loop, WaylandConnection& connection, std::unique_ptr<XdgWindow> window,
                  const WaylandOutputOptions& options);

private:
    SinkBinding& binding() override { return binding_; }

    struct Slot {
        std::unique_ptr<ShmBuffer> buffer;
        bool queued = false;  // written by a flush, its commit posted to the loop
        bool held = false;    // committed: the compositor may read it until wl_buffer.release
    };

    // Loop thread.
    Result<void> apply_configure(const WindowConfigure& configure);
    // `frame`: the profiler's last frame in this copy (flushing_frame()).
    void commit(int slot, uint64_t generation, const Damage& damage, uint64_t frame);
    void commit_black();
    void on_frame_done();
    void on_release(int slot);
    void on_presented(const Presentation& presentation, std::chrono::nanoseconds refresh, uint64_t token);
    void give_back_owed();
    int writable_slot_locked() const;  // -1: none, or a commit is in flight

    EventLoop& loop_;
    WaylandConnection& connection_;
    const WaylandOutputOptions options_;

    // Protects slots_ (the buffers and their flags), ages_, generation_,
    // shown_, awaiting_frame_, stalled_, owed_, stale_, mode_ and closing_.
    // Taken by flush() (flush worker, under the state lock; it waits on
    // writable_ and copies with it), by the loop-thread handlers and by mode()
    // and snapshot_png(); never held while calling into the state, the
    // compositor or the presented callback. The loop thread takes the state
    // lock (to give damage back, or to redraw after a resize) without this one;
    // a flush that waits for the loop meanwhile gives up after its two refresh
    // periods, so neither waits for the other for longer.
    mutable std::mutex mutex_;
    std::condition_variable writable_;  // a buffer may have become writable, or closing_
    std::array<Slot, 2> slots_;
    std::optional<DamageRing> ages_;  // what each buffer lacks of the picture (the frames it missed)
    uint64_t generation_ = 0;     // bumped when a resize replaces the buffers
    int shown_ = -1;              // the slot last committed
    bool awaiting_frame_ = false; // a commit's frame callback has not arrived
    bool stalled_ = false;        // a flush waited for one in vain; none came since
    Damage owed_;                 // damage of deferred flushes, not in any buffer yet
    Damage stale_;                // what the next commit must damage beyond its flush (new buffers)
    OutputMode mode_;
    bool closing_ = false;

    // Loop thread only.
    std::unique_ptr<XdgWindow> window_;
    WlPtr<wl_callback> frame_callback_;
    PresentationFeedback feedback_;
    std::optional<uint32_t> pending_ack_;  // a resize's configure, acked with the first commit of its size
    bool first_presented_ = false;
    uint64_t last_token_ = 0;  // the profiler's token of the last commit

    std::atomic<uint64_t> frame_callbacks_{0};
    std::atomic<uint64_t> discarded_{0};
    std::atomic<uint64_t> deferred_{0};
    std::atomic<uint64_t> resizes_{0};
    std::atomic<uint64_t> configures_{0};

    WeakSelf<WaylandOutput> self_{*this};  // posted commits find the output gone after this
    SinkBinding binding_{*this};           // last: detaches the state first
};

}  // namespace udefio
