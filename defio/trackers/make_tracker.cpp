// The one place that maps a TrackerKind to its implementation.
#include <memory>

#include "defio/trackers/explicit_tracker.hpp"
#include "defio/trackers/mprotect_tracker.hpp"
#include "defio/trackers/shadow_tracker.hpp"
#include "defio/trackers/soft_dirty_tracker.hpp"
#include "defio/trackers/uffd_async_tracker.hpp"
#include "defio/trackers/uffd_sync_tracker.hpp"

namespace udefio {

Result<std::unique_ptr<Tracker>> make_tracker(TrackerKind kind, std::span<std::byte> range)
{
    switch (kind) {
    case TrackerKind::uffd_async: return UffdAsyncTracker::create(range);
    case TrackerKind::uffd_sync: return UffdSyncTracker::create(range);
    case TrackerKind::mprotect: return MprotectTracker::create(range);
    case TrackerKind::soft_dirty: return SoftDirtyTracker::create(range);
    case TrackerKind::shadow: return std::unique_ptr<Tracker>(std::make_unique<ShadowTracker>(range));
    case TrackerKind::explicit_damage: return std::unique_ptr<Tracker>(std::make_unique<ExplicitTracker>());
    }
    return plain_error("unknown tracker kind " + std::to_string(static_cast<int>(kind)));
}

}  // namespace udefio
