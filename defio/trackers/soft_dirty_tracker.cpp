#include "defio/trackers/soft_dirty_tracker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "defio/buffer_layout.hpp"
#include "defio/uapi.hpp"

namespace udefio {

Result<std::unique_ptr<Tracker>> SoftDirtyTracker::create(std::span<std::byte> range)
{
    UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    if (!pagemap)
        return errno_error("open(/proc/self/pagemap)");
    UniqueFd clear_refs(::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC));
    if (!clear_refs)
        return errno_error("open(/proc/self/clear_refs) for writing");
    auto tracker = std::make_unique<SoftDirtyTracker>(range, std::move(pagemap), std::move(clear_refs));
    if (auto cleared = tracker->clear(); !cleared)
        return cleared.error();
    return std::unique_ptr<Tracker>(std::move(tracker));
}

SoftDirtyTracker::SoftDirtyTracker(std::span<std::byte> range, UniqueFd pagemap, UniqueFd clear_refs)
    : range_(range),
      page_size_(page_size()),
      pagemap_(std::move(pagemap)),
      clear_refs_(std::move(clear_refs)),
      entries_(range.size() / page_size_)
{
}

Result<void> SoftDirtyTracker::clear() const
{
    if (::pwrite(clear_refs_.get(), uapi::kClearRefsSoftDirty, 1, 0) != 1)
        return errno_error("write(\"4\") to /proc/self/clear_refs");
    return {};
}

Result<void> SoftDirtyTracker::collect(std::vector<uint32_t>& written_pages)
{
    const size_t bytes = entries_.size() * sizeof(uint64_t);
    const off_t offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(range_.data()) / page_size_ * sizeof(uint64_t));
    if (::pread(pagemap_.get(), entries_.data(), bytes, offset) != static_cast<ssize_t>(bytes))
        return errno_error("pread(/proc/self/pagemap) of the buffer's entries");
    for (size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i] & uapi::kPagemapSoftDirty)
            written_pages.push_back(static_cast<uint32_t>(i));
    }
    return clear();
}

}  // namespace udefio
