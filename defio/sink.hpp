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

class Sink {
public:
    virtual ~Sink() = default;

    // Called on the flush worker's thread with the state lock held exclusively
    // (so the output cannot be detached meanwhile). `pages` are sorted; `damage`
    // is clipped to the buffer. Must not call back into the DeferredIoState.
    virtual FlushResult flush(const SharedBuffer& src, std::span<PageRef* const> pages,
                              const Damage& damage) = 0;

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
