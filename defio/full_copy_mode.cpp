#include "defio/full_copy_mode.hpp"

#include <algorithm>

namespace udefio {

FullCopyMode::FullCopyMode(size_t pages, const TrackingCost& cost, bool exact, bool can_probe)
    : pages_(pages), cost_(cost), exact_(exact), can_probe_(can_probe), probe_keep_(pages)
{
    constexpr size_t kPieces = 16, kShare = 8;  // 16 pieces, an eighth of the range in all
    for (size_t p = 0; p < pages; ++p)
        probe_keep_.set(p);
    const size_t piece = std::max<size_t>(1, pages / (kPieces * kShare));
    for (size_t i = 0; i < kPieces; ++i) {
        const size_t first = i * pages / kPieces;
        for (size_t p = first; p < std::min(pages, first + piece); ++p) {
            if (probe_keep_.test(p)) {
                probe_keep_.reset(p);
                ++sample_pages_;
            }
        }
    }
}

FullCopyMode::ProbeCount FullCopyMode::count(std::span<const uint32_t> reported) const
{
    if (!can_probe_ || sample_pages_ == 0)
        return {0, reported.size()};
    size_t in_sample = 0;
    for (uint32_t p : reported)
        in_sample += !probe_keep_.test(p);
    return {in_sample, in_sample * pages_ / sample_pages_};
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
        return Collect::rearm_probe;
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
