// An fbdev program's Screen (fbdev/screen.hpp) in the session: a band of rows
// of an output binding's frame. The program's framebuffer paints into the
// frame from its flush thread while the loop may tear the binding down, so a
// paint is a use of the binding's LeaseTarget in the order of "vfio/pci:
// Support mmap() of a VFIO DMABUF" (compositor/lease.hpp), and revoke() plays
// the lease's revoke: it waits for a paint in progress, and none starts after.
// The frame is tracked by explicit damage: what a paint reports is added to
// it, at the band's rows.
//
// Vblank waiters (FBIO_WAITFORVSYNC, a pan) are woken by a one-shot timer at
// the output's next vblank (Output::next_vblank), armed only while someone
// waits: the output need not present anything, and an idle program costs no
// wakeup.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "compositor/lease.hpp"
#include "compositor/output_binding.hpp"
#include "fbdev/screen.hpp"
#include "loop/event_loop.hpp"

namespace udefio {

class FbdevScreen final : public fbdev::Screen {
public:
    // Rows [place.first_row, place.first_row + place.rows) of `binding`'s frame.
    static Result<std::unique_ptr<FbdevScreen>> create(EventLoop& loop, OutputBinding& binding, LeasePlace place);
    ~FbdevScreen() override;
    FbdevScreen(const FbdevScreen&) = delete;
    FbdevScreen& operator=(const FbdevScreen&) = delete;

    fbdev::ScreenMode mode() const override { return mode_; }
    bool draw(const std::function<void(const fbdev::Canvas&)>& paint) override;
    void damaged(const Rect& rect) override;
    void flush_hint() override;  // nothing to add: see the .cpp
    void wait_vblank(std::function<void()> done) override;
    void set_blanked(bool blanked) override;
    // A new run of the program starts with the output on, if the last run
    // left it off with FBIOBLANK. Loop thread.
    void unblank_for_new_run();

    // The binding is going: no paint runs after this returns (one in progress
    // is waited for), vblank waiters are answered now. Loop thread, before the
    // binding is destroyed; idempotent.
    void revoke();
    bool revoked() const;
    LeasePlace place() const { return place_; }

    FbdevScreen(EventLoop& loop, OutputBinding& binding, LeasePlace place, fbdev::ScreenMode mode);

private:
    void on_vblank();  // loop thread

    EventLoop& loop_;
    Output* output_;  // loop thread; null once revoked
    const LeasePlace place_;
    const fbdev::ScreenMode mode_;
    const uint32_t stride_;

    // resv_ protects target_ and revoked_; revoked_ is written with both resv_
    // and the target's memory lock held, so either is enough to read it. Lock
    // order as a lease's: memory lock, then resv_ (revoke); draw takes resv_
    // alone, drops it, then takes the memory lock.
    mutable std::mutex resv_;
    LeaseTarget* target_;  // null once revoked
    bool revoked_ = false;
    LeaseTarget* painting_ = nullptr;  // the paint thread's, set for the call of paint

    // Loop thread.
    bool held_off_ = false;  // the program switched the output off (FBIOBLANK)
    EventSource vblank_timer_;
    bool vblank_armed_ = false;
    std::vector<std::function<void()>> vblank_waiters_;
};

}  // namespace udefio
