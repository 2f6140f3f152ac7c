#include "backends/wayland/shm_buffer.hpp"

#include "defio/pixel_copy.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <wayland-client.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "util/unique_fd.hpp"

namespace udefio {

Result<std::unique_ptr<ShmBuffer>> ShmBuffer::create(wl_shm* shm, uint32_t width, uint32_t height,
                                                     std::function<void()> on_release)
{
    auto layout = BufferLayout::make(width, height);
    if (!layout)
        return Error{0, "wl_shm buffer: " + layout.error().what};
    const size_t size = layout->mapped_bytes();
    if (size > size_t(std::numeric_limits<int32_t>::max()))
        return plain_error("wl_shm buffer " + layout->describe() + ": larger than a wl_shm pool can be");
    UniqueFd fd(::memfd_create("udefio-wl-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd)
        return errno_error("memfd_create(udefio-wl-shm)");
    if (::ftruncate(fd.get(), off_t(size)) != 0)
        return errno_error("ftruncate(wl_shm memfd, " + std::to_string(size) + ")");
    // The compositor maps it too: promise it that the memory never shrinks under it.
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
        return errno_error("fcntl(F_ADD_SEALS) on the wl_shm memfd");
    auto mapping = Mapping::map_shared(fd.get(), size, PROT_READ | PROT_WRITE);
    if (!mapping)
        return mapping.error();
    // Opaque black: where the picture does not reach, the X byte is set as copy_opaque() sets it.
    auto* pixels = reinterpret_cast<uint32_t*>(mapping->data());
    std::fill(pixels, pixels + size_t(width) * height, 0xff000000u);
    auto made = std::make_unique<ShmBuffer>(*layout, std::move(mapping).value(), std::move(on_release));
    // The buffer keeps the memory shared; neither the pool nor the fd is needed after this.
    wl_shm_pool* pool = wl_shm_create_pool(shm, fd.get(), int32_t(size));
    made->buffer_.reset(wl_shm_pool_create_buffer(pool, 0, int32_t(width), int32_t(height),
                                                  int32_t(layout->stride), WL_SHM_FORMAT_XRGB8888));
    wl_shm_pool_destroy(pool);
    static const wl_buffer_listener listener{on_release_event};
    wl_buffer_add_listener(made->buffer_.get(), &listener, made.get());
    return made;
}

ShmBuffer::ShmBuffer(const BufferLayout& layout, Mapping mapping, std::function<void()> on_release)
    : layout_(layout), mapping_(std::move(mapping)), on_release_(std::move(on_release))
{
}

uint64_t ShmBuffer::copy_opaque(const std::byte* src, uint32_t src_stride, const Rect& r)
{
    return copy_rect(data(), layout_.stride, src, src_stride, r, XByte::opaque);
}

Image ShmBuffer::image() const
{
    Image image{layout_.width, layout_.height, std::vector<uint32_t>(size_t(layout_.width) * layout_.height)};
    std::memcpy(image.pixels.data(), data(), layout_.bytes());  // tightly packed, as Image is
    return image;
}

void ShmBuffer::on_release_event(void* data, wl_buffer*)
{
    auto* self = static_cast<ShmBuffer*>(data);
    if (self->on_release_)
        self->on_release_();
}

}  // namespace udefio
