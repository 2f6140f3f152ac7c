#include "defio/buffer_layout.hpp"

namespace udefio {

Result<PixelFormat> parse_pixel_format(std::string_view name)
{
    if (name == "XRGB8888" || name == "xrgb8888")
        return PixelFormat::xrgb8888;
    return plain_error("unknown pixel format '" + std::string(name) + "' (supported: XRGB8888)");
}

std::string_view pixel_format_name(PixelFormat) { return "XRGB8888"; }

Result<BufferLayout> BufferLayout::make(uint32_t width, uint32_t height, uint32_t stride,
                                        PixelFormat format)
{
    if (width == 0 || height == 0 || width > kMaxDimension || height > kMaxDimension)
        return plain_error("impossible size " + std::to_string(width) + "x" + std::to_string(height) +
                           " (each side must be 1.." + std::to_string(kMaxDimension) + ")");
    const uint32_t min_stride = width * kBytesPerPixel;
    if (stride == 0)
        stride = min_stride;
    if (stride < min_stride)
        return plain_error("stride " + std::to_string(stride) + " is smaller than width " +
                           std::to_string(width) + " x 4 bytes = " + std::to_string(min_stride));
    if (stride % kBytesPerPixel != 0)
        return plain_error("stride " + std::to_string(stride) + " is not a multiple of 4 bytes");
    if (stride > 4 * min_stride + 65536)
        return plain_error("stride " + std::to_string(stride) + " is absurd for width " +
                           std::to_string(width));
    return BufferLayout{width, height, stride, format};
}

size_t BufferLayout::mapped_bytes() const
{
    const size_t page = page_size();
    return (bytes() + page - 1) / page * page;
}

std::string BufferLayout::describe() const
{
    return std::to_string(width) + "x" + std::to_string(height) + " " +
           std::string(pixel_format_name(format)) + " stride " + std::to_string(stride);
}

}  // namespace udefio
