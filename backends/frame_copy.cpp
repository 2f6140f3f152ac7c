#include "backends/frame_copy.hpp"

namespace udefio {

FrameCopy::FrameCopy(OutputGeometry buffer, XByte x_byte)
    : buffer_(buffer), x_byte_(x_byte)
{
}

uint64_t FrameCopy::copy(std::byte* dst, size_t pitch, const SharedBuffer& src, const std::vector<Rect>& logical,
                         const CursorOverlay::Placement& cursor) const
{
    uint64_t bytes = 0;
    for (const Rect& r : logical)
        bytes += copy_rect_transformed(dst, pitch, src.data(), src.layout().stride, r, buffer_, x_byte_);
    CursorOverlay::draw(dst, pitch, cursor, logical, buffer_, x_byte_);
    return bytes;
}

Rect FrameCopy::to_buffer(const Rect& logical) const { return buffer_.logical_to_panel(logical); }

std::vector<Rect> FrameCopy::clips(const Damage& logical, size_t max) const
{
    std::vector<Rect> rects = logical.clips(max);
    for (Rect& r : rects)
        r = to_buffer(r);
    return rects;
}

}  // namespace udefio
