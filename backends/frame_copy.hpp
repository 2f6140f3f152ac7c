// The flush copy of every output, done once: a flush's damage (rectangles of
// the frame, in logical pixels) onto the output's buffer, turned onto the
// panel when the transform is done here rather than by the display. The damage an output keeps (its buffer
// ages, what it owes) stays logical; only what goes to the device (the
// copy, FB_DAMAGE_CLIPS, wl_surface.damage_buffer) is turned.
#pragma once

#include <vector>

#include "backends/cursor_overlay.hpp"
#include "defio/damage.hpp"
#include "defio/pixel_copy.hpp"
#include "defio/shared_buffer.hpp"
#include "util/transform.hpp"

namespace udefio {

class FrameCopy {
public:
    // `buffer`: the buffer's own size and the transform the copy applies,
    // from the logical picture onto it (normal when the buffer holds the
    // logical picture: no transform, or the display turns it).
    FrameCopy(OutputGeometry buffer, XByte x_byte = XByte::keep);

    // Copies `logical` from `src` (the frame) into the buffer at `dst`, and
    // the software cursor over them where it is. Returns the bytes copied.
    // The flush worker.
    uint64_t copy(std::byte* dst, size_t pitch, const SharedBuffer& src, const std::vector<Rect>& logical,
                  const CursorOverlay::Placement& cursor = {}) const;
    // Where a logical rectangle is in the buffer.
    Rect to_buffer(const Rect& logical) const;
    // At most `max` rectangles of the buffer covering `logical`.
    std::vector<Rect> clips(const Damage& logical, size_t max) const;
    const OutputGeometry& buffer() const { return buffer_; }

private:
    const OutputGeometry buffer_;
    const XByte x_byte_;
};

}  // namespace udefio
