// Buffer age, done once (wlroots' wlr_damage_ring): an output that shows
// one buffer while it writes another must bring the buffer it writes up to
// date with every frame that went to the others meanwhile. The ring keeps,
// per buffer, the damage it missed; the KMS output's two dumb buffers and the
// Wayland output's two shm buffers both use it. Not thread-safe: the output's
// lock guards it.
#pragma once

#include <vector>

#include "defio/damage.hpp"

namespace udefio {

class DamageRing {
public:
    // `buffers` buffers of `size`, all missing everything (they hold none of the picture yet).
    DamageRing(size_t buffers, const Rect& size);

    // What buffer `i` must receive to show the picture with `frame` drawn:
    // `frame` and what it missed.
    Damage for_buffer(size_t i, const Damage& frame) const;
    // Buffer `i` now holds the picture up to `frame`: it misses nothing, the others miss `frame`.
    void rendered(size_t i, const Damage& frame);
    // Buffer `i` did not get (or did not show) `damage`: it must get it again.
    void missed(size_t i, const Damage& damage);

private:
    std::vector<Damage> missed_;
};

}  // namespace udefio
