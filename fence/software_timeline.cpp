#include "fence/software_timeline.hpp"

#include "util/clock.hpp"

namespace udefio {

SoftwareTimeline::~SoftwareTimeline()
{
    signal_all(monotonic_now());
}

Result<std::shared_ptr<Fence>> SoftwareTimeline::create_fence()
{
    std::lock_guard lock(mutex_);
    auto fence = Fence::create_software(*this, next_seqno_);
    if (!fence)
        return fence.error();
    ++next_seqno_;
    pending_.push_back(*fence);
    return fence;
}

void SoftwareTimeline::signal_until(uint64_t seqno, std::chrono::nanoseconds at)
{
    std::deque<std::shared_ptr<Fence>> due;
    {
        std::lock_guard lock(mutex_);
        while (!pending_.empty() && pending_.front()->seqno() <= seqno) {
            due.push_back(std::move(pending_.front()));
            pending_.pop_front();
        }
        if (pending_.empty())
            deadline_.reset();
    }
    for (const auto& fence : due)
        fence->signal(at);
}

void SoftwareTimeline::signal_all(std::chrono::nanoseconds at)
{
    signal_until(UINT64_MAX, at);
}

uint64_t SoftwareTimeline::last_seqno() const
{
    std::lock_guard lock(mutex_);
    return next_seqno_ - 1;
}

std::optional<std::chrono::nanoseconds> SoftwareTimeline::earliest_deadline() const
{
    std::lock_guard lock(mutex_);
    return deadline_;
}

void SoftwareTimeline::set_deadline(uint64_t, std::chrono::nanoseconds deadline)
{
    std::lock_guard lock(mutex_);
    if (!deadline_ || deadline < *deadline_)
        deadline_ = deadline;
}

}  // namespace udefio
