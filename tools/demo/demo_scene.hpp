// The demo client's picture, drawn straight into the framebuffer without
// reporting damage, as an unmodified application would: a text box with a
// clock that changes once a second, a small cursor that moves every frame,
// and every few seconds a change of the whole screen. draw(t) is a pure
// function of t and of what was drawn before, so tests can replay it.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "util/rect.hpp"

namespace udefio::demo {

inline constexpr std::chrono::milliseconds kScenePeriod{3000};
inline constexpr int kCursorSize = 16;

class DemoScene {
public:
    DemoScene(uint32_t* pixels, uint32_t width, uint32_t height, uint32_t stride_bytes);

    // Returns what it painted, for clients that report their damage.
    std::vector<Rect> draw(std::chrono::milliseconds t);

    // Where things are at time t (tests use these to predict the damage).
    Rect cursor_at(std::chrono::milliseconds t) const;
    Rect text_box() const { return box_; }

private:
    uint32_t background(int x, int y, int64_t scene) const;
    void paint_background(const Rect& r, int64_t scene);
    void paint_text_box(int64_t second, int64_t scene);
    void paint_cursor(const Rect& r);

    uint32_t* pixels_;
    int width_;
    int height_;
    uint32_t stride_px_;
    int scale_;
    Rect box_;

    int64_t scene_ = -1;   // scene on screen
    int64_t second_ = -1;  // second shown by the clock
    Rect cursor_{};        // where the cursor is on screen (empty: not drawn)
};

}  // namespace udefio::demo
