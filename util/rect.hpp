// An axis-aligned rectangle in buffer pixels.
#pragma once

#include <cstdint>

namespace udefio {

struct Rect {
    int32_t x = 0;
    int32_t y = 0;
    int32_t width = 0;
    int32_t height = 0;

    int64_t area() const { return int64_t{width} * height; }
    bool empty() const { return width <= 0 || height <= 0; }
    bool operator==(const Rect&) const = default;
};

}  // namespace udefio
