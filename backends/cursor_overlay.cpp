#include "backends/cursor_overlay.hpp"

#include <cmath>
#include <cstring>
#include <utility>

#include "util/choice.hpp"

namespace udefio {
namespace {

// 'B' black outline, 'W' white fill, ' ' the frame shows through.
constexpr const char* kArrow[CursorOverlay::kHeight] = {
    "B           ", "BB          ", "BWB         ", "BWWB        ", "BWWWB       ", "BWWWWB      ", "BWWWWWB     ",
    "BWWWWWWB    ", "BWWWWWWWB   ", "BWWWWWWWWB  ", "BWWWWWWWWWB ", "BWWWWWWBBBBB", "BWWWBWWB    ", "BWWBBWWB    ",
    "BWB  BWWB   ", "BB   BWWB   ", "B     BWWB  ", "      BWWB  ", "       BB   ",
};

bool inside(const Rect& r, int32_t x, int32_t y)
{
    return x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height;
}

bool overlap(const Rect& a, const Rect& b)
{
    return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

}  // namespace

Result<CursorMode> parse_cursor_mode(const std::string& name)
{
    return parse_choice<CursorMode>("--cursor", name,
                                    {{"auto", CursorMode::automatic}, {"always", CursorMode::always},
                                     {"never", CursorMode::never}});
}

CursorOverlay::Placement CursorOverlay::placement() const
{
    std::lock_guard lock(lock_);
    return placement_;
}

std::vector<Rect> CursorOverlay::move_to(PointF position)
{
    Placement to = placement();
    to.x = int32_t(std::floor(position.x));
    to.y = int32_t(std::floor(position.y));
    return change(to);
}

std::vector<Rect> CursorOverlay::set_visible(bool visible)
{
    Placement to = placement();
    to.visible = visible;
    return change(to);
}

// Only the loop thread changes placement_, so reading it unlocked before is safe.
std::vector<Rect> CursorOverlay::change(Placement to)
{
    std::vector<Rect> damage;
    Placement from;
    {
        std::lock_guard lock(lock_);
        from = std::exchange(placement_, to);
    }
    if (from == to)
        return damage;
    if (from.visible)
        damage.push_back(rect_of(from));
    if (to.visible)
        damage.push_back(rect_of(to));
    return damage;
}

size_t CursorOverlay::draw(std::byte* dst, size_t pitch, const Placement& at, const std::vector<Rect>& logical,
                           const OutputGeometry& buffer, XByte x_byte)
{
    if (!at.visible)
        return 0;
    // Every flush comes here: most copy nothing under the arrow, and cost one test per rectangle.
    std::vector<Rect> under;
    for (const Rect& r : logical)
        if (overlap(r, rect_of(at)))
            under.push_back(r);
    if (under.empty())
        return 0;
    const Size frame = buffer.logical();
    const uint32_t x_bits = x_byte == XByte::opaque ? 0xff000000u : 0;
    size_t drawn = 0;
    for (int32_t dy = 0; dy < kHeight; ++dy) {
        for (int32_t dx = 0; dx < kWidth; ++dx) {
            const char c = kArrow[dy][dx];
            const int32_t x = at.x + dx, y = at.y + dy;
            if (c == ' ' || x < 0 || y < 0 || x >= int32_t(frame.width) || y >= int32_t(frame.height))
                continue;
            bool copied = false;
            for (const Rect& r : under)
                copied = copied || inside(r, x, y);
            if (!copied)
                continue;
            const Rect on_panel = buffer.logical_to_panel({x, y, 1, 1});
            const uint32_t pixel = (c == 'W' ? 0x00ffffffu : 0x00000000u) | x_bits;
            std::memcpy(dst + size_t(on_panel.y) * pitch + size_t(on_panel.x) * 4, &pixel, 4);
            ++drawn;
        }
    }
    return drawn;
}

}  // namespace udefio
