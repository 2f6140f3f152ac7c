#include "backends/wayland/presentation_feedback.hpp"

#include <wayland-client.h>

#include <algorithm>

#include "backends/wayland/presentation_time_protocol.hpp"

namespace udefio {
namespace {

// The compositor reports in its own clock (weston: CLOCK_MONOTONIC_RAW).
// The offset is read between two reads of that clock: a thread preempted
// between its reads would shift every time by as long as it waited (and put a
// presentation before its commit), so the tightest of a few tries counts.
std::chrono::nanoseconds to_monotonic(clockid_t clock, std::chrono::nanoseconds t)
{
    if (clock == CLOCK_MONOTONIC)
        return t;
    std::chrono::nanoseconds offset{}, tightest = std::chrono::nanoseconds::max();
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto before = clock_now(clock);
        const auto monotonic = clock_now(CLOCK_MONOTONIC);
        const auto after = clock_now(clock);
        if (after - before < tightest) {
            tightest = after - before;
            offset = monotonic - (before + tightest / 2);
        }
    }
    return t + offset;
}

}  // namespace

std::chrono::nanoseconds clock_now(clockid_t clock)
{
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

PresentationFeedback::PresentationFeedback(const WaylandConnection& connection, PresentedCallback presented,
                                           std::function<void()> discarded)
    : connection_(connection), presented_(std::move(presented)), discarded_(std::move(discarded))
{
}

void PresentationFeedback::request(wl_surface* surface, uint64_t token)
{
    if (!available())
        return;
    outstanding_.push_back(
        {WlPtr<struct wp_presentation_feedback>(wp_presentation_feedback(connection_.presentation(), surface)),
         token});
    static const wp_presentation_feedback_listener listener{on_sync_output, on_presented, on_discarded};
    wp_presentation_feedback_add_listener(outstanding_.back().feedback.get(), &listener, this);
}

// Which wl_output showed the frame: udefio binds no wl_output, so none is named.
void PresentationFeedback::on_sync_output(void*, struct wp_presentation_feedback*, wl_output*) {}

void PresentationFeedback::on_presented(void* data, struct wp_presentation_feedback* feedback, uint32_t tv_sec_hi,
                                        uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi,
                                        uint32_t seq_lo, uint32_t)
{
    auto* self = static_cast<PresentationFeedback*>(data);
    const auto when = std::chrono::seconds((uint64_t(tv_sec_hi) << 32) | tv_sec_lo) + std::chrono::nanoseconds(tv_nsec);
    const Presentation presentation{(uint64_t(seq_hi) << 32) | seq_lo,
                                    to_monotonic(self->connection_.presentation_clock(), when)};
    const uint64_t token = self->forget(feedback);
    self->presented_(presentation, std::chrono::nanoseconds(refresh), token);
}

void PresentationFeedback::on_discarded(void* data, struct wp_presentation_feedback* feedback)
{
    auto* self = static_cast<PresentationFeedback*>(data);
    self->forget(feedback);
    self->discarded_();
}

uint64_t PresentationFeedback::forget(struct wp_presentation_feedback* feedback)
{
    uint64_t token = 0;
    std::erase_if(outstanding_, [&](const Outstanding& o) {
        if (o.feedback.get() != feedback)
            return false;
        token = o.token;
        return true;
    });
    return token;
}

}  // namespace udefio
