#include "defio/trackers/soft_dirty_tracker.hpp"

namespace udefio {

Result<std::unique_ptr<Tracker>> SoftDirtyTracker::create(std::span<std::byte> range)
{
    auto pages = SoftDirtyPages::track(range);
    if (!pages)
        return pages.error();
    return std::unique_ptr<Tracker>(std::make_unique<SoftDirtyTracker>(std::move(pages).value()));
}

Result<NextLook> SoftDirtyTracker::collect(std::vector<uint32_t>& written_pages, const PageSet&)
{
    if (auto taken = pages_->take(written_pages); !taken)
        return taken.error();
    return NextLook::after_poll_interval;
}

}  // namespace udefio
