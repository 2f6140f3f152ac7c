// Damage in buffer pixels: pages become row spans using the stride, explicit
// rectangles are added as they are, all kept in a pixman region. clips() merges
// it down to at most N rectangles for FB_DAMAGE_CLIPS / wl_surface_damage_buffer.
#pragma once

#include <pixman.h>

#include <span>
#include <vector>

#include "defio/buffer_layout.hpp"
#include "defio/page_ref.hpp"
#include "util/rect.hpp"

namespace udefio {

// Damage of more rectangles than this is merged into their extents, as
// wlroots' damage ring does past WLR_DAMAGE_RING_MAX_RECTS: past it, keeping
// each rectangle costs more than copying the pixels between them, and a
// client's damage is never more than a few region operations.
inline constexpr size_t kMaxKeptRects = 20;

class Damage {
public:
    Damage();
    Damage(const Damage& other);
    Damage& operator=(const Damage& other);
    ~Damage();

    static Damage full(const BufferLayout& layout);

    void add(const Rect& rect);
    void add(const Damage& other);
    // Adds many rectangles at once (one region operation instead of one each).
    void add(std::span<const Rect> rects);
    // Adds the pixels that the given pages hold; stride padding is ignored.
    void add_pages(std::span<PageRef* const> pages, const BufferLayout& layout);
    // The same, for pages given by their index in the buffer (sorted).
    void add_page_indices(std::span<const uint32_t> pages, const BufferLayout& layout);
    // Moves every rectangle by (dx, dy).
    void translate(int32_t dx, int32_t dy);
    void clip_to(const BufferLayout& layout);
    // More than `max_rects` rectangles become their extents.
    void collapse_past(size_t max_rects = kMaxKeptRects);
    void clear();

    bool empty() const;
    int64_t area() const;
    Rect extents() const;
    std::vector<Rect> rects() const;
    // At most max_clips rectangles covering the damage (they may cover more);
    // clips(1) is the bounding box.
    std::vector<Rect> clips(size_t max_clips) const;

    const pixman_region32_t* region() const { return &region_; }

private:
    pixman_region32_t region_;
};

}  // namespace udefio
