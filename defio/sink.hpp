// Where a flush goes: the output's copy/commit (the kernel's deferred_io
// callback). Implemented by every backend's output.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "defio/damage.hpp"
#include "defio/page_ref.hpp"
#include "defio/shared_buffer.hpp"

namespace udefio {

struct FlushResult {
    uint64_t bytes_copied = 0;
};

// What a sink wants to be told of a frame's damage.
struct DamageShape {
    static constexpr uint32_t kMaxDamageRects = 256;

    // Rectangles the device is told of per frame (the copy itself always
    // follows the exact damage): 1, one bounding box, for drivers that merge
    // the clips anyway (drm_atomic_helper_damage_merged); up to 256 (the
    // kernel's DRM_MODE_FB_DIRTY_MAX_CLIPS, enough for any exact damage we
    // make) for drivers that iterate them, Wayland's damage_buffer and DIRTYFB.
    uint32_t max_rects = kMaxDamageRects;
    // Worth a shadow of the buffer (ExactDamage): written pages are compared
    // and only what changed is sent. False where bytes do not matter: then
    // damage is page-granular and the buffer's memory is not doubled.
    bool exact = true;
};

class Sink {
public:
    virtual ~Sink() = default;

    // Called on the flush worker's thread with the state lock held exclusively
    // (so the output cannot be detached meanwhile). `src` is what to copy
    // from: the state's buffer, or the shadow of what was sent (exact damage);
    // it has the buffer's layout. `pages` (sorted) are the pages in which
    // something changed; `damage` is clipped to the buffer. Must not call back
    // into the DeferredIoState. `due` is when the flush was meant to start
    // (what flush_time() said; for a flush asked for at once, when it was
    // asked): a flush that starts much later woke late, which an output
    // timing its commits to vblanks must learn from.
    virtual FlushResult flush(const SharedBuffer& src, std::span<PageRef* const> pages, const Damage& damage,
                              std::chrono::nanoseconds due) = 0;

    // What damage this sink wants (it may change with a mode change; the
    // state asks once, when it attaches).
    virtual DamageShape damage_shape() const { return {}; }

    // When to start the flush of a write seen at `now`, whose delay ends at
    // `ready` (CLOCK_MONOTONIC). Outputs with a vblank grid start it shortly
    // before the last vblank that shows it within a refresh period of
    // `ready`; others at `ready`. Any thread, under the state's shared lock:
    // it must be quick and take no lock but leaves.
    virtual std::chrono::nanoseconds flush_time(std::chrono::nanoseconds now, std::chrono::nanoseconds ready) const
    {
        (void)now;
        return ready;
    }
};

}  // namespace udefio
