#include "tools/bench/tracker_fixture.hpp"

#include <cstdio>
#include <cstring>

namespace udefio::bench {

TrackedBuffer* tracked_buffer(std::optional<TrackerKind> kind, const Resolution& resolution)
{
    static std::unique_ptr<TrackedBuffer> current;
    static std::optional<TrackerKind> current_kind;
    static const Resolution* current_resolution = nullptr;
    if (current && current_kind == kind && current_resolution == &resolution)
        return current.get();
    current.reset();
    auto buffer = SharedBuffer::create(BufferLayout::make(resolution.width, resolution.height).value());
    if (!buffer) {
        std::fprintf(stderr, "bench: %s\n", buffer.error().message().c_str());
        return nullptr;
    }
    // Touch every page first: the benchmarks measure tracking, not page allocation.
    std::memset(buffer->data(), 0, buffer->size());
    std::unique_ptr<Tracker> tracker;
    if (kind) {
        auto made = make_tracker(*kind, buffer->bytes());
        if (!made)
            return nullptr;
        tracker = std::move(made).value();
    }
    current = std::make_unique<TrackedBuffer>(
        TrackedBuffer{std::move(buffer).value(), std::move(tracker), std::vector<std::byte>(resolution.width * 4ul * resolution.height), {}});
    current->collect();  // start clean
    current_kind = kind;
    current_resolution = &resolution;
    return current.get();
}

}  // namespace udefio::bench
