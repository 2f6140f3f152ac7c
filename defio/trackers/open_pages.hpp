// The pages a tracker left writable at its caller's request (hot pages, or
// the whole range in full-copy mode), and the one rule every tracker that can
// do this follows at collect: report what was written plus what was open,
// re-arm all of that but what the caller wants kept open. Their writes take no
// fault, so the caller looks at open pages at every flush instead.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <span>
#include <vector>

#include "defio/page_set.hpp"
#include "defio/trackers/page_runs.hpp"
#include "util/result.hpp"

namespace udefio {

class OpenPages {
public:
    explicit OpenPages(uint32_t pages) : pages_(pages) {}

    bool any() const { return all_ || !open_.empty(); }
    bool all() const { return all_; }

    // Appends `taken` (sorted: the pages written since the last collect) and
    // every open page to `reported`, each once and in order; then calls
    // rearm(first, count) for each run of reported pages not in keep_open and
    // open_all() when keep_open.all() and the range is not all open yet.
    // The first error is returned; the pages stay reported either way.
    template <typename Rearm, typename OpenAll>
    Result<void> settle(std::span<const uint32_t> taken, const PageSet& keep_open, std::vector<uint32_t>& reported,
                        Rearm&& rearm, OpenAll&& open_all)
    {
        const size_t first = reported.size();
        if (all_) {
            for (uint32_t p = 0; p < pages_; ++p)
                reported.push_back(p);
        } else if (open_.empty()) {
            reported.insert(reported.end(), taken.begin(), taken.end());
        } else {
            std::set_union(taken.begin(), taken.end(), open_.begin(), open_.end(), std::back_inserter(reported));
        }
        const std::span<const uint32_t> mine(reported.data() + first, reported.size() - first);
        Result<void> result;
        if (keep_open.all()) {
            if (!all_)
                result = open_all();
            all_ = result.ok();
            open_.clear();
            return result;
        }
        all_ = false;
        open_.clear();
        rearm_.clear();
        for (uint32_t p : mine)
            (keep_open.test(p) ? open_ : rearm_).push_back(p);
        for_each_page_run(rearm_, [&](uint32_t page, uint32_t count) {
            if (auto r = rearm(page, count); !r && result)
                result = r;
        });
        return result;
    }

private:
    const uint32_t pages_;
    bool all_ = false;             // the whole range is open
    std::vector<uint32_t> open_;   // sorted, when not all_
    std::vector<uint32_t> rearm_;  // scratch of settle()
};

}  // namespace udefio
