// One wl_shm buffer in a memfd of its own, mapped here and shared with the
// compositor. After a commit the compositor may read it until it sends
// wl_buffer.release; on_release runs then (loop thread). Created and
// destroyed on the loop thread; its pixels may be written from any thread
// by whoever knows the compositor does not hold it.
#pragma once

#include <functional>
#include <memory>

#include "backends/png_file.hpp"
#include "backends/wayland/wl_ptr.hpp"
#include "defio/buffer_layout.hpp"
#include "util/mapping.hpp"
#include "util/rect.hpp"

namespace udefio {

class ShmBuffer {
public:
    // XRGB8888, tightly packed, opaque black.
    static Result<std::unique_ptr<ShmBuffer>> create(wl_shm* shm, uint32_t width, uint32_t height,
                                                     std::function<void()> on_release);
    ShmBuffer(const ShmBuffer&) = delete;
    ShmBuffer& operator=(const ShmBuffer&) = delete;

    const BufferLayout& layout() const { return layout_; }
    std::byte* data() const { return mapping_.data(); }
    wl_buffer* buffer() const { return buffer_.get(); }

    // Copies rectangle `r` from `src` (same coordinates) and sets each pixel's
    // X byte to 0xff: XRGB8888 leaves it undefined, but some compositors'
    // capture paths (weston 10's screenshooter) read it as alpha. Returns the
    // bytes copied. Only while the compositor does not hold the buffer.
    uint64_t copy_opaque(const std::byte* src, uint32_t src_stride, const Rect& r);
    Image image() const;  // its pixels, for snapshots

    ShmBuffer(const BufferLayout& layout, Mapping mapping, std::function<void()> on_release);

private:
    static void on_release_event(void* data, wl_buffer* buffer);

    const BufferLayout layout_;
    Mapping mapping_;
    WlPtr<wl_buffer> buffer_;
    std::function<void()> on_release_;
};

}  // namespace udefio
