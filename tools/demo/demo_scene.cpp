#include "tools/demo/demo_scene.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/demo/bitmap_font.hpp"

namespace udefio::demo {
namespace {

constexpr uint32_t kPalettes[][2] = {
    {0x00203a6e, 0x0058b4d8},  // blue
    {0x00305a1e, 0x00a8d060},  // green
    {0x006a2430, 0x00f0a050},  // sunset
    {0x003a2a5e, 0x00c890e0},  // violet
};
constexpr const char* kTitle = "UDEFIO DEMO";

uint32_t mix(uint32_t a, uint32_t b, int num, int den)
{
    uint32_t out = 0;
    for (int shift = 0; shift <= 16; shift += 8) {
        const int ca = int(a >> shift & 0xff), cb = int(b >> shift & 0xff);
        out |= uint32_t(ca + (cb - ca) * num / den) << shift;
    }
    return out;
}

Rect clip(Rect r, int width, int height)
{
    const int x0 = std::max(r.x, 0), y0 = std::max(r.y, 0);
    const int x1 = std::min(r.x + r.width, width), y1 = std::min(r.y + r.height, height);
    return x1 > x0 && y1 > y0 ? Rect{x0, y0, x1 - x0, y1 - y0} : Rect{};
}

}  // namespace

DemoScene::DemoScene(uint32_t* pixels, uint32_t width, uint32_t height, uint32_t stride_bytes)
    : pixels_(pixels),
      width_(int(width)),
      height_(int(height)),
      stride_px_(stride_bytes / 4),
      scale_(std::max(1, int(std::min(width, height)) / 180))
{
    const int pad = 2 * scale_;
    const int text_w = int(std::char_traits<char>::length(kTitle)) * (kGlyphWidth + 1) * scale_;
    box_ = clip({pad * 4, pad * 4, text_w + 2 * pad, 2 * (kGlyphHeight + 2) * scale_ + 2 * pad}, width_, height_);
}

uint32_t DemoScene::background(int x, int y, int64_t scene) const
{
    const uint32_t* palette = kPalettes[scene % 4];
    const uint32_t base = mix(palette[0], palette[1], y, std::max(height_ - 1, 1));
    // A diagonal stripe pattern, so a full-screen change touches every pixel.
    return ((x + y + int(scene) * 16) / 32) % 2 ? base : mix(base, 0x00ffffff, 1, 8);
}

void DemoScene::paint_background(const Rect& r, int64_t scene)
{
    for (int y = r.y; y < r.y + r.height; ++y) {
        uint32_t* row = pixels_ + size_t(y) * stride_px_;
        for (int x = r.x; x < r.x + r.width; ++x)
            row[x] = background(x, y, scene);
    }
}

void DemoScene::paint_text_box(int64_t second, int64_t scene)
{
    for (int y = box_.y; y < box_.y + box_.height; ++y) {
        uint32_t* row = pixels_ + size_t(y) * stride_px_;
        std::fill(row + box_.x, row + box_.x + box_.width, 0x00101418u);
    }
    const int pad = 2 * scale_;
    const int line = (kGlyphHeight + 2) * scale_;
    if (box_.width < 6 * scale_ * 8 || box_.height < 2 * line)
        return;  // too small a screen for text: the box still changes colour each second
    char clock[16];
    std::snprintf(clock, sizeof clock, "%02d:%02d:%02d", int(second / 3600 % 100), int(second / 60 % 60),
                  int(second % 60));
    draw_text(pixels_, stride_px_, box_.x + pad, box_.y + pad, scale_, kPalettes[scene % 4][1], kTitle);
    draw_text(pixels_, stride_px_, box_.x + pad, box_.y + pad + line, scale_, 0x00f0f0f0, clock);
}

Rect DemoScene::cursor_at(std::chrono::milliseconds t) const
{
    const double s = double(t.count()) / 1000.0;
    const int span_x = std::max(width_ - kCursorSize, 1);
    const int top = std::min(box_.y + box_.height + kCursorSize, height_ / 2);
    const int span_y = std::max(height_ - kCursorSize - top, 1);
    const int x = int(std::lround((0.5 + 0.5 * std::sin(s * 0.9)) * (span_x - 1)));
    const int y = top + int(std::lround((0.5 + 0.5 * std::sin(s * 1.7)) * (span_y - 1)));
    return clip({x, y, kCursorSize, kCursorSize}, width_, height_);
}

void DemoScene::paint_cursor(const Rect& r)
{
    for (int cy = 0; cy < r.height; ++cy) {
        uint32_t* row = pixels_ + size_t(r.y + cy) * stride_px_ + r.x;
        for (int cx = 0; cx < r.width; ++cx) {
            if (cx > cy || cx + cy > 22)
                continue;  // outside the arrow
            const bool edge = cx == 0 || cx == cy || cx + cy >= 21;
            row[cx] = edge ? 0x00000000u : 0x00ffffffu;
        }
    }
}

std::vector<Rect> DemoScene::draw(std::chrono::milliseconds t)
{
    std::vector<Rect> painted;
    const int64_t scene = t / kScenePeriod;
    const int64_t second = t.count() / 1000;
    if (scene != scene_) {
        paint_background({0, 0, width_, height_}, scene);
        paint_text_box(second, scene);
        painted.push_back({0, 0, width_, height_});
        scene_ = scene;
        second_ = second;
        cursor_ = {};
    } else if (second != second_) {
        paint_text_box(second, scene);
        painted.push_back(box_);
        second_ = second;
    }
    const Rect next = cursor_at(t);
    const bool moved = !cursor_.width || cursor_.x != next.x || cursor_.y != next.y;
    if (moved && cursor_.width) {
        paint_background(cursor_, scene);
        painted.push_back(cursor_);
    }
    if (moved) {
        paint_cursor(next);
        painted.push_back(next);
    }
    cursor_ = next;
    return painted;
}

}  // namespace udefio::demo
