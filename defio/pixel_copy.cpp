#include "defio/pixel_copy.hpp"

namespace udefio {
namespace {

template <uint32_t kSet>
void copy_row(uint32_t* __restrict to, const uint32_t* __restrict from, size_t n)
{
    size_t x = 0;
    for (; x + 8 <= n; x += 8) {
        for (size_t i = 0; i < 8; ++i)
            to[x + i] = from[x + i] | kSet;
    }
    for (; x < n; ++x)
        to[x] = from[x] | kSet;
}

}  // namespace

uint64_t copy_rect(std::byte* dst, size_t dst_stride, const std::byte* src, size_t src_stride, const Rect& r,
                   XByte x_byte)
{
    auto* const row = x_byte == XByte::opaque ? &copy_row<0xff000000u> : &copy_row<0u>;
    for (int32_t y = r.y; y < r.y + r.height; ++y)
        row(reinterpret_cast<uint32_t*>(dst + size_t(y) * dst_stride) + r.x,
            reinterpret_cast<const uint32_t*>(src + size_t(y) * src_stride) + r.x, size_t(r.width));
    return uint64_t(r.width) * uint64_t(r.height) * 4;
}

}  // namespace udefio
