#include "fbdev/color_map.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

namespace udefio::fbdev {
namespace {

// fbcmap.c's default_16_colors: the VGA console palette.
constexpr uint16_t kRed16[16] = {0x0000, 0x0000, 0x0000, 0x0000, 0xaaaa, 0xaaaa, 0xaaaa, 0xaaaa,
                                 0x5555, 0x5555, 0x5555, 0x5555, 0xffff, 0xffff, 0xffff, 0xffff};
constexpr uint16_t kGreen16[16] = {0x0000, 0x0000, 0xaaaa, 0xaaaa, 0x0000, 0x0000, 0x5555, 0xaaaa,
                                   0x5555, 0x5555, 0xffff, 0xffff, 0x5555, 0x5555, 0xffff, 0xffff};
constexpr uint16_t kBlue16[16] = {0x0000, 0xaaaa, 0x0000, 0xaaaa, 0x0000, 0xaaaa, 0x0000, 0xaaaa,
                                  0x5555, 0xffff, 0x5555, 0xffff, 0x5555, 0xffff, 0x5555, 0xffff};
constexpr uint32_t kPseudoPaletteEntries = 16;
// More than any kmalloc of the kernel's temporary copy would get.
constexpr uint32_t kMaxUserEntries = 1u << 24;

uint64_t address_of(const uint16_t* user_pointer) { return reinterpret_cast<uint64_t>(user_pointer); }

}  // namespace

ColorMap::ColorMap()
{
    for (uint32_t i = 0; i < kPseudoPaletteEntries; ++i) {
        red_[i] = kRed16[i];
        green_[i] = kGreen16[i];
        blue_[i] = kBlue16[i];
    }
}

int ColorMap::put(const fb_cmap& user, TargetMemory& memory)
{
    // fb_set_user_cmap: the size in bytes must fit an int.
    if (user.len > INT_MAX / sizeof(uint16_t))
        return E2BIG;
    if (user.len > kMaxUserEntries)
        return ENOMEM;
    const size_t bytes = size_t{user.len} * sizeof(uint16_t);
    std::vector<uint16_t> red(user.len), green(user.len), blue(user.len), transp(user.len);
    if (memory.read(address_of(user.red), red.data(), bytes) != 0 ||
        memory.read(address_of(user.green), green.data(), bytes) != 0 ||
        memory.read(address_of(user.blue), blue.data(), bytes) != 0 ||
        (user.transp && memory.read(address_of(user.transp), transp.data(), bytes) != 0))
        return EFAULT;
    // fb_set_cmap: start is an int there.
    if (user.start > INT_MAX)
        return EINVAL;
    // setcmap_pseudo_palette
    if (uint64_t{user.start} + user.len > kPseudoPaletteEntries)
        return EINVAL;
    for (uint32_t i = 0; i < user.len; ++i) {
        red_[user.start + i] = red[i];
        green_[user.start + i] = green[i];
        blue_[user.start + i] = blue[i];
    }
    return 0;
}

int ColorMap::get(const fb_cmap& user, TargetMemory& memory) const
{
    // fb_cmap_to_user, from a map that starts at 0.
    const uint32_t fromoff = user.start;
    if (fromoff >= kEntries || user.len == 0)
        return EINVAL;
    const size_t count = std::min<size_t>(user.len, kEntries - fromoff);
    const size_t bytes = count * sizeof(uint16_t);
    if (memory.write(address_of(user.red), &red_[fromoff], bytes) != 0 ||
        memory.write(address_of(user.green), &green_[fromoff], bytes) != 0 ||
        memory.write(address_of(user.blue), &blue_[fromoff], bytes) != 0)
        return EFAULT;
    return 0;  // no transparency in the map: the kernel copies none either
}

}  // namespace udefio::fbdev
