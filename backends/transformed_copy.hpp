// The flush copy of an output with a transform that the display cannot do
// (no plane `rotation` for it): a rectangle of the upright (logical) image
// copied onto the panel image turned, 4 bytes a pixel. With the normal
// transform it is the plain row copy.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/rect.hpp"
#include "util/transform.hpp"

namespace udefio {

// Copies `rect` (logical pixels, inside geometry.logical()) of `src` into
// `dst` (the panel, geometry.panel) at geometry.logical_to_panel(rect).
void copy_transformed(std::byte* dst, uint32_t dst_pitch, const std::byte* src, uint32_t src_stride, const Rect& rect,
                      const OutputGeometry& geometry);

}  // namespace udefio
