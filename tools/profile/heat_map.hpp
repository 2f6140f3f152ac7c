// A damage heat map: how often each region of the output was flushed, as a
// PNG of the output's size (black: never; blue → red → yellow → white: more).
#pragma once

#include <cstdint>
#include <vector>

#include "backends/png_file.hpp"
#include "profile/frame_recorder.hpp"

namespace udefio::profile {

struct HeatMap {
    uint32_t cell = 8;  // pixels per side of a counted cell
    uint32_t columns = 0, rows = 0;
    std::vector<uint32_t> counts;  // flushes per cell, row-major
    uint32_t max_count = 0;
};

HeatMap count_damage(const std::vector<FrameRecord>& frames, uint32_t width, uint32_t height, uint32_t cell = 8);
Image render(const HeatMap& map, uint32_t width, uint32_t height);

}  // namespace udefio::profile
