// Size, stride and pixel format of a framebuffer, validated once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/mapping.hpp"
#include "util/result.hpp"

namespace udefio {

// Only XRGB8888 for now: what every KMS driver scans out and wl_shm must support.
enum class PixelFormat : uint32_t { xrgb8888 };

Result<PixelFormat> parse_pixel_format(std::string_view name);
std::string_view pixel_format_name(PixelFormat format);
inline constexpr uint32_t kBytesPerPixel = 4;

inline constexpr uint32_t kMaxDimension = 16384;  // larger than any KMS mode in use

struct BufferLayout {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t stride = 0;  // bytes per row, >= width * 4, a multiple of 4
    PixelFormat format = PixelFormat::xrgb8888;

    // Validates; a stride of 0 means "tightly packed".
    static Result<BufferLayout> make(uint32_t width, uint32_t height, uint32_t stride = 0,
                                     PixelFormat format = PixelFormat::xrgb8888);

    size_t bytes() const { return size_t{stride} * height; }
    // bytes() rounded up to whole pages: the size of the memfd and the mapping.
    size_t mapped_bytes() const;
    size_t pages() const { return mapped_bytes() / page_size(); }
    std::string describe() const;  // "1920x1080 XRGB8888 stride 7680"
};

}  // namespace udefio
