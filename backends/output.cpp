#include "backends/output.hpp"

namespace udefio {

Output::~Output() { detach_state(); }

Result<void> Output::attach(std::shared_ptr<DeferredIoState> state)
{
    const OutputMode m = mode();
    const BufferLayout& layout = state->layout();
    if (layout.width != m.width || layout.height != m.height)
        return plain_error("buffer " + layout.describe() + " does not fit output " + name() + " (" +
                           std::to_string(m.width) + "x" + std::to_string(m.height) + ")");
    if (state_)
        return plain_error("output " + name() + " already shows a buffer: detach it first");
    // state_ is set first: a flush may start as soon as the state is attached.
    state_ = state;
    if (auto r = state->attach(*this); !r) {
        state_.reset();
        return r;
    }
    return {};
}

Result<void> Output::snapshot_png(const std::string& path) const
{
    return plain_error("output " + name() + " cannot write snapshots (" + path + ")");
}

uint64_t Output::flushing_frame() const
{
    FrameRecorder* recorder = state_ ? state_->recorder() : nullptr;
    return recorder ? recorder->recorded() : 0;
}

uint64_t Output::notify_committed(std::chrono::nanoseconds at, uint64_t upto)
{
    FrameRecorder* recorder = state_ ? state_->recorder() : nullptr;
    return recorder ? recorder->committed(at, upto) : 0;
}

void Output::notify_fence_signalled(uint64_t token, std::chrono::nanoseconds at)
{
    if (FrameRecorder* recorder = state_ ? state_->recorder() : nullptr)
        recorder->fence_signalled(token, at);
}

void Output::notify_presented(const Presentation& presentation, uint64_t token)
{
    if (FrameRecorder* recorder = state_ ? state_->recorder() : nullptr)
        recorder->presented(token, presentation.timestamp, presentation.sequence);
    if (presented_)
        presented_(presentation);
}

void Output::detach()
{
    detach_state();
    state_.reset();
}

void Output::detach_state()
{
    if (state_)
        state_->detach();
}

}  // namespace udefio
