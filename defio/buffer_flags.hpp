// Per-buffer flags as one atomic bitmask, as "mm: add atomic VMA flags and set
// VM_MAYBE_GUARD as such" sets VMA flags atomically under the read lock. Most flags change only while the owner's
// lock is held exclusively; the few in kSharedSettable may also be set while
// holding it shared, because every reader that cares takes the lock
// exclusively and the others can tolerate seeing the bit either way. Setting
// any other flag under the shared lock is a bug: it asserts in debug builds
// and is refused with a logged error in release builds.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>

#include "util/result.hpp"

namespace udefio {

enum BufferFlag : uint32_t {
    // Written since the last flush began, and the flush timer armed for it:
    // set by notify_write under the shared lock (a second thread: the flush
    // worker's doorbell, a client's damage), read there to skip arming it again,
    // cleared by the flush under the exclusive lock.
    kFlagWritten = 1u << 0,
    // The output is gone for good: mappings get SIGBUS, attach is refused.
    kFlagRevoked = 1u << 1,
};

// The allow-list: only hints that a racing reader may see either way.
inline constexpr uint32_t kSharedSettable = kFlagWritten;

class BufferFlags {
public:
    bool test(uint32_t flags) const { return (bits_.load(std::memory_order_acquire) & flags) == flags; }
    uint32_t load() const { return bits_.load(std::memory_order_acquire); }

    // Any flag, with the owner's lock held exclusively.
    void set(uint32_t flags, const std::unique_lock<std::shared_mutex>&)
    {
        bits_.fetch_or(flags, std::memory_order_acq_rel);
    }
    void clear(uint32_t flags, const std::unique_lock<std::shared_mutex>&)
    {
        bits_.fetch_and(~flags, std::memory_order_acq_rel);
    }

    // Only flags in kSharedSettable, with the owner's lock held shared.
    // Returns the bits as they were before.
    Result<uint32_t> set_shared(uint32_t flags, const std::shared_lock<std::shared_mutex>& lock);

private:
    std::atomic<uint32_t> bits_{0};
};

}  // namespace udefio
