#include "defio/full_copy_mode.hpp"

#include <algorithm>

namespace udefio {

FullCopyMode::FullCopyMode(size_t pages, const TrackingCost& cost, bool exact, bool can_probe)
    : pages_(pages), cost_(cost), exact_(exact), can_probe_(can_probe)
{
}

bool FullCopyMode::should_enter(size_t reported)
{
    above_ = cost_.tracked_ns(reported, exact_) > cost_.full_copy_ns(pages_) ? above_ + 1 : 0;
    return above_ >= kEnterAfter;
}

bool FullCopyMode::worth_leaving(size_t reported) const
{
    return 2 * cost_.tracked_ns(reported, exact_) < cost_.full_copy_ns(pages_);
}

FullCopyMode::Collect FullCopyMode::next_collect()
{
    if (!can_probe_)
        return Collect::measure;
    if (measuring_) {
        measuring_ = false;
        return Collect::measure;
    }
    if (--until_probe_ == 0) {
        measuring_ = true;
        return Collect::rearm_all;
    }
    return Collect::open_all;
}

void FullCopyMode::enter()
{
    active_ = true;
    above_ = 0;
    measuring_ = false;
    probe_every_ = kFirstProbe;
    until_probe_ = kFirstProbe;
}

void FullCopyMode::leave()
{
    active_ = false;
    measuring_ = false;
}

void FullCopyMode::stay()
{
    probe_every_ = std::min(probe_every_ * 2, kLastProbe);
    until_probe_ = probe_every_;
}

}  // namespace udefio
