#include "backends/output.hpp"

namespace udefio {

Result<void> SinkBinding::attach(std::shared_ptr<DeferredIoState> state)
{
    if (state_)
        return plain_error("the output already shows a buffer: detach it first");
    // state_ is set first: a flush may start as soon as the state is attached.
    state_ = state;
    if (auto r = state->attach(sink_); !r) {
        state_.reset();
        return r;
    }
    return {};
}

void SinkBinding::detach()
{
    if (!state_)
        return;
    state_->detach();
    state_.reset();
}

OutputGeometry Output::geometry() const
{
    const OutputMode m = mode();
    return {{int32_t(m.width), int32_t(m.height)}, transform_};
}

Result<void> Output::set_blanked(bool blanked)
{
    if (!blanked)
        return {};  // it is never off
    return plain_error("output " + name() + " cannot be switched off");
}

Result<void> Output::attach(std::shared_ptr<DeferredIoState> state)
{
    const Size frame = frame_size();
    const BufferLayout& layout = state->layout();
    if (int32_t(layout.width) != frame.width || int32_t(layout.height) != frame.height)
        return plain_error("buffer " + layout.describe() + " does not fit output " + name() + " (" +
                           std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                           (transform_ == Transform::normal ? "" : ", turned " + std::string(transform_name(transform_))) +
                           ")");
    if (auto r = binding().attach(std::move(state)); !r)
        return Error{r.error().code, name() + ": " + r.error().what};
    return {};
}

OutputCounters Output::counters() const
{
    return {commits_.load(std::memory_order_relaxed), presented_.load(std::memory_order_relaxed),
            bytes_copied_.load(std::memory_order_relaxed), fences_signalled_.load(std::memory_order_relaxed)};
}

Result<void> Output::snapshot_png(const std::string& path) const
{
    return plain_error("output " + name() + " cannot write snapshots (" + path + ")");
}

FrameRecorder* Output::recorder() const
{
    const auto& state = binding().state();
    return state ? state->recorder() : nullptr;
}

uint64_t Output::flushing_frame() const
{
    FrameRecorder* r = recorder();
    return r ? r->recorded() : 0;
}

uint64_t Output::notify_committed(std::chrono::nanoseconds at, uint64_t upto)
{
    FrameRecorder* r = recorder();
    return r ? r->committed(at, upto) : 0;
}

void Output::notify_fence_signalled(uint64_t token, std::chrono::nanoseconds at)
{
    if (FrameRecorder* r = recorder())
        r->fence_signalled(token, at);
}

void Output::notify_presented(const Presentation& presentation, uint64_t token)
{
    if (FrameRecorder* r = recorder())
        r->presented(token, presentation.timestamp, presentation.sequence);
    if (presented_callback_)
        presented_callback_(presentation);
}

void Output::show_cursor(std::shared_ptr<const CursorOverlay> cursor)
{
    std::lock_guard lock(cursor_lock_);
    cursor_ = std::move(cursor);
}

CursorOverlay::Placement Output::cursor_placement() const
{
    std::lock_guard lock(cursor_lock_);
    return cursor_ ? cursor_->placement() : CursorOverlay::Placement{};
}

}  // namespace udefio
