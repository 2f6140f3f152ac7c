#include "compositor/fbdev_screen.hpp"

#include <algorithm>

#include "util/clock.hpp"
#include "util/log.hpp"

namespace udefio {

Result<std::unique_ptr<FbdevScreen>> FbdevScreen::create(EventLoop& loop, OutputBinding& binding, LeasePlace place)
{
    const BufferLayout& frame = binding.state().layout();
    if (frame.format != PixelFormat::xrgb8888)
        return plain_error("fbdev programs draw XRGB8888; output " + binding.name() + "'s frame is " +
                           std::string(pixel_format_name(frame.format)));
    if (place.rows == 0 || place.first_row + place.rows > frame.height)
        return plain_error("fbdev rows " + std::to_string(place.first_row) + "+" + std::to_string(place.rows) +
                           " do not fit output " + binding.name() + "'s " + std::to_string(frame.height) + " rows");
    fbdev::ScreenMode mode;
    mode.width = frame.width;
    mode.height = place.rows;
    mode.refresh_mhz = binding.output().mode().refresh_mhz;
    auto screen = std::make_unique<FbdevScreen>(loop, binding, place, mode);
    auto timer = loop.make_timer([s = screen.get()] { s->on_vblank(); });
    if (!timer)
        return timer.error();
    screen->vblank_timer_ = std::move(timer).value();
    return screen;
}

FbdevScreen::FbdevScreen(EventLoop& loop, OutputBinding& binding, LeasePlace place, fbdev::ScreenMode mode)
    : loop_(loop), output_(&binding.output()), place_(place), mode_(mode),
      stride_(binding.state().layout().stride), target_(&binding.target())
{
}

FbdevScreen::~FbdevScreen() { revoke(); }

bool FbdevScreen::draw(const std::function<void(const fbdev::Canvas&)>& paint)
{
    std::unique_lock resv(resv_);  // 1
    if (revoked_)
        return false;
    LeaseTarget* target = target_;
    if (!target->try_get_registration())  // 2
        return false;
    resv.unlock();  // 3
    bool drawn = false;
    {
        std::lock_guard memory(target->memory_lock());  // 4
        if (!revoked_) {
            painting_ = target;
            paint({target->pixels() + size_t(place_.first_row) * stride_, stride_});
            painting_ = nullptr;
            drawn = true;
        }
    }
    target->put_registration();  // 5
    return drawn;
}

void FbdevScreen::damaged(const Rect& rect)
{
    // Only from inside paint: the memory lock and a registration are held.
    painting_->state().add_damage({rect.x, int32_t(place_.first_row) + rect.y, rect.width, rect.height});
}

void FbdevScreen::flush_hint()
{
    // What the paints reported is damage of the frame already, whose flush
    // is timed to the output's vblank (Output::flush_time). Flushing it here,
    // on the loop thread, could wait for a KMS page flip in flight that only
    // this thread delivers.
}

void FbdevScreen::wait_vblank(std::function<void()> done)
{
    if (!output_) {
        done();  // the output went: nothing to wait for
        return;
    }
    vblank_waiters_.push_back(std::move(done));
    if (vblank_armed_)
        return;
    const auto now = monotonic_now();
    vblank_timer_.arm(std::max(output_->next_vblank(now) - now, std::chrono::nanoseconds(0)));
    vblank_armed_ = true;
}

void FbdevScreen::on_vblank()
{
    vblank_armed_ = false;
    // Who waits again from inside a callback waits for the next vblank.
    for (auto& done : std::exchange(vblank_waiters_, {}))
        done();
}

void FbdevScreen::set_blanked(bool blanked)
{
    // FBIOBLANK. Only a program that has the whole output may switch it off
    // (a --client band would darken the main program's rows too). As the
    // kernel's, it stays off until the program switches it on, whatever is
    // drawn meanwhile: what the program drew just before the blank, whose
    // flush may come after it, must not switch it on again.
    if (!output_)
        return;
    if (place_.first_row != 0 || int64_t(place_.rows) != int64_t(output_->frame_size().height)) {
        UDEFIO_LOG(info, "fbdev: FBIOBLANK %s on %s ignored: the program has rows %u+%u of the output, not all",
                   blanked ? "blank" : "unblank", output_->name().c_str(), place_.first_row, place_.rows);
        return;
    }
    if (auto r = output_->hold_blanked(blanked); !r) {
        UDEFIO_LOG(warn, "fbdev: FBIOBLANK %s on %s: %s", blanked ? "blank" : "unblank", output_->name().c_str(),
                   r.error().message().c_str());
        return;
    }
    held_off_ = blanked;
    UDEFIO_LOG(info, "fbdev: output %s switched %s by the program (FBIOBLANK)", output_->name().c_str(),
               blanked ? "off" : "on");
}

void FbdevScreen::unblank_for_new_run()
{
    if (!held_off_ || !output_)
        return;
    if (auto r = output_->hold_blanked(false); !r) {
        UDEFIO_LOG(warn, "fbdev: switching %s on for the program's new run: %s", output_->name().c_str(),
                   r.error().message().c_str());
        return;
    }
    held_off_ = false;
    UDEFIO_LOG(info, "fbdev: output %s on again: the program that switched it off ended", output_->name().c_str());
}

void FbdevScreen::revoke()
{
    LeaseTarget* target;
    {
        std::lock_guard resv(resv_);
        target = target_;
    }
    if (target) {
        std::lock_guard memory(target->memory_lock());
        std::lock_guard resv(resv_);
        revoked_ = true;
        target_ = nullptr;
    }
    output_ = nullptr;
    if (vblank_armed_) {
        vblank_timer_.disarm();
        vblank_armed_ = false;
    }
    on_vblank();  // "or when the output goes"
}

bool FbdevScreen::revoked() const
{
    std::lock_guard resv(resv_);
    return revoked_;
}

}  // namespace udefio
