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

#include "defio/page_set.hpp"
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

// What the caller must do so that the next write is seen: collect() says it
// each time, because it depends on what the collect found.
enum class NextLook {
    when_told,            // the doorbell rings at the next write (or the client reports damage): sleep until then
    after_delay,          // look again after the coalescing delay: the range is being written and the
                          // doorbell is not armed, or pages were left open and their writes are not seen
    after_poll_interval,  // the mechanism cannot tell: look again after the poll interval
};

class Tracker {
public:
    virtual ~Tracker() = default;

    virtual TrackerKind kind() const = 0;

    // Appends the index (relative to the start of the tracked range) of every
    // page written since the previous collect, and of every page left open by
    // it, each once, and re-arms those pages so that the next write to them
    // is seen again, except the pages in `keep_open`: those it reports stay
    // (or become) writable, their next store takes no fault, and they are
    // reported at every collect until one without them re-arms them; with
    // keep_open.all() the whole range is opened. A write that races with
    // collect is reported by this collect or by the next one, never lost.
    // Trackers that cannot leave pages open (can_leave_open() false) ignore
    // keep_open.
    virtual Result<NextLook> collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open) = 0;
    Result<NextLook> collect(std::vector<uint32_t>& written_pages) { return collect(written_pages, PageSet::none()); }

    // Whether collect() can leave pages writable: only the mechanisms that
    // pay a fault per page per re-arm have something to save by it.
    virtual bool can_leave_open() const { return false; }

    // An fd that becomes readable after the first write that follows a
    // collect that returned NextLook::when_told, so the flush worker can
    // sleep until something is written; -1 when the mechanism has none.
    virtual int write_doorbell_fd() const { return -1; }
};

// Starts tracking `range` (page aligned, mapped MAP_SHARED in this process)
// with the given mechanism; all pages start clean. The error says why the
// mechanism is unavailable on this kernel.
Result<std::unique_ptr<Tracker>> make_tracker(TrackerKind kind, std::span<std::byte> range);

}  // namespace udefio
