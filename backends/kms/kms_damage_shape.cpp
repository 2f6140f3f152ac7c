#include "backends/kms/kms_damage_shape.hpp"

#include <xf86drm.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace udefio {
namespace {

// The drivers whose plane update calls drm_atomic_helper_damage_merged(): a
// list of clips costs them nothing but the merge. virtio-gpu transfers and
// flushes that one rectangle; the MIPI DBI panels (drm_mipi_dbi and its
// users, and ili9225/st7586 with their own update) send it over SPI.
constexpr std::array<std::string_view, 12> kMergingDrivers = {
    "virtio_gpu", "panel-mipi-dbi", "ili9163", "ili9225", "ili9341", "ili9486",
    "mi0283qt",   "st7735r",        "hx8357d", "st7586",  "hyperv_drm", "gm12u320",
};

}  // namespace

DamageShape kms_damage_shape(const std::string& driver)
{
    DamageShape shape;
    if (std::find(kMergingDrivers.begin(), kMergingDrivers.end(), driver) != kMergingDrivers.end())
        shape.max_rects = 1;
    return shape;
}

std::string drm_driver_name(int fd)
{
    drmVersionPtr version = drmGetVersion(fd);
    if (!version)
        return {};
    std::string name(version->name, size_t(version->name_len));
    drmFreeVersion(version);
    return name;
}

}  // namespace udefio
