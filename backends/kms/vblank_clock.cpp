#include "backends/kms/vblank_clock.hpp"

#include <algorithm>

namespace udefio {

VblankClock::VblankClock(std::chrono::nanoseconds period) : period_(period) {}

void VblankClock::committed(std::chrono::nanoseconds at)
{
    std::lock_guard lock(mutex_);
    in_flight_ = true;
    committed_at_ = at;
}

void VblankClock::flipped(uint64_t sequence, std::chrono::nanoseconds timestamp)
{
    std::lock_guard lock(mutex_);
    if (in_flight_ && placed_) {
        // The commit aimed at the first vblank after it was issued. Landing
        // later when it was issued the margin ahead of it means the margin did
        // not leave the kernel time enough; one issued closer proves nothing.
        const std::chrono::nanoseconds aimed = vblank_after(committed_at_);
        if (timestamp > aimed + period_ / 2) {
            if (aimed - committed_at_ >= margin_) {
                ++misses_;
                hits_ = 0;
                margin_ = std::min(margin_ + std::chrono::milliseconds(1), period_ / 2);
            }
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

std::chrono::nanoseconds VblankClock::vblank_after(std::chrono::nanoseconds t) const
{
    if (t <= last_vblank_)
        return last_vblank_;
    const int64_t periods = ((t - last_vblank_) + period_ - std::chrono::nanoseconds(1)) / period_;
    return last_vblank_ + periods * period_;
}

std::chrono::nanoseconds VblankClock::flush_time(std::chrono::nanoseconds ready) const
{
    std::lock_guard lock(mutex_);
    if (!placed_)
        return ready;
    std::chrono::nanoseconds target = vblank_after(ready);
    if (in_flight_)
        target = std::max(target, vblank_after(committed_at_) + period_);
    else if (target - ready < margin_)
        return ready;  // too close to aim at: start now, as without a grid
    return std::max(ready, target - margin_);
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
