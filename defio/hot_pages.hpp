// Hot pages stay open: a page written in each of the last `hot_after`
// flushes is left writable, so its next store takes no write fault, and it is
// compared at every flush instead (a 4 KiB compare costs a fraction of a
// fault). A hot page found unchanged for `cold_after` flushes in a row is
// re-armed. N and K are measured (docs/PERFORMANCE.md, "Hot pages").
//
// The rule that keeps every write: a page is re-armed by the collect of the
// flush after the one that decided it, and that flush still compares it, so
// a store made before the re-arm is compared and one after it faults.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "defio/page_set.hpp"

namespace udefio {

struct HotPageOptions {
    uint32_t hot_after = 1;   // N: written in this many flushes in a row (1: any written page stays open)
    uint32_t cold_after = 4;  // K: open and unchanged in this many flushes in a row: re-armed
};

struct PageCounts {
    uint32_t faults_taken = 0;    // reported pages that were armed: each took a write fault
    uint32_t faults_avoided = 0;  // open pages that changed: a store that would have faulted (a lower bound)
    uint32_t rewritten = 0;       // written again in the flush after the last: open pages that changed,
                                  // and armed ones reported twice in a row (the rate full copy is about)
};

class HotPages {
public:
    HotPages(size_t pages, HotPageOptions options);

    // What the next collect leaves open.
    const PageSet& keep_open() const { return keep_; }
    // Whether the last collect left pages open (their writes are not seen).
    bool any_open() const { return !open_.empty(); }

    // After a flush: `reported` (sorted) is what its collect returned, with
    // keep_open() as it was; `changed` (sorted, a subset) what differed from
    // the shadow. Decides keep_open() for the next collect.
    PageCounts update(std::span<const uint32_t> reported, std::span<const uint32_t> changed);

    // Every page armed and cold (the tracker re-armed the whole range).
    void reset();

private:
    const HotPageOptions options_;
    uint32_t flush_ = 0;                 // flushes seen, the clock of last_reported_
    std::vector<uint32_t> last_reported_;  // per page: the flush that last reported it
    std::vector<uint8_t> streak_;          // per page: flushes in a row that reported it (saturating)
    std::vector<uint8_t> quiet_;           // per open page: flushes in a row it was unchanged (saturating)
    PageSet open_;                         // left open by the last collect
    PageSet keep_;                         // to leave open at the next collect
};

}  // namespace udefio
