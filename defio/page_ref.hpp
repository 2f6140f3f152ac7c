// One PageRef per page of a buffer, allocated 1:1 with the buffer by its
// DeferredIoState (fb_deferred_io_pageref, as in "fbdev: defio: Move pageref
// array to struct fb_deferred_io_state").
#pragma once

#include <cstddef>
#include <cstdint>

namespace udefio {

struct PageRef {
    uint32_t index = 0;   // page number within the buffer
    bool listed = false;  // on the PageRefList; guarded by the state lock

    size_t offset(size_t page_bytes) const { return size_t{index} * page_bytes; }
};

}  // namespace udefio
