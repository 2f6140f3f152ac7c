#include "defio/hot_pages.hpp"

#include <algorithm>

namespace udefio {

namespace {

uint8_t saturating_inc(uint8_t v) { return v == UINT8_MAX ? v : uint8_t(v + 1); }

}  // namespace

HotPages::HotPages(size_t pages, HotPageOptions options)
    : options_{std::max<uint32_t>(options.hot_after, 1), std::max<uint32_t>(options.cold_after, 1)},
      last_reported_(pages, 0),
      streak_(pages, 0),
      quiet_(pages, 0),
      open_(pages),
      keep_(pages)
{
    reset();
}

void HotPages::reset()
{
    open_.clear();
    keep_.clear();
    std::fill(streak_.begin(), streak_.end(), 0);
    // N = 1: every page that is written again is left open.
    if (options_.hot_after == 1) {
        for (size_t p = 0; p < keep_.pages(); ++p)
            keep_.set(p);
    }
}

PageCounts HotPages::update(std::span<const uint32_t> reported, std::span<const uint32_t> changed)
{
    ++flush_;
    PageCounts counts;
    PageSet was_open = std::move(open_);
    open_ = PageSet(keep_.pages());
    PageSet next_keep(keep_.pages());
    if (options_.hot_after == 1)
        next_keep = keep_;  // pages not reported stay candidates
    size_t c = 0;
    for (uint32_t p : reported) {
        while (c < changed.size() && changed[c] < p)
            ++c;
        const bool differed = c < changed.size() && changed[c] == p;
        streak_[p] = last_reported_[p] + 1 == flush_ ? saturating_inc(streak_[p]) : 1;
        if (was_open.test(p)) {
            counts.faults_avoided += differed;
            counts.rewritten += differed;
        } else {
            ++counts.faults_taken;
            counts.rewritten += streak_[p] >= 2;
        }
        last_reported_[p] = flush_;
        if (keep_.test(p)) {
            // The collect left it open: quiet counts its unchanged flushes.
            open_.set(p);
            quiet_[p] = differed ? 0 : (was_open.test(p) ? saturating_inc(quiet_[p]) : 1);
            if (uint32_t(quiet_[p]) >= options_.cold_after)
                next_keep.reset(p);  // the next collect re-arms it, and that flush compares it once more
            else
                next_keep.set(p);
        } else if (uint32_t(streak_[p]) + 1 >= options_.hot_after) {
            next_keep.set(p);  // written once more, and it is hot: the collect leaves it open
        }
    }
    keep_ = std::move(next_keep);
    return counts;
}

}  // namespace udefio
