#include "backends/vblank_clock.hpp"

#include <algorithm>

namespace udefio {

VblankClock::VblankClock(std::chrono::nanoseconds period, std::chrono::nanoseconds margin)
    : period_(period), margin_(margin)
{
}

void VblankClock::committed(std::chrono::nanoseconds at, std::chrono::nanoseconds due)
{
    std::lock_guard lock(mutex_);
    in_flight_ = true;
    committed_at_ = at;
    // Flushes are due the margin (less than a period) before their vblank.
    aimed_at_ = vblank_after(due);
}

void VblankClock::flipped(uint64_t sequence, std::chrono::nanoseconds timestamp)
{
    std::lock_guard lock(mutex_);
    if (in_flight_ && placed_) {
        // Landing after the vblank the flush aimed at means the margin did
        // not cover the flush worker's wakeup, the copy and the kernel's commit.
        if (timestamp > aimed_at_ + period_ / 2) {
            ++misses_;
            hits_ = 0;
            margin_ = std::min(margin_ + std::chrono::milliseconds(1), period_ / 2);
        } else if (++hits_ >= kHitsToNarrow) {
            hits_ = 0;
            margin_ = std::max(margin_ - std::chrono::microseconds(250), kMinMargin);
        }
    }
    if (!placed_) {
        placed_ = true;
        anchor_sequence_ = sequence;
        anchor_ = timestamp;
    } else if (sequence > anchor_sequence_ && timestamp > anchor_) {
        // Over every vblank since the first flip: exact to the CRTC's own clock.
        period_ = (timestamp - anchor_) / int64_t(sequence - anchor_sequence_);
    }
    in_flight_ = false;
    last_vblank_ = timestamp;
}

void VblankClock::restart()
{
    std::lock_guard lock(mutex_);
    placed_ = false;
    in_flight_ = false;
}

std::chrono::nanoseconds VblankClock::vblank_after(std::chrono::nanoseconds t) const
{
    if (t <= last_vblank_)
        return last_vblank_;
    const int64_t periods = ((t - last_vblank_) + period_ - std::chrono::nanoseconds(1)) / period_;
    return last_vblank_ + periods * period_;
}

std::chrono::nanoseconds VblankClock::flush_time(std::chrono::nanoseconds now, std::chrono::nanoseconds ready) const
{
    std::lock_guard lock(mutex_);
    if (!placed_)
        return ready;
    // The one vblank in (ready, ready + period]: the last that keeps the
    // promise of delay + one period. Its flush may start up to the margin
    // before `ready`: the delay coalesces writes, it is not a minimum.
    std::chrono::nanoseconds target = vblank_after(ready);
    // A commit issued less than the margin ahead misses it: the next one.
    while (target - margin_ < now)
        target += period_;
    // A commit cannot be caught before the flip in flight.
    if (in_flight_)
        target = std::max(target, vblank_after(committed_at_) + period_);
    return target - margin_;
}

std::optional<std::chrono::nanoseconds> VblankClock::next_vblank(std::chrono::nanoseconds now) const
{
    std::lock_guard lock(mutex_);
    if (!placed_)
        return std::nullopt;
    return vblank_after(now + std::chrono::nanoseconds(1));
}

std::chrono::nanoseconds VblankClock::margin() const
{
    std::lock_guard lock(mutex_);
    return margin_;
}

std::chrono::nanoseconds VblankClock::period() const
{
    std::lock_guard lock(mutex_);
    return period_;
}

uint64_t VblankClock::misses() const
{
    std::lock_guard lock(mutex_);
    return misses_;
}

}  // namespace udefio
