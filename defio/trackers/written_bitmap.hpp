// One bit per page, set from a fault handler (signal or uffd thread) and taken
// by collect. Lock-free because a signal handler may set a bit while the
// collecting thread holds any lock at all.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <vector>

namespace udefio {

class WrittenBitmap {
public:
    explicit WrittenBitmap(size_t pages)
        : pages_(pages), words_(std::make_unique<std::atomic<uint64_t>[]>((pages + 63) / 64))
    {
    }

    // Async-signal-safe.
    void set(size_t page) noexcept
    {
        words_[page / 64].fetch_or(uint64_t{1} << (page % 64), std::memory_order_release);
    }

    // Clears every bit and appends the pages that were set, in order.
    void take(std::vector<uint32_t>& pages) noexcept(false)
    {
        for (size_t w = 0; w < (pages_ + 63) / 64; ++w) {
            if (words_[w].load(std::memory_order_relaxed) == 0)
                continue;
            uint64_t bits = words_[w].exchange(0, std::memory_order_acq_rel);
            while (bits) {
                pages.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
                bits &= bits - 1;
            }
        }
    }

    size_t pages() const { return pages_; }

private:
    size_t pages_;
    std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

}  // namespace udefio
