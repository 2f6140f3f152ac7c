// One tracked buffer at a time for the benchmarks: creating trackers over
// 33 MB buffers for every benchmark would dominate the run.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "defio/shared_buffer.hpp"
#include "defio/tracker.hpp"

namespace udefio::bench {

struct Resolution {
    const char* name;
    uint32_t width;
    uint32_t height;
};

// first_write/ and collect/ run at these; frame/ also at 720p (the cursor's bytes target).
inline constexpr Resolution kResolutions[] = {{"1080p", 1920, 1080}, {"4k", 3840, 2160}};
inline constexpr Resolution kFrameResolutions[] = {{"720p", 1280, 720}, {"1080p", 1920, 1080}, {"4k", 3840, 2160}};

struct TrackedBuffer {
    SharedBuffer buffer;
    std::unique_ptr<Tracker> tracker;  // null: an untracked buffer (the drawing baseline)
    std::vector<std::byte> destination;  // where a sink would copy to
    std::vector<uint32_t> pages;         // collect() scratch

    size_t page_count() const { return buffer.layout().pages(); }
    void collect()
    {
        pages.clear();
        if (tracker)
            (void)tracker->collect(pages);
    }
};

// Returns the buffer for (kind, resolution), replacing the previous one;
// std::nullopt kind means untracked. Null if the tracker cannot run here.
TrackedBuffer* tracked_buffer(std::optional<TrackerKind> kind, const Resolution& resolution);

}  // namespace udefio::bench
