// One display output of a backend (a KMS connector+CRTC, a Wayland toplevel, a
// headless screen). It receives flushes from the DeferredIoState attached to it
// and reports when a flush was presented.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "defio/deferred_io_state.hpp"
#include "defio/sink.hpp"

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

// When a flush reached the screen (CLOCK_MONOTONIC).
struct Presentation {
    uint64_t sequence = 0;               // vblank / frame counter of the output
    std::chrono::nanoseconds timestamp{};
};

class Output : public Sink {
public:
    ~Output() override;

    virtual std::string name() const = 0;
    virtual OutputMode mode() const = 0;

    // Starts receiving flushes from `state` (its layout must fit the mode).
    Result<void> attach(std::shared_ptr<DeferredIoState> state);
    // Stops flushes from the attached state, which revokes its buffer (its
    // writers must have stopped: they would get SIGBUS), so that another can
    // be attached, e.g. one of a new size. Loop thread.
    void detach();
    const std::shared_ptr<DeferredIoState>& state() const { return state_; }

    // Writes what the output shows now as a PNG, where the output can read it back.
    virtual Result<void> snapshot_png(const std::string& path) const;

    // Runs on the event loop thread after each presented flush. Set it on the
    // loop thread, or before the loop runs.
    void set_presented_callback(std::function<void(const Presentation&)> callback)
    {
        presented_ = std::move(callback);
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
    // Every subclass calls this first thing in its destructor, while the
    // object is still whole: it waits for a running flush and stops new ones.
    void detach_state();
    // The stages of a frame after its flush, for profiling (a no-op when off).
    // notify_committed() returns the token of the frames the commit covers;
    // the fence and the presentation of that commit pass it back. An output
    // that commits after its flush returned (from the loop) takes
    // flushing_frame() in flush() and passes it as `upto`: a flush that began
    // meanwhile is not in that commit.
    uint64_t flushing_frame() const;  // flush worker, in flush()
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
    std::shared_ptr<DeferredIoState> state_;
    std::function<void(const Presentation&)> presented_;
    std::function<void(const OutputMode&)> mode_changed_;
};

}  // namespace udefio
