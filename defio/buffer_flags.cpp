#include "defio/buffer_flags.hpp"

#include <cassert>
#include <cstdio>

#include "util/log.hpp"

namespace udefio {

Result<uint32_t> BufferFlags::set_shared(uint32_t flags, const std::shared_lock<std::shared_mutex>&)
{
    if ((flags & ~kSharedSettable) != 0) {
        char what[128];
        std::snprintf(what, sizeof what,
                      "buffer flags 0x%x may not be set under the shared lock (allowed: 0x%x)",
                      flags & ~kSharedSettable, kSharedSettable);
        UDEFIO_LOG(error, "%s", what);
        assert(!"buffer flag outside the shared-lock allow-list");
        return plain_error(what);
    }
    return bits_.fetch_or(flags, std::memory_order_acq_rel);
}

}  // namespace udefio
