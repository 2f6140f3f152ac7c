// One program's /dev/fb0: the memory it maps (a sealed memfd), the screen
// info and colour map its ioctls read and change, and the deferred I/O state
// that flushes what it wrote onto its Screen, converted to XRGB8888 (this
// class is that state's Sink). The kernel's counterpart is the DRM fbdev
// emulation's fb_info with its shadow buffer and deferred I/O.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "defio/deferred_io_state.hpp"
#include "defio/sink.hpp"
#include "fbdev/color_map.hpp"
#include "fbdev/fb_screen_info.hpp"
#include "fbdev/ioctl_outcome.hpp"
#include "fbdev/screen.hpp"
#include "fbdev/target_memory.hpp"

namespace udefio::fbdev {

class Framebuffer final : public Sink {
public:
    // `make_tracker` gets udefio's own mapping of the memory (for a tracker
    // that needs one, e.g. a shadow compare) and its memfd.
    using TrackerFactory = std::function<Result<std::unique_ptr<Tracker>>(std::span<std::byte> memory, int memfd)>;

    static Result<std::unique_ptr<Framebuffer>> create(Screen& screen, const TrackerFactory& make_tracker,
                                                       std::chrono::nanoseconds delay);
    ~Framebuffer() override;
    Framebuffer(const Framebuffer&) = delete;
    Framebuffer& operator=(const Framebuffer&) = delete;

    int memfd() const { return state_->buffer().fd(); }
    size_t memory_bytes() const { return FbScreenInfo::memory_bytes(mode_); }
    const DeferredIoState& state() const { return *state_; }

    // An fb ioctl of the program (loop thread). After revoke(): ENODEV, as
    // the kernel answers a file of an unregistered framebuffer.
    IoctlOutcome ioctl(unsigned long cmd, uint64_t arg, TargetMemory& memory);

    // The program opened or mapped the framebuffer for the first time: from
    // now on it owns its place on the Screen, which starts black whatever it
    // showed before. Until then nothing is drawn there (a program that never
    // opens /dev/fb0 leaves its place to others). Loop thread; idempotent.
    void show();

    // The output is gone: no flush runs into the Screen after this returns,
    // and the program's next access to its mapping raises SIGBUS.
    void revoke();
    bool revoked() const { return revoked_; }

    // Sink: converts the shown rows the pages hold onto the Screen's canvas.
    FlushResult flush(const SharedBuffer& src, std::span<PageRef* const> pages,
                      const Damage& damage, std::chrono::nanoseconds due) override;

    Framebuffer(Screen& screen, ScreenMode mode);

private:
    // The shown region changed as a whole (pan, new format): redraw it now.
    void show_everything();
    IoctlOutcome put_var(uint64_t arg, TargetMemory& memory);
    IoctlOutcome pan(uint64_t arg, TargetMemory& memory);

    Screen& screen_;
    const ScreenMode mode_;
    std::shared_ptr<DeferredIoState> state_;
    // info_lock_ protects info_ and redraw_all_: ioctls change them on the
    // loop thread, a flush (flush worker, or the loop thread in flush_now)
    // reads them. Taken inside the state's lock by a flush, never around a
    // call into the state.
    mutable std::mutex info_lock_;
    FbScreenInfo info_;
    bool redraw_all_ = true;
    ColorMap cmap_;             // loop thread only
    bool revoked_ = false;      // loop thread only
    bool shown_ = false;        // loop thread only: show() was called
    bool memory_lost_ = false;  // flush thread: a copy hit SIGBUS
};

}  // namespace udefio::fbdev
