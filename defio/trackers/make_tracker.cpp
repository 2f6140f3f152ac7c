// The one place that maps a TrackerKind to its implementation.
#include <memory>

#include "defio/trackers/explicit_tracker.hpp"
#include "defio/trackers/shadow_tracker.hpp"

namespace udefio {

Result<std::unique_ptr<Tracker>> make_tracker(TrackerKind kind, std::span<std::byte> range)
{
    switch (kind) {
    case TrackerKind::shadow: return std::unique_ptr<Tracker>(std::make_unique<ShadowTracker>(range));
    case TrackerKind::explicit_damage: return std::unique_ptr<Tracker>(std::make_unique<ExplicitTracker>());
    default: break;
    }
    return plain_error("tracker " + std::string(tracker_name(kind)) + " is not implemented yet");
}

}  // namespace udefio
