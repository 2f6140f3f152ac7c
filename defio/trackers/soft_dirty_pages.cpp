#include "defio/trackers/soft_dirty_pages.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "defio/uapi.hpp"
#include "util/mapping.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

// mutex protects everything here and every registered range's pending_.
// Taken by track(), take() and the destructor, on whatever thread collects.
struct SoftDirtyRegistry {
    std::mutex mutex;
    UniqueFd pagemap;
    UniqueFd clear_refs;
    std::vector<SoftDirtyPages*> ranges;

    Result<void> open_locked()
    {
        if (!pagemap)
            pagemap.reset(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
        if (!pagemap)
            return errno_error("open(/proc/self/pagemap)");
        if (!clear_refs)
            clear_refs.reset(::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC));
        if (!clear_refs)
            return errno_error("open(/proc/self/clear_refs) for writing");
        return {};
    }

    // Keeps every range's bits, then clears them all.
    Result<void> read_all_and_clear_locked()
    {
        for (SoftDirtyPages* r : ranges) {
            if (auto read = r->read_bits(pagemap.get()); !read)
                return read;
        }
        if (::pwrite(clear_refs.get(), uapi::kClearRefsSoftDirty, 1, 0) != 1)
            return errno_error("write(\"4\") to /proc/self/clear_refs");
        return {};
    }
};

namespace {

SoftDirtyRegistry& registry()
{
    static SoftDirtyRegistry r;
    return r;
}

}  // namespace

Result<std::unique_ptr<SoftDirtyPages>> SoftDirtyPages::track(std::span<std::byte> range)
{
    auto pages = std::make_unique<SoftDirtyPages>(range);
    SoftDirtyRegistry& reg = registry();
    std::lock_guard lock(reg.mutex);
    if (auto opened = reg.open_locked(); !opened)
        return opened.error();
    // Clearing now would also clear the others' bits: they are read first.
    if (auto cleared = reg.read_all_and_clear_locked(); !cleared)
        return cleared.error();
    reg.ranges.push_back(pages.get());
    return pages;
}

SoftDirtyPages::SoftDirtyPages(std::span<std::byte> range)
    : range_(range), pending_(range.size() / page_size()), entries_(range.size() / page_size())
{
}

SoftDirtyPages::~SoftDirtyPages()
{
    SoftDirtyRegistry& reg = registry();
    std::lock_guard lock(reg.mutex);
    std::erase(reg.ranges, this);
    if (reg.ranges.empty()) {
        // No fd outlives the last range (the unplug check counts them).
        reg.pagemap.reset();
        reg.clear_refs.reset();
    }
}

Result<void> SoftDirtyPages::read_bits(int pagemap_fd)
{
    const size_t page = page_size();
    const size_t bytes = entries_.size() * sizeof(uint64_t);
    const off_t offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(range_.data()) / page * sizeof(uint64_t));
    if (::pread(pagemap_fd, entries_.data(), bytes, offset) != static_cast<ssize_t>(bytes))
        return errno_error("pread(/proc/self/pagemap) of a buffer's entries");
    for (size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i] & uapi::kPagemapSoftDirty)
            pending_.set(i);
    }
    return {};
}

Result<void> SoftDirtyPages::take(std::vector<uint32_t>& pages)
{
    SoftDirtyRegistry& reg = registry();
    std::lock_guard lock(reg.mutex);
    const Result<void> cleared = reg.read_all_and_clear_locked();
    // What was read is reported even if the clear failed: it was written.
    pending_.for_each([&](uint32_t p) { pages.push_back(p); });
    pending_.clear();
    return cleared;
}

}  // namespace udefio
