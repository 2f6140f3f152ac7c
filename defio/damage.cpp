#include "defio/damage.hpp"

#include <algorithm>

namespace udefio {

namespace {

Rect to_rect(const pixman_box32_t& b) { return Rect{b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1}; }

pixman_box32_t to_box(const Rect& r) { return {r.x, r.y, r.x + r.width, r.y + r.height}; }

// Appends the boxes that bytes [begin, end) of the buffer cover: a partial first
// row, whole rows in between, a partial last row.
void add_byte_range(std::vector<pixman_box32_t>& boxes, size_t begin, size_t end,
                    const BufferLayout& layout)
{
    const size_t stride = layout.stride;
    const size_t row_bytes = size_t{layout.width} * kBytesPerPixel;
    end = std::min(end, layout.bytes());
    while (begin < end) {
        const size_t y = begin / stride;
        const size_t row_start = y * stride;
        const size_t x0 = begin - row_start;
        const size_t x1 = std::min(end - row_start, stride);
        if (x0 == 0 && end - row_start >= stride) {
            // Whole rows from y on.
            const size_t rows = (end - row_start) / stride;
            boxes.push_back({0, int32_t(y), int32_t(layout.width), int32_t(y + rows)});
            begin = row_start + rows * stride;
            continue;
        }
        if (x0 < row_bytes)
            boxes.push_back({int32_t(x0 / kBytesPerPixel), int32_t(y),
                             int32_t((std::min(x1, row_bytes) + kBytesPerPixel - 1) / kBytesPerPixel),
                             int32_t(y + 1)});
        begin = row_start + x1;
    }
}

}  // namespace

Damage::Damage() { pixman_region32_init(&region_); }

Damage::Damage(const Damage& other)
{
    pixman_region32_init(&region_);
    pixman_region32_copy(&region_, &other.region_);
}

Damage& Damage::operator=(const Damage& other)
{
    if (this != &other)
        pixman_region32_copy(&region_, &other.region_);
    return *this;
}

Damage::~Damage() { pixman_region32_fini(&region_); }

Damage Damage::full(const BufferLayout& layout)
{
    Damage d;
    d.add(Rect{0, 0, int32_t(layout.width), int32_t(layout.height)});
    return d;
}

void Damage::add(const Rect& rect)
{
    if (!rect.empty())
        pixman_region32_union_rect(&region_, &region_, rect.x, rect.y, unsigned(rect.width),
                                   unsigned(rect.height));
}

void Damage::add(const Damage& other) { pixman_region32_union(&region_, &region_, &other.region_); }

namespace {

// The boxes that pages at the given byte offsets (sorted) cover: adjacent
// pages form one byte range, so a run of pages becomes a few boxes.
template <class Offsets>
std::vector<pixman_box32_t> page_boxes(const Offsets& offsets, size_t count, const BufferLayout& layout)
{
    const size_t page = page_size();
    std::vector<pixman_box32_t> boxes;
    boxes.reserve(count * 2);
    size_t run_begin = offsets(0);
    size_t run_end = run_begin + page;
    for (size_t i = 1; i < count; ++i) {
        const size_t off = offsets(i);
        if (off == run_end) {
            run_end += page;
            continue;
        }
        add_byte_range(boxes, run_begin, run_end, layout);
        run_begin = off;
        run_end = off + page;
    }
    add_byte_range(boxes, run_begin, run_end, layout);
    return boxes;
}

void add_boxes(pixman_region32_t* region, std::vector<pixman_box32_t>& boxes)
{
    pixman_region32_t added;
    pixman_region32_init_rects(&added, boxes.data(), int(boxes.size()));
    pixman_region32_union(region, region, &added);
    pixman_region32_fini(&added);
}

}  // namespace

void Damage::add(std::span<const Rect> rects)
{
    if (rects.empty())
        return;
    std::vector<pixman_box32_t> boxes;
    boxes.reserve(rects.size());
    for (const Rect& r : rects) {
        if (!r.empty())
            boxes.push_back(to_box(r));
    }
    add_boxes(&region_, boxes);
}

void Damage::add_pages(std::span<PageRef* const> pages, const BufferLayout& layout)
{
    if (pages.empty())
        return;
    auto boxes = page_boxes([&](size_t i) { return pages[i]->offset(page_size()); }, pages.size(), layout);
    add_boxes(&region_, boxes);
}

void Damage::add_page_indices(std::span<const uint32_t> pages, const BufferLayout& layout)
{
    if (pages.empty())
        return;
    auto boxes = page_boxes([&](size_t i) { return size_t{pages[i]} * page_size(); }, pages.size(), layout);
    add_boxes(&region_, boxes);
}

void Damage::translate(int32_t dx, int32_t dy) { pixman_region32_translate(&region_, dx, dy); }

void Damage::clip_to(const BufferLayout& layout)
{
    pixman_region32_intersect_rect(&region_, &region_, 0, 0, layout.width, layout.height);
}

void Damage::collapse_past(size_t max_rects)
{
    if (size_t(pixman_region32_n_rects(&region_)) <= max_rects)
        return;
    const pixman_box32_t extents = *pixman_region32_extents(&region_);
    pixman_region32_reset(&region_, &extents);
}

void Damage::clear() { pixman_region32_clear(&region_); }

bool Damage::empty() const
{
    return !pixman_region32_not_empty(const_cast<pixman_region32_t*>(&region_));
}

int64_t Damage::area() const
{
    int64_t total = 0;
    for (const Rect& r : rects())
        total += r.area();
    return total;
}

Rect Damage::extents() const
{
    return to_rect(*pixman_region32_extents(const_cast<pixman_region32_t*>(&region_)));
}

std::vector<Rect> Damage::rects() const
{
    int n = 0;
    const pixman_box32_t* boxes = pixman_region32_rectangles(const_cast<pixman_region32_t*>(&region_), &n);
    std::vector<Rect> out;
    out.reserve(size_t(n));
    for (int i = 0; i < n; ++i)
        out.push_back(to_rect(boxes[i]));
    return out;
}

std::vector<Rect> Damage::clips(size_t max_clips) const
{
    std::vector<Rect> all = rects();
    if (all.size() <= max_clips || max_clips == 0)
        return all;
    // pixman keeps boxes sorted by band (y, then x), so neighbours in the list
    // are neighbours on screen: cut the list into max_clips runs and take
    // each run's bounding box.
    std::vector<Rect> out;
    out.reserve(max_clips);
    const size_t per = (all.size() + max_clips - 1) / max_clips;
    for (size_t i = 0; i < all.size(); i += per) {
        pixman_box32_t box = to_box(all[i]);
        for (size_t j = i + 1; j < std::min(all.size(), i + per); ++j) {
            const pixman_box32_t b = to_box(all[j]);
            box.x1 = std::min(box.x1, b.x1);
            box.y1 = std::min(box.y1, b.y1);
            box.x2 = std::max(box.x2, b.x2);
            box.y2 = std::max(box.y2, b.y2);
        }
        out.push_back(to_rect(box));
    }
    return out;
}

}  // namespace udefio
