#include "defio/trackers/shadow_tracker.hpp"

#include <cstring>

#include "defio/buffer_layout.hpp"
#include "defio/client_reads.hpp"

namespace udefio {

ShadowTracker::ShadowTracker(std::span<std::byte> range)
    : range_(range), shadow_(std::make_unique<std::byte[]>(range.size()))
{
    std::memcpy(shadow_.get(), range_.data(), range_.size());
}

Result<NextLook> ShadowTracker::collect(std::vector<uint32_t>& written_pages, const PageSet&)
{
    const size_t page = page_size();
    const size_t pages = range_.size() / page;
    [[maybe_unused]] const ClientReadScope client_reads;
    for (size_t i = 0; i < pages; ++i) {
        std::byte* live = range_.data() + i * page;
        std::byte* copy = shadow_.get() + i * page;
        if (std::memcmp(live, copy, page) != 0) {
            std::memcpy(copy, live, page);
            written_pages.push_back(static_cast<uint32_t>(i));
        }
    }
    return NextLook::after_poll_interval;
}

}  // namespace udefio
