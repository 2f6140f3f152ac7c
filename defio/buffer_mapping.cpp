#include "defio/buffer_mapping.hpp"

#include <sys/mman.h>

namespace udefio {

Result<BufferMapping> BufferMapping::map(std::shared_ptr<DeferredIoState> state,
                                         std::shared_ptr<const void> backend)
{
    SharedBuffer& buffer = state->buffer();
    auto mapping = Mapping::map_shared(buffer.fd(), buffer.layout().mapped_bytes(), PROT_READ | PROT_WRITE);
    if (!mapping)
        return mapping.error();
    return BufferMapping(std::move(state), std::move(backend), std::move(mapping).value());
}

}  // namespace udefio
