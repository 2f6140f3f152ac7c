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
