// XRGB8888 pixels to and from PNG files (libpng), for headless snapshots and
// for tests that check what an output showed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace udefio {

struct Image {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint32_t> pixels;  // XRGB8888, tightly packed rows
};

// Fast compression (level 1): snapshots are written while the demo runs.
Result<void> write_png(const std::string& path, const Image& image);
Result<Image> read_png(const std::string& path);

}  // namespace udefio
