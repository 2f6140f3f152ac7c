// Where an output's next vblanks fall, learnt from its page flips (or, for the
// headless output, its simulated vblanks), and when a flush should start so
// that its commit catches one: `margin` before it
// (what weston calls the repaint window). A flush started then takes every
// write up to that moment and never finds a commit still in flight, so a
// write reaches the screen within the delay plus one refresh period (when the
// delay is at least the margin), instead of a period later whenever it came
// while the previous commit waited for its vblank.
//
// Only for outputs with a vblank grid (KMS CRTCs with a real vblank: vkms,
// real hardware; the headless output): where page flips complete at once
// (bochs, virtio-gpu) there is none to aim at and flushes run when they are
// ready. The margin adapts: a commit that missed the vblank
// it aimed at widens it, a long run of hits narrows it again. A miss is
// counted against the vblank the flush aimed at, not the first after the
// commit: a flush worker that wakes after its vblank (a busy machine) has
// missed too, however fast its commit then is.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace udefio {

class VblankClock {
public:
    // `period`: the mode's refresh period, used until two flips measure it.
    // `margin`: where the margin starts (what a commit of this output needs).
    explicit VblankClock(std::chrono::nanoseconds period, std::chrono::nanoseconds margin = kInitialMargin);

    // A commit was issued at `at` by a flush due at `due` (what flush_time()
    // said); it is in flight until flipped().
    void committed(std::chrono::nanoseconds at, std::chrono::nanoseconds due);
    // The commit in flight was shown at vblank `sequence`, `timestamp`.
    void flipped(uint64_t sequence, std::chrono::nanoseconds timestamp);
    // The CRTC was set up again (after a seat switch, or switched on): its
    // vblanks have a new phase, which the next flip places. The margin stays.
    void restart();

    // When to start the flush of a write seen at `now` whose delay ends at
    // `ready` (CLOCK_MONOTONIC): `ready` itself until a flip has placed the
    // grid; then the margin before the first vblank after `ready`, or the
    // first after that the margin still allows from `now`, and after the
    // flip in flight (a commit cannot catch earlier).
    std::chrono::nanoseconds flush_time(std::chrono::nanoseconds now, std::chrono::nanoseconds ready) const;

    // The first vblank of the grid after `now`; nullopt until a flip placed it.
    std::optional<std::chrono::nanoseconds> next_vblank(std::chrono::nanoseconds now) const;

    std::chrono::nanoseconds margin() const;
    std::chrono::nanoseconds period() const;
    uint64_t misses() const;

    static constexpr std::chrono::nanoseconds kInitialMargin = std::chrono::milliseconds(4);
    static constexpr std::chrono::nanoseconds kMinMargin = std::chrono::microseconds(1000);
    static constexpr int kHitsToNarrow = 120;

private:
    // The first vblank of the grid at or after `t`.
    std::chrono::nanoseconds vblank_after(std::chrono::nanoseconds t) const;

    // Protects every member below. Taken by committed() (flush worker),
    // flipped() (loop thread) and flush_time() (whoever reports a write, under
    // the state's shared lock); a leaf: nothing is called while it is held.
    mutable std::mutex mutex_;
    std::chrono::nanoseconds period_;
    bool placed_ = false;                  // a flip has placed the grid
    uint64_t anchor_sequence_ = 0;         // the first flip: the period is measured from it
    std::chrono::nanoseconds anchor_{};
    std::chrono::nanoseconds last_vblank_{};  // the latest flip's vblank
    bool in_flight_ = false;
    std::chrono::nanoseconds committed_at_{};  // when the commit in flight was issued
    std::chrono::nanoseconds aimed_at_{};      // the vblank its flush aimed at
    std::chrono::nanoseconds margin_;
    int hits_ = 0;
    uint64_t misses_ = 0;
};

}  // namespace udefio
