// Exact damage from dirty pages: a shadow holds what was last sent; only the
// pages that may have changed are compared with it, every difference becomes
// a span of its row, spans of a row whose gap is shorter than `span_gap`
// pixels are merged (copying the gap is cheaper than another rectangle, as
// fbcp-ili9341's SPAN_MERGE_THRESHOLD says; ours is measured, see
// docs/PERFORMANCE.md), and the changed bytes are copied into the shadow as
// they are found. The live buffer is read once: whoever sends the damage
// copies it from the shadow, so the shadow is exactly what was sent, and a
// store that lands after the compare differs from it at the next compare. A
// page that was written but did not change adds nothing.
//
// Used by the deferred I/O state on its own buffer, and by the compositor on
// a client's lease whose written pages come from the client's pagemap. Costs
// one buffer of memory (shadow_bytes()). Not thread-safe: one caller at a time.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "defio/buffer_layout.hpp"
#include "defio/damage.hpp"
#include "defio/shared_buffer.hpp"
#include "util/rect.hpp"
#include "util/result.hpp"

namespace udefio {

// Measured (docs/PERFORMANCE.md, "Span merge gap"): below this many
// unchanged pixels between two changes of a row, one span costs less.
inline constexpr uint32_t kSpanMergeGap = 32;

class ExactDamage {
public:
    // The shadow starts all zeros, as a fresh memfd (and a fresh lease) is.
    static Result<ExactDamage> create(const BufferLayout& layout, uint32_t span_gap = kSpanMergeGap);

    struct Compared {
        uint32_t pages = 0;      // compared
        uint32_t unchanged = 0;  // of those, the ones without a difference
    };
    // Compares the given pages (sorted, each once; indices into a buffer of
    // this layout) of `live` with the shadow: adds every changed span to
    // `damage`, copies it into the shadow, and appends each page in which
    // something changed to `changed` (if not null). `live` may vanish under
    // us (a client truncates its memfd): that SIGBUS is an error, and what
    // was found before it is in `damage` and the shadow.
    Result<Compared> compare(const std::byte* live, std::span<const uint32_t> pages, Damage& damage,
                             std::vector<uint32_t>* changed = nullptr);

    // Copies `damage` from `live` into the shadow without comparing: damage a
    // client reported, or the whole frame after the shadow was not kept.
    Result<void> take(const std::byte* live, const Damage& damage);

    // What was sent, laid out as the live buffer: the source of the copy out.
    const SharedBuffer& shadow() const { return shadow_; }
    size_t shadow_bytes() const { return shadow_.size(); }
    uint32_t span_gap() const { return span_gap_; }

private:
    ExactDamage(SharedBuffer shadow, uint32_t span_gap) : shadow_(std::move(shadow)), span_gap_(span_gap) {}

    // The spans of row `y` within pixels [from, to): into spans_ and the shadow.
    void compare_row(const uint32_t* live_row, uint32_t* shadow_row, uint32_t y, uint32_t from, uint32_t to);
    void add_span(uint32_t y, uint32_t x0, uint32_t x1);
    // Pages compare_pages reached, and whether each changed: set while reading.
    void compare_pages(const std::byte* live, std::span<const uint32_t> pages, std::vector<uint32_t>* changed);

    SharedBuffer shadow_;
    uint32_t span_gap_;
    std::vector<Rect> spans_;  // compare()'s scratch: one-row rectangles, in order
    uint32_t reached_ = 0;     // pages compare_pages finished
    uint32_t unchanged_ = 0;
};

}  // namespace udefio
