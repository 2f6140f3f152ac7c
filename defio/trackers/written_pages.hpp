// The pages a fault path marked written since the last collect, and the
// doorbell that tells the flush worker about the first of them. Marked from
// a signal handler or a fault thread, taken by collect: lock-free, because a
// signal handler may interrupt the collecting thread while it holds any lock.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "util/doorbell.hpp"

namespace udefio {

class WrittenPages {
public:
    static Result<WrittenPages> create(size_t pages)
    {
        auto doorbell = Doorbell::create();
        if (!doorbell)
            return doorbell.error();
        return WrittenPages(pages, std::move(doorbell).value());
    }

    int doorbell_fd() const { return doorbell_.fd(); }
    size_t pages() const { return pages_; }

    // Async-signal-safe. Rings the doorbell once per collect.
    void mark(size_t page) noexcept
    {
        words_[page / 64].fetch_or(uint64_t{1} << (page % 64), std::memory_order_release);
        if (!rung_->exchange(true, std::memory_order_acq_rel))
            doorbell_.ring();
    }

    // Clears every mark and returns the pages that were marked, in order (valid
    // until the next take). One caller at a time.
    std::span<const uint32_t> take()
    {
        rung_->store(false, std::memory_order_release);
        taken_.clear();
        for (size_t w = 0; w < (pages_ + 63) / 64; ++w) {
            if (words_[w].load(std::memory_order_relaxed) == 0)
                continue;
            uint64_t bits = words_[w].exchange(0, std::memory_order_acq_rel);
            while (bits) {
                taken_.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
                bits &= bits - 1;
            }
        }
        return taken_;
    }

private:
    WrittenPages(size_t pages, Doorbell doorbell)
        : pages_(pages),
          words_(std::make_unique<std::atomic<uint64_t>[]>((pages + 63) / 64)),
          rung_(std::make_unique<std::atomic<bool>>(false)),
          doorbell_(std::move(doorbell))
    {
    }

    size_t pages_;
    std::unique_ptr<std::atomic<uint64_t>[]> words_;
    std::unique_ptr<std::atomic<bool>> rung_;  // the doorbell rang since the last take (boxed: movable)
    Doorbell doorbell_;
    std::vector<uint32_t> taken_;
};

}  // namespace udefio
