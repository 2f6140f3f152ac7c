#include "defio/tracker_probe.hpp"

#include "defio/log.hpp"

namespace udefio {

// Placeholder until the probe lands: only the mechanisms that need no kernel support.
const std::vector<TrackerProbeResult>& probe_trackers()
{
    static const std::vector<TrackerProbeResult> results = {
        {TrackerKind::shadow, true, "compares against a copy"},
        {TrackerKind::explicit_damage, true, "client-reported damage"},
    };
    return results;
}

Result<std::unique_ptr<Tracker>> make_best_tracker(std::span<std::byte> range, std::optional<TrackerKind> forced)
{
    return make_tracker(forced.value_or(TrackerKind::shadow), range);
}

}  // namespace udefio
