// A set of pages of one buffer as a bitmap, or "every page". The damage
// finder tells the tracker with it which pages to leave writable (hot pages,
// or all of them in full-copy mode). Not thread-safe: its owner's lock guards it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace udefio {

class PageSet {
public:
    PageSet() = default;
    explicit PageSet(size_t pages) : pages_(pages), words_((pages + 63) / 64, 0) {}

    static const PageSet& none()
    {
        static const PageSet empty;
        return empty;
    }

    size_t pages() const { return pages_; }
    bool all() const { return all_; }
    bool empty() const { return !all_ && count_ == 0; }
    size_t count() const { return all_ ? pages_ : count_; }

    bool test(size_t page) const
    {
        return all_ ? page < pages_ : page < pages_ && (words_[page / 64] >> (page % 64)) & 1;
    }
    void set(size_t page)
    {
        uint64_t& w = words_[page / 64];
        const uint64_t bit = uint64_t{1} << (page % 64);
        count_ += !(w & bit);
        w |= bit;
    }
    void reset(size_t page)
    {
        uint64_t& w = words_[page / 64];
        const uint64_t bit = uint64_t{1} << (page % 64);
        count_ -= (w & bit) != 0;
        w &= ~bit;
    }
    // "Every page", whatever the bits say; clear() ends it.
    void set_all() { all_ = true; }
    void clear()
    {
        if (count_)
            std::fill(words_.begin(), words_.end(), 0);
        count_ = 0;
        all_ = false;
    }

    // Calls fn(page) for every page in the set, in order.
    template <typename Fn>
    void for_each(Fn&& fn) const
    {
        if (all_) {
            for (size_t p = 0; p < pages_; ++p)
                fn(uint32_t(p));
            return;
        }
        for (size_t w = 0; w < words_.size() && count_; ++w) {
            for (uint64_t bits = words_[w]; bits; bits &= bits - 1)
                fn(uint32_t(w * 64 + size_t(std::countr_zero(bits))));
        }
    }

private:
    size_t pages_ = 0;
    std::vector<uint64_t> words_;
    size_t count_ = 0;  // bits set
    bool all_ = false;
};

}  // namespace udefio
