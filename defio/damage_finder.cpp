#include "defio/damage_finder.hpp"

#include <algorithm>

namespace udefio {

Result<std::unique_ptr<DamageFinder>> DamageFinder::create(const SharedBuffer& live, Tracker& tracker,
                                                           const DamageFinderOptions& options,
                                                           const TrackingCost& cost)
{
    std::optional<ExactDamage> exact;
    // A client that reports its damage says exactly what changed already.
    if (options.exact && tracker.kind() != TrackerKind::explicit_damage) {
        auto made = ExactDamage::create(live.layout(), options.span_gap);
        if (!made)
            return made.error();
        exact.emplace(std::move(made).value());
    }
    return std::make_unique<DamageFinder>(live, tracker, options, cost, std::move(exact));
}

DamageFinder::DamageFinder(const SharedBuffer& live, Tracker& tracker, const DamageFinderOptions& options,
                           const TrackingCost& cost, std::optional<ExactDamage> exact)
    : live_(live),
      tracker_(tracker),
      faults_(cost.fault_ns > 0),
      exact_(std::move(exact)),
      full_(live.layout().pages(), cost, exact_.has_value(), tracker.can_leave_open()),
      adaptive_(options.full_copy),
      all_(live.layout().pages()),
      looked_(live.layout().pages())
{
    all_.set_all();
    // Open pages are found out by comparing them: only with a shadow.
    if (options.hot_pages && exact_ && tracker.can_leave_open())
        hot_.emplace(live.layout().pages(), options.hot);
}

Result<NextLook> DamageFinder::collect(const PageSet& keep)
{
    written_.clear();
    auto next = tracker_.collect(written_, keep);
    if (!next)
        return next.error();
    if (!std::is_sorted(written_.begin(), written_.end()))
        std::sort(written_.begin(), written_.end());
    if (!looked_.empty()) {
        for (uint32_t p : written_)
            looked_.set(p);
        written_.clear();
        looked_.for_each([&](uint32_t p) { written_.push_back(p); });
        looked_.clear();
    }
    return next;
}

Result<bool> DamageFinder::look(NextLook& next)
{
    auto looked = collect(PageSet::none());
    if (!looked)
        return looked.error();
    next = *looked;
    for (uint32_t p : written_)
        looked_.set(p);
    return !written_.empty();
}

Result<const FoundDamage*> DamageFinder::find(const Damage& reported)
{
    found_.damage.clear();
    found_.pages.clear();
    found_.counts = {};
    found_.source = &live_;
    if (auto r = full_.active() ? find_full_copy() : find_tracked(reported); !r)
        return r.error();
    found_.damage.clip_to(live_.layout());
    return &found_;
}

Result<void> DamageFinder::find_tracked(const Damage& reported)
{
    auto next = collect(hot_ ? hot_->keep_open() : PageSet::none());
    if (!next)
        return next.error();
    found_.next = *next;
    Damage told = reported;
    told.clip_to(live_.layout());
    // The rate that full copy is about: pages written again and again. One
    // redraw of everything, even spread over a few flushes, writes each page
    // once: it is sent once, not copied whole until a probe says it stopped.
    // Without hot pages, every page reported counts.
    size_t rate = written_.size();
    if (!exact_) {
        found_.damage.add_page_indices(written_, live_.layout());
        found_.damage.add(told);
        found_.pages = written_;
        found_.counts.faults_taken = faults_ ? uint32_t(written_.size()) : 0;
    } else {
        auto compared = exact_->compare(live_.data(), written_, found_.damage, &found_.pages);
        if (!compared)
            return compared.error();
        found_.counts.pages_compared = compared->pages;
        found_.counts.pages_unchanged = compared->unchanged;
        if (hot_) {
            const PageCounts counts = hot_->update(written_, found_.pages);
            found_.counts.faults_taken = counts.faults_taken;
            found_.counts.faults_avoided = counts.faults_avoided;
            rate = counts.rewritten;
        } else {
            found_.counts.faults_taken = faults_ ? uint32_t(written_.size()) : 0;
        }
        if (!told.empty()) {
            // Sent from the shadow like the rest, so it goes into the shadow first.
            if (auto taken = exact_->take(live_.data(), told); !taken)
                return taken;
            found_.damage.add(told);
        }
        found_.source = &exact_->shadow();
    }
    // This frame is sent as found; the next ones whole, if the rate lasts.
    if (adaptive_ && full_.should_enter(rate))
        return enter_full_copy();
    return {};
}

Result<void> DamageFinder::find_full_copy()
{
    const FullCopyMode::Collect step = full_.next_collect();
    auto next = collect(step == FullCopyMode::Collect::rearm_probe ? full_.probe_keep() : all_);
    if (!next)
        return next.error();
    found_.next = *next;
    if (step == FullCopyMode::Collect::measure) {
        const FullCopyMode::ProbeCount probe = full_.count(written_);
        found_.counts.faults_taken = uint32_t(probe.faults);
        if (full_.worth_leaving(probe.rate))
            return leave_full_copy();
        full_.stay();
    }
    send_whole_frame(live_);
    return {};
}

Result<void> DamageFinder::enter_full_copy()
{
    full_.enter();
    if (tracker_.can_leave_open()) {
        // Open the whole range now: no more faults while the rate lasts. What
        // this reports was written after the compare: the next flush sends it.
        scratch_.clear();
        auto next = tracker_.collect(scratch_, all_);
        if (!next)
            return next.error();
        found_.next = *next;
    }
    return {};
}

Result<void> DamageFinder::leave_full_copy()
{
    full_.leave();
    if (tracker_.can_leave_open()) {
        // Re-armed before the shadow is refilled: a store after this faults
        // and is compared with what the shadow holds now.
        scratch_.clear();
        auto next = tracker_.collect(scratch_, PageSet::none());
        if (!next)
            return next.error();
        found_.next = *next;
    }
    if (hot_)
        hot_->reset();
    if (!exact_) {
        send_whole_frame(live_);
        return {};
    }
    // The shadow was not kept while everything was copied: it starts again
    // from the whole frame, which is sent from it.
    if (auto taken = exact_->take(live_.data(), Damage::full(live_.layout())); !taken)
        return taken;
    send_whole_frame(exact_->shadow());
    return {};
}

void DamageFinder::send_whole_frame(const SharedBuffer& from)
{
    found_.damage = Damage::full(live_.layout());
    found_.pages = written_;
    found_.source = &from;
    found_.counts.full_copy = true;
}

}  // namespace udefio
