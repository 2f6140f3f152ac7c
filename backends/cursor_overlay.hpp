// The software cursor (--cursor): an arrow over the frame where the pointer
// is, drawn in the flush copy of the output it is on (backends/frame_copy.hpp)
// and never into the frame, so nothing a program draws is touched. The
// session moves and shows it (compositor/session_cursor.hpp); each change
// returns the rectangles the arrow left and now covers, which the session
// adds to the frame's damage. So a move is flushed like any other damage,
// and the flush that copies those rectangles draws the arrow where it is then.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "defio/pixel_copy.hpp"
#include "util/rect.hpp"
#include "util/result.hpp"
#include "util/transform.hpp"

namespace udefio {

// --cursor: shown while a pointer device is there (automatic), always, or never.
enum class CursorMode { automatic, always, never };
Result<CursorMode> parse_cursor_mode(const std::string& name);

class CursorOverlay {
public:
    static constexpr int kWidth = 12, kHeight = 19;  // the arrow; its tip is the pointer's pixel

    struct Placement {
        bool visible = false;
        int32_t x = 0, y = 0;  // the tip, in logical pixels of the frame
        bool operator==(const Placement&) const = default;
    };

    // Any thread.
    Placement placement() const;
    // Loop thread. Each returns what to damage: the arrow's rectangle before
    // and after, where it was or is visible (none when nothing changed).
    std::vector<Rect> move_to(PointF position);
    std::vector<Rect> set_visible(bool visible);

    static Rect rect_of(const Placement& at) { return {at.x, at.y, kWidth, kHeight}; }
    // The flush worker: the arrow at `at` onto `dst` (the buffer of
    // `buffer`, which shows the frame turned by its transform) where it lies
    // in the rectangles just copied (`logical`), so that it covers only what
    // this flush wrote. Returns the pixels drawn.
    static size_t draw(std::byte* dst, size_t pitch, const Placement& at, const std::vector<Rect>& logical,
                       const OutputGeometry& buffer, XByte x_byte);

private:
    std::vector<Rect> change(Placement to);

    mutable std::mutex lock_;  // protects placement_: set on the loop thread, read by flush workers
    Placement placement_;
};

}  // namespace udefio
