#include <string>

#include "defio/tracker.hpp"

namespace udefio {

std::string_view tracker_name(TrackerKind kind)
{
    switch (kind) {
    case TrackerKind::uffd_async: return "uffd-async";
    case TrackerKind::uffd_sync: return "uffd-sync";
    case TrackerKind::mprotect: return "mprotect";
    case TrackerKind::soft_dirty: return "soft-dirty";
    case TrackerKind::shadow: return "shadow";
    case TrackerKind::explicit_damage: return "explicit";
    }
    return "?";
}

Result<TrackerKind> parse_tracker_kind(std::string_view name)
{
    for (TrackerKind kind : kAllTrackers)
        if (tracker_name(kind) == name)
            return kind;
    return plain_error("unknown tracker '" + std::string(name) +
                       "' (known: uffd-async, uffd-sync, mprotect, soft-dirty, shadow, explicit)");
}

}  // namespace udefio
