#include "profile/frame_recorder.hpp"

#include <algorithm>

namespace udefio {

uint64_t FrameRecorder::flush_started(FrameRecord record)
{
    std::lock_guard lock(mutex_);
    record.frame = ++last_frame_;
    frames_.push_back(std::move(record));
    if (frames_.size() > capacity_) {
        frames_.pop_front();
        ++dropped_;
    }
    return last_frame_;
}

void FrameRecorder::flush_ended(uint64_t frame, std::chrono::nanoseconds at, uint64_t bytes_copied)
{
    std::lock_guard lock(mutex_);
    if (FrameRecord* r = find(frame)) {
        r->flush_end = at;
        r->bytes_copied = bytes_copied;
    }
}

void FrameRecorder::gap_began(std::string why, std::chrono::nanoseconds at)
{
    std::lock_guard lock(mutex_);
    gaps_.push_back({std::move(why), at, {}});
}

void FrameRecorder::gap_ended(const std::string& why, std::chrono::nanoseconds at)
{
    std::lock_guard lock(mutex_);
    for (auto it = gaps_.rbegin(); it != gaps_.rend(); ++it) {
        if (it->why == why && !it->end.count()) {
            it->end = at;
            return;
        }
    }
}

std::vector<OutputGap> FrameRecorder::gaps() const
{
    std::lock_guard lock(mutex_);
    return gaps_;
}

FrameRecord* FrameRecorder::find(uint64_t frame)
{
    if (frames_.empty() || frame < frames_.front().frame || frame > frames_.back().frame)
        return nullptr;
    return &frames_[frame - frames_.front().frame];
}

uint64_t FrameRecorder::committed(std::chrono::nanoseconds at, uint64_t upto)
{
    std::lock_guard lock(mutex_);
    if (frames_.empty())
        return committed_upto_;
    const uint64_t last = std::min(frames_.back().frame, upto);
    for (uint64_t f = committed_upto_ + 1; f <= last; ++f) {
        if (FrameRecord* r = find(f))
            r->committed = at;
    }
    committed_upto_ = std::max(committed_upto_, last);
    return committed_upto_;
}

void FrameRecorder::fence_signalled(uint64_t upto, std::chrono::nanoseconds at)
{
    std::lock_guard lock(mutex_);
    upto = std::min(upto, committed_upto_);
    for (uint64_t f = fenced_upto_ + 1; f <= upto; ++f) {
        if (FrameRecord* r = find(f))
            r->fence_signalled = at;
    }
    fenced_upto_ = std::max(fenced_upto_, upto);
}

void FrameRecorder::presented(uint64_t upto, std::chrono::nanoseconds at, uint64_t sequence)
{
    std::lock_guard lock(mutex_);
    upto = std::min(upto, committed_upto_);
    for (uint64_t f = presented_upto_ + 1; f <= upto; ++f) {
        if (FrameRecord* r = find(f)) {
            r->presented = at;
            r->present_sequence = sequence;
        }
    }
    presented_upto_ = std::max(presented_upto_, upto);
}

std::vector<FrameRecord> FrameRecorder::frames() const
{
    std::lock_guard lock(mutex_);
    return {frames_.begin(), frames_.end()};
}

std::vector<FrameRecord> FrameRecorder::recent(size_t n) const
{
    std::lock_guard lock(mutex_);
    const size_t first = frames_.size() > n ? frames_.size() - n : 0;
    return {frames_.begin() + std::ptrdiff_t(first), frames_.end()};
}

uint64_t FrameRecorder::recorded() const
{
    std::lock_guard lock(mutex_);
    return frames_.empty() ? 0 : frames_.back().frame;
}

uint64_t FrameRecorder::dropped() const
{
    std::lock_guard lock(mutex_);
    return dropped_;
}

}  // namespace udefio
