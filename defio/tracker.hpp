// How written pages are found: one interface, one implementation per mechanism
// (defio/trackers/), a runtime probe (tracker_probe.hpp) that picks the best
// mechanism the running kernel really supports.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace udefio {

// In order of preference: the probe takes the first one that works.
enum class TrackerKind {
    uffd_async,       // userfaultfd WP_ASYNC + PAGEMAP_SCAN get-and-rearm
    uffd_sync,        // userfaultfd write-protect, fault thread
    mprotect,         // PROT_READ + SIGSEGV handler
    soft_dirty,       // /proc/self/clear_refs + pagemap bit 55
    shadow,           // compare against a copy; always works
    explicit_damage,  // the client reports damage; never picked by the probe
};

inline constexpr TrackerKind kAllTrackers[] = {
    TrackerKind::uffd_async, TrackerKind::uffd_sync, TrackerKind::mprotect,
    TrackerKind::soft_dirty, TrackerKind::shadow,    TrackerKind::explicit_damage,
};

std::string_view tracker_name(TrackerKind kind);  // "uffd-async", "explicit", ...
Result<TrackerKind> parse_tracker_kind(std::string_view name);

class Tracker {
public:
    virtual ~Tracker() = default;

    virtual TrackerKind kind() const = 0;

    // Appends the index (relative to the start of the tracked range) of every
    // page written since the previous collect, each once, and re-arms those
    // pages so that the next write to them is seen again. A write that races
    // with collect is reported by this collect or by the next one, never lost.
    virtual Result<void> collect(std::vector<uint32_t>& written_pages) = 0;

    // An fd that becomes readable after the first write that follows a
    // collect, so the flush worker can sleep until something is written.
    // -1 when the mechanism cannot tell: the flush worker polls it instead.
    virtual int write_doorbell_fd() const { return -1; }

    // True if the doorbell is armed only by a collect that found nothing (it
    // costs a pass over the whole range): after a collect that found pages the
    // caller must collect again later instead of waiting for the doorbell.
    virtual bool doorbell_only_when_idle() const { return false; }

    // Whether the flush worker must call collect periodically to learn of
    // writes: true for mechanisms with neither a doorbell nor a client report.
    virtual bool needs_polling() const { return write_doorbell_fd() < 0; }
};

// Starts tracking `range` (page aligned, mapped MAP_SHARED in this process)
// with the given mechanism; all pages start clean. The error says why the
// mechanism is unavailable on this kernel.
Result<std::unique_ptr<Tracker>> make_tracker(TrackerKind kind, std::span<std::byte> range);

}  // namespace udefio
