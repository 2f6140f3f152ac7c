// Adaptive full copy: when so many pages are written per frame that tracking
// them costs more than copying the whole frame (the crossover depends on the
// tracker and the frame: docs/PERFORMANCE.md, "Adaptive full copy"), flush
// the whole frame with one copy and one full-frame damage, and open the whole
// range so the writer takes no more faults. Nothing then says when the rate
// falls, so now and then a probe re-arms a sample of the range (an eighth,
// in 16 pieces spread over it: what it costs the writer is an eighth of a
// frame's faults) for one frame and counts what was written in it; probes
// come further apart while the rate stays high. Not thread-safe: the damage
// finder's lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "defio/page_set.hpp"
#include "defio/tracking_cost.hpp"

namespace udefio {

class FullCopyMode {
public:
    // `can_probe`: the tracker can open the whole range; if not, every
    // collect counts the written pages and no probe is needed.
    FullCopyMode(size_t pages, const TrackingCost& cost, bool exact, bool can_probe);

    bool active() const { return active_; }

    // A tracked flush reported this many pages: whether the rate has cost
    // more tracked than copied whole for kEnterAfter flushes in a row (one
    // full redraw, a scene change, is not a rate). Then it enters.
    bool should_enter(size_t reported);
    // A probe's count: to leave, the rate must fall below half the crossover,
    // so that a rate near it does not flip every frame.
    bool worth_leaving(size_t reported) const;

    enum class Collect {
        open_all,     // keep the whole range open
        rearm_probe,  // a probe starts: re-arm the sample (keep probe_keep() open)
        measure,      // the probe's frame: open all again; rate() of what was reported
    };
    // What this flush's collect does while active; advances the probe clock.
    Collect next_collect();

    // All pages but the probe's sample.
    const PageSet& probe_keep() const { return probe_keep_; }
    // What a measure collect reported: the sample's pages written (each
    // took a fault) and from them the pages written per frame (without a
    // probe: all that was reported, no fault).
    struct ProbeCount {
        size_t faults = 0;
        size_t rate = 0;
    };
    ProbeCount count(std::span<const uint32_t> reported) const;

    void enter();
    void leave();
    // A probe found the rate still high: the next comes twice as late.
    void stay();

    // Flushes between probes: the first soon (a one-off full redraw should
    // not cost long), doubling up to a second at 60 Hz.
    static constexpr uint32_t kEnterAfter = 2;
    static constexpr uint32_t kFirstProbe = 4;
    static constexpr uint32_t kLastProbe = 64;

private:
    const size_t pages_;
    const TrackingCost cost_;
    const bool exact_;
    const bool can_probe_;
    PageSet probe_keep_;
    size_t sample_pages_ = 0;
    bool active_ = false;
    bool measuring_ = false;  // the probe re-armed the range at the last flush
    uint32_t above_ = 0;      // tracked flushes in a row above the crossover
    uint32_t probe_every_ = kFirstProbe;
    uint32_t until_probe_ = kFirstProbe;
};

}  // namespace udefio
