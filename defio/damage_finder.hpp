// What a flush sends, found from what the tracker reports: the pages written
// since the last flush are compared with a shadow of what was sent
// (ExactDamage), hot pages are left open and compared at every flush
// (HotPages), and above the rate where tracking costs more than a copy of
// the whole frame, the whole frame is sent (FullCopyMode). The deferred I/O
// state runs one per buffer under its lock; the benchmarks run it as it is.
//
//   look (polled trackers)  collect ─┐
//   flush                   collect ─┴─▶ written pages ─▶ full copy?  ── yes ─▶ the whole frame, from the buffer
//                                                          │ no
//                                                          ▼
//                                          compare with the shadow ─▶ row spans, from the shadow
//                                          (or, without a shadow, the pages' rows, from the buffer)
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "defio/damage.hpp"
#include "defio/exact_damage.hpp"
#include "defio/full_copy_mode.hpp"
#include "defio/hot_pages.hpp"
#include "defio/page_set.hpp"
#include "defio/shared_buffer.hpp"
#include "defio/tracker.hpp"
#include "defio/tracking_cost.hpp"

namespace udefio {

struct DamageFinderOptions {
    bool exact = true;      // keep a shadow and compare (ExactDamage); else damage is page-granular
    bool hot_pages = true;  // leave hot pages open (trackers that can, with a shadow)
    bool full_copy = true;  // adaptive full copy
    HotPageOptions hot;
    uint32_t span_gap = kSpanMergeGap;
};

// What one flush found, per frame for the profile.
struct FoundCounts {
    uint32_t faults_taken = 0;     // write faults the tracker took for this frame's pages
    uint32_t faults_avoided = 0;   // stores to open pages that would have faulted (the changed ones: a lower bound)
    uint32_t pages_compared = 0;
    uint32_t pages_unchanged = 0;  // compared and found as they were: not sent
    bool full_copy = false;        // the whole frame was sent with one copy
};

struct FoundDamage {
    Damage damage;                 // clipped to the buffer; empty: nothing to send
    std::vector<uint32_t> pages;   // sorted: the pages in which something changed (or was written)
    const SharedBuffer* source = nullptr;  // what to copy from: the shadow, or the buffer itself
    NextLook next = NextLook::when_told;
    FoundCounts counts;
};

class DamageFinder {
public:
    // `live` and `tracker` must outlive the finder; the tracker tracks `live`.
    static Result<std::unique_ptr<DamageFinder>> create(const SharedBuffer& live, Tracker& tracker,
                                                        const DamageFinderOptions& options, const TrackingCost& cost);

    // A look between flushes, for trackers that must be polled: what it
    // finds waits for the next flush. Returns whether it found pages.
    Result<bool> look(NextLook& next);
    // The flush: collects, and turns what was written since the last flush,
    // with `reported` damage (a client's), into what to send. The result is
    // valid until the next call.
    Result<const FoundDamage*> find(const Damage& reported);

    bool exact() const { return exact_.has_value(); }
    // Where what the finder found is copied from while it tracks: the shadow
    // (or, without one, the buffer).
    const SharedBuffer& shadow_source() const { return exact_ ? exact_->shadow() : live_; }
    bool full_copy_active() const { return full_.active(); }
    size_t shadow_bytes() const { return exact_ ? exact_->shadow_bytes() : 0; }

    DamageFinder(const SharedBuffer& live, Tracker& tracker, const DamageFinderOptions& options,
                 const TrackingCost& cost, std::optional<ExactDamage> exact);

private:
    // Collects into written_ (with what earlier looks found), leaving `keep` open.
    Result<NextLook> collect(const PageSet& keep);
    Result<void> find_tracked(const Damage& reported);
    Result<void> find_full_copy();
    Result<void> enter_full_copy();
    Result<void> leave_full_copy();
    void send_whole_frame(const SharedBuffer& from);

    const SharedBuffer& live_;
    Tracker& tracker_;
    const bool faults_;  // the tracker takes a fault per armed page written
    std::optional<ExactDamage> exact_;
    std::optional<HotPages> hot_;
    FullCopyMode full_;
    const bool adaptive_;
    PageSet all_;                    // every page: the whole range open
    PageSet looked_;                 // found by looks since the last flush
    std::vector<uint32_t> written_;  // this flush's collect, sorted
    std::vector<uint32_t> scratch_;  // collects whose report is not needed
    FoundDamage found_;
};

}  // namespace udefio
