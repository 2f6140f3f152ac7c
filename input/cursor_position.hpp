// Where the pointer is, in the logical space of the output it moves on:
// moved by relative devices, set by absolute ones, always inside.
#pragma once

#include <algorithm>

#include "util/transform.hpp"

namespace udefio {

class CursorPosition {
public:
    // The space changed (a new output, mode or transform): keep the cursor
    // inside, at the centre the first time.
    void set_space(Size logical)
    {
        if (space_ == Size{})
            position_ = {logical.width / 2.0, logical.height / 2.0};
        space_ = logical;
        position_ = clamp(position_);
    }
    PointF move_by(PointF delta) { return position_ = clamp({position_.x + delta.x, position_.y + delta.y}); }
    PointF move_to(PointF p) { return position_ = clamp(p); }
    PointF position() const { return position_; }

private:
    PointF clamp(PointF p) const
    {
        return {std::clamp(p.x, 0.0, std::max(0.0, space_.width - 1.0)),
                std::clamp(p.y, 0.0, std::max(0.0, space_.height - 1.0))};
    }

    Size space_;
    PointF position_;
};

}  // namespace udefio
