// The session's software cursor (--cursor auto|always|never): an arrow where
// the pointer is, on the main client's output, drawn by that output's flush
// copy (backends/cursor_overlay.hpp). `auto` shows it while a pointer device
// is there (a mouse, a tablet: not touch screens), `always` from the start,
// `never` not at all (kiosks whose HDMI-CEC adapters show up as pointers
// ask for that). Each move and each change of whether it is shown damages
// the rectangles it left and covers now, so it is flushed like any other
// damage. Loop thread only.
#pragma once

#include <memory>
#include <set>

#include "backends/cursor_overlay.hpp"
#include "compositor/output_binding.hpp"
#include "input/input_event.hpp"

namespace udefio {

class SessionCursor {
public:
    explicit SessionCursor(CursorMode mode);

    // The main client is on this output now (again after a mode change):
    // the cursor is drawn there, at the centre until the pointer moves.
    void attach(OutputBinding& binding);
    void detach();
    // Every input event of the seat: pointer devices come and go, the pointer moves.
    void on_input(const InputEvent& event);

    CursorOverlay::Placement placement() const { return overlay_->placement(); }

private:
    void damage(const std::vector<Rect>& rects);

    const CursorMode mode_;
    const std::shared_ptr<CursorOverlay> overlay_;
    OutputBinding* binding_ = nullptr;
    std::set<uint32_t> pointers_;  // the pointer devices there are (udefio's numbers)
    bool moved_ = false;           // by the pointer, since the start
};

}  // namespace udefio
