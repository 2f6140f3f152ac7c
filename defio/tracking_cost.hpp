// What finding damage costs on this machine, measured once per process, so
// the damage finder can tell when one copy of the whole frame is cheaper than
// tracking it (docs/PERFORMANCE.md, "Adaptive full copy").
#pragma once

#include <cstddef>

#include "defio/tracker.hpp"

namespace udefio {

struct TrackingCost {
    double fault_ns = 0;    // the first store to an armed page (the tracker probe times it; 0: no fault)
    double compare_ns = 0;  // comparing one page with its shadow
    double copy_ns = 0;     // copying one page

    // One frame of `reported` pages tracked with a shadow (compared, copied
    // into it and out of it; their faults are not counted: hot pages avoid
    // them while the rate lasts) or without one (faulted and copied out).
    double tracked_ns(size_t reported, bool exact) const
    {
        return double(reported) * (exact ? compare_ns + 2 * copy_ns : fault_ns + copy_ns);
    }
    double full_copy_ns(size_t pages) const { return double(pages) * copy_ns; }
};

// Compare and copy are timed on 8 MiB (a 1080p frame) the first time this is
// called; the fault cost is the tracker probe's.
TrackingCost tracking_cost(TrackerKind kind);

}  // namespace udefio
