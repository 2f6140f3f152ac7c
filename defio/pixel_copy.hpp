// The one copy of a rectangle of XRGB8888 pixels between two buffers: every
// flush (headless, KMS, Wayland), every lease commit and every snapshot uses
// it. Row by row, each row a loop g++ vectorises (in blocks of 8 on pointers
// that cannot alias; a plain loop it leaves scalar, at three times memcpy's
// time); whole rows that lie back to back in both buffers in one memcpy.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/rect.hpp"
#include "util/transform.hpp"

namespace udefio {

enum class XByte {
    keep,    // copied as it is
    opaque,  // set to 0xff: XRGB8888 leaves it undefined, but some compositors'
             // capture paths (weston 10's screenshooter) read it as alpha
};

// Copies `r` (the same coordinates in both) from `src` to `dst`. Returns the bytes copied.
uint64_t copy_rect(std::byte* dst, size_t dst_stride, const std::byte* src, size_t src_stride, const Rect& r,
                   XByte x_byte = XByte::keep);

// The flush copy of an output whose transform the display cannot do (no
// plane `rotation` for it): `r` (logical pixels, inside geometry.logical())
// of the upright image `src` onto the panel image `dst`, at
// geometry.logical_to_panel(r). With the normal transform, copy_rect.
// Returns the bytes copied.
uint64_t copy_rect_transformed(std::byte* dst, size_t dst_stride, const std::byte* src, size_t src_stride,
                               const Rect& r, const OutputGeometry& geometry, XByte x_byte = XByte::keep);

}  // namespace udefio
