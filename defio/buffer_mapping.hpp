// A user's mapping of a buffer (the kernel's VMA of the framebuffer): its own
// mmap of the memfd plus references on the DeferredIoState and on the backend,
// so neither is destroyed under it ("fbdev: defio: Disconnect deferred I/O from
// the lifetime of struct fb_info", "fbdev: defio: Keep module reference from VMAs"). When the
// output goes away the memory is revoked and access raises SIGBUS.
#pragma once

#include <memory>

#include "defio/deferred_io_state.hpp"
#include "util/mapping.hpp"

namespace udefio {

class BufferMapping {
public:
    // `backend` is any object whose lifetime the mapping must extend.
    static Result<BufferMapping> map(std::shared_ptr<DeferredIoState> state, std::shared_ptr<const void> backend);

    std::byte* data() const { return mapping_.data(); }
    size_t size() const { return mapping_.size(); }
    const std::shared_ptr<DeferredIoState>& state() const { return state_; }

private:
    BufferMapping(std::shared_ptr<DeferredIoState> state, std::shared_ptr<const void> backend, Mapping mapping)
        : state_(std::move(state)), backend_(std::move(backend)), mapping_(std::move(mapping))
    {
    }

    std::shared_ptr<DeferredIoState> state_;
    std::shared_ptr<const void> backend_;
    Mapping mapping_;  // declared last: unmapped before the references are dropped
};

}  // namespace udefio
