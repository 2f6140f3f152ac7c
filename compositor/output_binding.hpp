// One output and what it shows: its frame (a DeferredIoState of the output's
// mode, attached to the output as its sink), the LeaseTarget that clients'
// leases land on, and its id in the protocol. The session makes one when an
// output appears, replaces it as a whole when the output's mode changes, and
// destroys it when the output goes, after the server revoked its leases.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backends/output.hpp"
#include "compositor/lease_target.hpp"
#include "compositor/server.hpp"
#include "profile/frame_recorder.hpp"

namespace udefio {

struct BindingOptions {
    DeferredIoOptions defio;                  // delay, tracker; poll interval and delay default to the refresh period
    bool delay_is_refresh_period = true;      // no --delay: one refresh period of this output
    uint32_t stride = 0;                      // 0: tightly packed
    PixelFormat format = PixelFormat::xrgb8888;
    std::shared_ptr<FrameRecorder> recorder;  // profiling, or null
};

class OutputBinding {
public:
    static Result<std::unique_ptr<OutputBinding>> create(Output& output, uint32_t id, const BindingOptions& options);
    // Detaches the frame from the output (its buffer is revoked) if that was not done yet.
    ~OutputBinding();
    OutputBinding(const OutputBinding&) = delete;
    OutputBinding& operator=(const OutputBinding&) = delete;

    Output& output() const { return output_; }
    uint32_t id() const { return id_; }
    const std::string& name() const { return name_; }
    DeferredIoState& state() const { return *state_; }
    const std::shared_ptr<DeferredIoState>& shared_state() const { return state_; }
    LeaseTarget& target() const { return *target_; }
    ServedOutput served() const;
    // The flushes of its frame so far.
    FlushStats stats() const { return state_->stats(); }
    // A presentation of this frame; true for the first one. Loop thread.
    bool note_presented() { return presentations_++ == 0; }

    // Stops the output showing this frame (the frame's buffer is revoked: its
    // writers must have stopped), so that a new binding can take the output;
    // the lease target stays until the server has revoked its leases.
    void detach_output();

    OutputBinding(Output& output, uint32_t id, std::shared_ptr<DeferredIoState> state,
                  std::unique_ptr<LeaseTarget> target);

private:
    Output& output_;
    const uint32_t id_;
    const std::string name_;
    std::shared_ptr<DeferredIoState> state_;
    std::unique_ptr<LeaseTarget> target_;
    bool attached_ = true;
    uint64_t presentations_ = 0;
};

}  // namespace udefio
