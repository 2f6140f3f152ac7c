#include "tools/profile/heat_map.hpp"

#include <algorithm>
#include <cmath>

namespace udefio::profile {
namespace {

// t in [0, 1] → XRGB on a black-body-like ramp.
uint32_t ramp(double t)
{
    struct Stop {
        double at;
        double r, g, b;
    };
    static constexpr Stop kStops[] = {
        {0.0, 0, 0, 0.35}, {0.33, 0.1, 0.1, 1}, {0.66, 1, 0.1, 0.1}, {0.9, 1, 0.9, 0.1}, {1.0, 1, 1, 1}};
    t = std::clamp(t, 0.0, 1.0);
    for (size_t i = 1; i < std::size(kStops); ++i) {
        if (t <= kStops[i].at) {
            const Stop& a = kStops[i - 1];
            const Stop& b = kStops[i];
            const double k = (t - a.at) / (b.at - a.at);
            auto channel = [&](double x, double y) { return uint32_t(std::lround(255 * (x + (y - x) * k))); };
            return channel(a.r, b.r) << 16 | channel(a.g, b.g) << 8 | channel(a.b, b.b);
        }
    }
    return 0x00ffffff;
}

}  // namespace

HeatMap count_damage(const std::vector<FrameRecord>& frames, uint32_t width, uint32_t height, uint32_t cell)
{
    HeatMap map;
    map.cell = cell;
    map.columns = (width + cell - 1) / cell;
    map.rows = (height + cell - 1) / cell;
    map.counts.assign(size_t(map.columns) * map.rows, 0);
    for (const FrameRecord& f : frames) {
        // A cell counts once per frame, however many of its rects touch it.
        std::vector<bool> hit(map.counts.size(), false);
        for (const Rect& r : f.rects) {
            if (r.empty())
                continue;
            const uint32_t x0 = uint32_t(std::max(r.x, 0)) / cell;
            const uint32_t y0 = uint32_t(std::max(r.y, 0)) / cell;
            const uint32_t x1 = std::min(map.columns - 1, uint32_t(r.x + r.width - 1) / cell);
            const uint32_t y1 = std::min(map.rows - 1, uint32_t(r.y + r.height - 1) / cell);
            for (uint32_t y = y0; y <= y1; ++y)
                for (uint32_t x = x0; x <= x1; ++x)
                    hit[size_t(y) * map.columns + x] = true;
        }
        for (size_t i = 0; i < hit.size(); ++i)
            map.counts[i] += hit[i];
    }
    map.max_count = map.counts.empty() ? 0 : *std::max_element(map.counts.begin(), map.counts.end());
    return map;
}

Image render(const HeatMap& map, uint32_t width, uint32_t height)
{
    Image image{width, height, std::vector<uint32_t>(size_t(width) * height, 0)};
    // Logarithmic: a cursor flushed 1000 times and a clock flushed 10 times both show.
    const double top = std::log1p(double(map.max_count));
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            const uint32_t n = map.counts[size_t(y / map.cell) * map.columns + x / map.cell];
            image.pixels[size_t(y) * width + x] = n && top > 0 ? ramp(std::log1p(double(n)) / top) : 0;
        }
    }
    return image;
}

}  // namespace udefio::profile
