#include "defio/exact_damage.hpp"

#include <algorithm>
#include <cstring>

#include "defio/client_reads.hpp"
#include "defio/sigbus_guard.hpp"

namespace udefio {
namespace {

// 64 pixels per memcmp: long enough for the library's vector loop, short
// enough that finding the pixel inside a differing block is quick (measured
// against one memcmp of the whole range, 256-pixel blocks and an inline
// OR of XORs: this was the quickest).
constexpr uint32_t kBlock = 64;

// The first pixel in [from, to) where a and b differ, or `to`.
uint32_t first_difference(const uint32_t* a, const uint32_t* b, uint32_t from, uint32_t to)
{
    uint32_t i = from;
    while (i < to) {
        const uint32_t block_end = std::min(to, i + kBlock);
        if (std::memcmp(a + i, b + i, size_t(block_end - i) * 4) != 0) {
            // Bounded: the writer may have made the block equal since.
            for (; i < block_end; ++i) {
                if (a[i] != b[i])
                    return i;
            }
        }
        i = block_end;
    }
    return to;
}

}  // namespace

Result<ExactDamage> ExactDamage::create(const BufferLayout& layout, uint32_t span_gap)
{
    auto shadow = SharedBuffer::create(layout, "udefio-shadow");
    if (!shadow)
        return shadow.error();
    return ExactDamage(std::move(shadow).value(), std::max<uint32_t>(span_gap, 1));
}

void ExactDamage::add_span(uint32_t y, uint32_t x0, uint32_t x1)
{
    // A span that continues the last one on the same row (the row crosses a
    // page boundary, or the gap is short) extends it.
    if (!spans_.empty()) {
        Rect& last = spans_.back();
        if (last.y == int32_t(y) && int64_t(x0) - (last.x + last.width) < int64_t(span_gap_)) {
            last.width = int32_t(x1) - last.x;
            return;
        }
    }
    spans_.push_back({int32_t(x0), int32_t(y), int32_t(x1 - x0), 1});
}

void ExactDamage::compare_row(const uint32_t* live_row, uint32_t* shadow_row, uint32_t y, uint32_t from, uint32_t to)
{
    uint32_t i = first_difference(live_row, shadow_row, from, to);
    while (i < to) {
        // Extend the span over differences until span_gap_ equal pixels in a row.
        uint32_t last = i;  // the last differing pixel so far
        uint32_t k = i + 1;
        while (k < to) {
            if (live_row[k] != shadow_row[k]) {
                last = k++;
                continue;
            }
            const uint32_t window = std::min(to, k + span_gap_);
            const uint32_t next = first_difference(live_row, shadow_row, k, window);
            if (next == window)
                break;  // a gap worth a new span (or the end of the range)
            last = next;
            k = next + 1;
        }
        const uint32_t end = last + 1;
        std::memcpy(shadow_row + i, live_row + i, size_t(end - i) * 4);
        add_span(y, i, end);
        i = first_difference(live_row, shadow_row, std::min(to, end + span_gap_), to);
    }
}

void ExactDamage::compare_pages(const std::byte* live, std::span<const uint32_t> pages, std::vector<uint32_t>* changed)
{
    const BufferLayout& layout = shadow_.layout();
    const size_t page = page_size();
    const size_t stride = layout.stride;
    const size_t row_bytes = size_t(layout.width) * kBytesPerPixel;
    for (uint32_t p : pages) {
        const size_t spans_before = spans_.size();
        const Rect last_before = spans_.empty() ? Rect{} : spans_.back();
        size_t begin = size_t(p) * page;
        const size_t end = std::min(begin + page, layout.bytes());
        while (begin < end) {
            const size_t y = begin / stride;
            const size_t row_start = y * stride;
            const size_t x0 = begin - row_start;
            const size_t x1 = std::min(end - row_start, stride);
            if (x0 < row_bytes) {
                compare_row(reinterpret_cast<const uint32_t*>(live + row_start),
                            reinterpret_cast<uint32_t*>(shadow_.data() + row_start), uint32_t(y),
                            uint32_t(x0 / kBytesPerPixel), uint32_t(std::min(x1, row_bytes) / kBytesPerPixel));
            }
            begin = row_start + x1;
        }
        const bool found = spans_.size() != spans_before || (!spans_.empty() && !(spans_.back() == last_before));
        if (found) {
            if (changed)
                changed->push_back(p);
        } else {
            ++unchanged_;
        }
        ++reached_;
    }
}

Result<ExactDamage::Compared> ExactDamage::compare(const std::byte* live, std::span<const uint32_t> pages,
                                                   Damage& damage, std::vector<uint32_t>* changed)
{
    spans_.clear();
    reached_ = 0;
    unchanged_ = 0;
    // Everything the guarded code touches is a member: a SIGBUS jumps out of
    // it with nothing on its frame to destroy.
    const bool read = read_client_pixels_guarding_sigbus([&] { compare_pages(live, pages, changed); });
    damage.add(spans_);
    if (!read)
        return plain_error("the buffer's memory vanished while it was compared (its memfd was truncated)");
    return Compared{reached_, unchanged_};
}

Result<void> ExactDamage::take(const std::byte* live, const Damage& damage)
{
    const uint32_t stride = shadow_.layout().stride;
    const std::vector<Rect> rects = damage.rects();
    const bool read = read_client_pixels_guarding_sigbus([&] {
        for (const Rect& r : rects) {
            for (int32_t y = r.y; y < r.y + r.height; ++y) {
                const size_t at = size_t(y) * stride + size_t(r.x) * kBytesPerPixel;
                std::memcpy(shadow_.data() + at, live + at, size_t(r.width) * kBytesPerPixel);
            }
        }
    });
    if (!read)
        return plain_error("the buffer's memory vanished while it was copied (its memfd was truncated)");
    return {};
}

}  // namespace udefio
