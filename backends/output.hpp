// One display output of a backend (a KMS connector+CRTC, a Wayland toplevel, a
// headless screen). It receives flushes from the DeferredIoState attached to it
// and reports when a flush was presented. Each backend's output class holds a
// SinkBinding (its last member) and a WeakSelf for its posted callbacks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "backends/cursor_overlay.hpp"
#include "defio/deferred_io_state.hpp"
#include "defio/sink.hpp"
#include "util/transform.hpp"

namespace udefio {

struct OutputMode {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t refresh_mhz = 60'000;  // refresh rate in mHz, as KMS reports it

    std::chrono::nanoseconds refresh_period() const
    {
        return std::chrono::nanoseconds(1'000'000'000'000LL / (refresh_mhz ? refresh_mhz : 60'000));
    }
};

// --transform: the outputs named, and one for all others.
struct OutputTransforms {
    Transform others = Transform::normal;
    std::map<std::string, Transform> named;

    Transform of(const std::string& output) const
    {
        auto it = named.find(output);
        return it == named.end() ? others : it->second;
    }
};

// When a flush reached the screen (CLOCK_MONOTONIC).
struct Presentation {
    uint64_t sequence = 0;               // vblank / frame counter of the output
    std::chrono::nanoseconds timestamp{};
};

// What every output counts (each backend's own counters say more).
struct OutputCounters {
    uint64_t commits = 0;           // flushes that reached the device (KMS commits, Wayland commits, headless copies)
    uint64_t presented = 0;         // of those, shown (page flips, vblanks, presentation feedback)
    uint64_t bytes_copied = 0;      // into the device's buffers
    uint64_t fences_signalled = 0;  // scanout fences seen signalled
};

// How flushes are timed against the output's vblank (backends/vblank_clock.hpp).
struct VblankTiming {
    bool aimed = false;                 // flushes start a margin before the vblank they can catch
    std::chrono::nanoseconds margin{};  // how long before
    uint64_t missed = 0;                // commits that landed a vblank later than aimed
};

// The state an output shows, attached to it as the state's sink. A member of
// every output, declared last so that it goes first: its destructor detaches
// the state (it waits for a running flush, stops new ones and revokes the
// buffer) while the rest of the output is still whole.
class SinkBinding {
public:
    explicit SinkBinding(Sink& sink) : sink_(sink) {}
    ~SinkBinding() { detach(); }
    SinkBinding(const SinkBinding&) = delete;
    SinkBinding& operator=(const SinkBinding&) = delete;

    Result<void> attach(std::shared_ptr<DeferredIoState> state);
    // Flushes from the state stop and its buffer is revoked (its writers must
    // have stopped: they would get SIGBUS). Loop thread.
    void detach();
    const std::shared_ptr<DeferredIoState>& state() const { return state_; }

private:
    Sink& sink_;
    std::shared_ptr<DeferredIoState> state_;
};

class Output : public Sink {
public:
    virtual std::string name() const = 0;
    // The panel's mode: its own pixels, as scanned out.
    virtual OutputMode mode() const = 0;
    // How the panel is turned into what the user sees (--transform), fixed
    // for the output's life, and the panel with it.
    Transform transform() const { return transform_; }
    OutputGeometry geometry() const;
    // The size of the frame it shows, which clients and programs draw:
    // the panel turned by the transform.
    Size frame_size() const { return geometry().logical(); }
    OutputCounters counters() const;  // any thread
    virtual VblankTiming vblank_timing() const { return {}; }
    // When the first vblank after `now` falls (CLOCK_MONOTONIC), whether or
    // not anything is presented then: the grid's, on outputs that know one
    // (VblankClock); else one refresh period from now. For waiters on the
    // vblank (an fbdev program's FBIO_WAITFORVSYNC), so that they need no
    // flush to be woken. Any thread.
    virtual std::chrono::nanoseconds next_vblank(std::chrono::nanoseconds now) const
    {
        return now + mode().refresh_period();
    }

    // Switches the panel off (true: KMS sets the CRTC's ACTIVE to 0, or the
    // connector's DPMS off on legacy) or on again, showing what it showed.
    // While off nothing is committed; a flush (something drew) switches it
    // on first. Outputs that cannot (a Wayland window: the compositor
    // decides) say why. Loop thread.
    virtual Result<void> set_blanked(bool blanked);
    // FBIOBLANK: off (true) until hold_blanked(false), whatever is drawn
    // meanwhile, as the kernel's fbdev blanks; what is drawn then shows when
    // it comes on. Loop thread.
    virtual Result<void> hold_blanked(bool held) { return set_blanked(held); }
    virtual bool blanked() const { return false; }  // any thread: off, for either reason

    // Starts receiving flushes from `state` (its layout must be frame_size()).
    Result<void> attach(std::shared_ptr<DeferredIoState> state);
    // Stops flushes from the attached state and revokes its buffer (see
    // SinkBinding::detach), so that another can be attached. Loop thread.
    void detach() { binding().detach(); }
    const std::shared_ptr<DeferredIoState>& state() const { return binding().state(); }

    // The software cursor drawn over this output's frame (null: none). The
    // session damages what it covers when it changes. Loop thread.
    void show_cursor(std::shared_ptr<const CursorOverlay> cursor);

    // Writes what the output shows now as a PNG, where the output can read it back.
    virtual Result<void> snapshot_png(const std::string& path) const;

    // Runs on the event loop thread after each presented flush. Set it on the
    // loop thread, or before the loop runs.
    void set_presented_callback(std::function<void(const Presentation&)> callback)
    {
        presented_callback_ = std::move(callback);
    }
    // Runs on the loop thread when the output changed size (a Wayland window
    // was resized). The attached state keeps its size until the callback
    // replaces it (detach, then attach one of the new mode); either way the
    // output then redraws all of the state. Set it like the presented callback.
    void set_mode_changed_callback(std::function<void(const OutputMode&)> callback)
    {
        mode_changed_ = std::move(callback);
    }

protected:
    explicit Output(Transform transform = Transform::normal) : transform_(transform) {}
    // The counters every output keeps; any thread.
    void count_commit() { commits_.fetch_add(1, std::memory_order_relaxed); }
    void count_presented() { presented_.fetch_add(1, std::memory_order_relaxed); }
    void count_bytes(uint64_t bytes) { bytes_copied_.fetch_add(bytes, std::memory_order_relaxed); }
    void count_fence_signalled() { fences_signalled_.fetch_add(1, std::memory_order_relaxed); }
    // The output's SinkBinding member.
    virtual SinkBinding& binding() = 0;
    const SinkBinding& binding() const { return const_cast<Output*>(this)->binding(); }
    // The stages of a frame after its flush, for profiling (a no-op when off).
    // notify_committed() returns the token of the frames the commit covers;
    // the fence and the presentation of that commit pass it back. An output
    // that commits after its flush returned (from the loop) takes
    // flushing_frame() in flush() and passes it as `upto`: a flush that began
    // meanwhile is not in that commit.
    uint64_t flushing_frame() const;  // flush worker, in flush()
    // Where the software cursor is now (not visible: none). Flush worker.
    CursorOverlay::Placement cursor_placement() const;
    uint64_t notify_committed(std::chrono::nanoseconds at, uint64_t upto = UINT64_MAX);
    void notify_fence_signalled(uint64_t token, std::chrono::nanoseconds at);
    // Runs the presented callback. Loop thread.
    void notify_presented(const Presentation& presentation, uint64_t token = UINT64_MAX);
    void notify_mode_changed(const OutputMode& mode)
    {
        if (mode_changed_)
            mode_changed_(mode);
    }

private:
    FrameRecorder* recorder() const;

    const Transform transform_;
    // cursor_lock_ protects cursor_: show_cursor() on the loop thread, cursor_placement() in flushes.
    mutable std::mutex cursor_lock_;
    std::shared_ptr<const CursorOverlay> cursor_;
    std::function<void(const Presentation&)> presented_callback_;
    std::function<void(const OutputMode&)> mode_changed_;
    std::atomic<uint64_t> commits_{0};
    std::atomic<uint64_t> presented_{0};
    std::atomic<uint64_t> bytes_copied_{0};
    std::atomic<uint64_t> fences_signalled_{0};
};

}  // namespace udefio
