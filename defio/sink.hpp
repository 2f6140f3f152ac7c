// Where a flush goes: the output's copy/commit (the kernel's deferred_io
// callback). Implemented by every backend's output.
#pragma once

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
};

}  // namespace udefio
