#include "compositor/session_cursor.hpp"

#include "util/log.hpp"

namespace udefio {

SessionCursor::SessionCursor(CursorMode mode) : mode_(mode), overlay_(std::make_shared<CursorOverlay>())
{
    overlay_->set_visible(mode == CursorMode::always);
}

void SessionCursor::attach(OutputBinding& binding)
{
    if (mode_ == CursorMode::never)
        return;
    binding_ = &binding;
    const Size frame = binding.output().frame_size();
    if (!moved_)
        (void)overlay_->move_to({frame.width / 2.0, frame.height / 2.0});
    binding.output().show_cursor(overlay_);
    damage({CursorOverlay::rect_of(overlay_->placement())});
}

void SessionCursor::detach()
{
    if (binding_)
        binding_->output().show_cursor(nullptr);
    binding_ = nullptr;
}

void SessionCursor::on_input(const InputEvent& event)
{
    if (mode_ == CursorMode::never)
        return;
    if (const auto* added = std::get_if<DeviceAdded>(&event.what); added && added->capabilities.pointer) {
        pointers_.insert(event.device);
        if (mode_ == CursorMode::automatic && pointers_.size() == 1) {
            UDEFIO_LOG(info, "cursor shown: %s is a pointer (--cursor never hides it)", added->name.c_str());
            damage(overlay_->set_visible(true));
        }
    } else if (std::holds_alternative<DeviceRemoved>(event.what) && pointers_.erase(event.device)) {
        if (mode_ == CursorMode::automatic && pointers_.empty()) {
            UDEFIO_LOG(info, "cursor hidden: no pointer device is left");
            damage(overlay_->set_visible(false));
        }
    } else if (const auto* motion = std::get_if<PointerMotion>(&event.what)) {
        moved_ = true;
        damage(overlay_->move_to(motion->position));
    }
}

void SessionCursor::damage(const std::vector<Rect>& rects)
{
    if (!binding_)
        return;
    // An arrow that hangs over the frame's edge is clipped with the rest of the flush's damage.
    for (const Rect& r : rects)
        (void)binding_->state().add_damage(r);
}

}  // namespace udefio
