// The Linux console fbi, fbterm and SDL 1.2 insist on, emulated on a pty:
// the program's stdin and every VT it opens (/dev/tty0, /dev/ttyN, ...) is
// the pty's slave, and its KD* and VT_* ioctls are answered here as drivers/
// tty/vt/vt_ioctl.c and keyboard.c would for the one active VT. udefio holds
// the master: keyboard input goes in as the program's keyboard mode wants it
// (bytes, or keycodes in K_MEDIUMRAW/K_RAW), what the program writes is read
// and dropped. VT_PROCESS release and acquire follow udefio's seat.
#pragma once

#include <linux/vt.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fbdev/ioctl_outcome.hpp"
#include "fbdev/target_memory.hpp"
#include "loop/event_loop.hpp"
#include "util/unique_fd.hpp"

namespace udefio::fbdev {

class VtConsole {
public:
    // The VT number the program is on (VT_GETSTATE, VT_OPENQRY).
    static constexpr int kVtNumber = 1;

    static Result<std::unique_ptr<VtConsole>> create(EventLoop& loop);

    // udefio's own open of the slave: the child's stdin is made from it.
    int slave_fd() const { return slave_.get(); }
    // A new open of the slave for the program (flags' access mode and O_NONBLOCK).
    Result<UniqueFd> open_for_program(int flags) const;
    // Whether a file (as stat of /proc/PID/fd/N gives it) is this console.
    bool is_console(dev_t rdev, mode_t mode) const;

    // A 'K' or 'V' ioctl of thread `tid` on the console. Loop thread.
    IoctlOutcome ioctl(pid_t tid, unsigned long cmd, uint64_t arg, TargetMemory& memory);
    bool active() const { return active_; }
    // Runs `done` once the console is active again (VT_WAITACTIVE).
    void when_active(std::function<void()> done);

    // tty bytes from the input layer (loop thread).
    void keyboard_input(std::span<const uint8_t> bytes);
    // udefio's seat was disabled / enabled: a VT_PROCESS program gets its
    // release / acquire signal; VT_WAITACTIVE waits while disabled.
    void seat_disabled();
    void seat_enabled();

    int keyboard_mode() const { return kb_mode_; }
    // A VT_PROCESS program was asked to release the VT and has not yet said VT_RELDISP.
    bool release_pending() const { return release_pending_; }
    int display_mode() const { return kd_mode_; }

    VtConsole(UniqueFd master, UniqueFd slave, std::string slave_path, dev_t slave_rdev);

private:
    IoctlOutcome keyboard_ioctl(unsigned long cmd, uint64_t arg, TargetMemory& memory);
    IoctlOutcome vt_ioctl(pid_t tid, unsigned long cmd, uint64_t arg, TargetMemory& memory);
    void signal_owner(int sig);
    void drain_output();

    UniqueFd master_;
    UniqueFd slave_;  // held so that the master never hangs up while the program lives
    std::string slave_path_;
    dev_t slave_rdev_;
    EventSource output_watch_;

    // The console's state; loop thread only.
    int kd_mode_;      // KD_TEXT / KD_GRAPHICS
    int kb_mode_;      // K_UNICODE, K_XLATE, K_MEDIUMRAW, K_RAW, K_OFF
    int kb_meta_;      // K_METABIT / K_ESCPREFIX
    uint8_t leds_ = 0, led_flags_ = 0;
    vt_mode mode_{};   // as VT_SETMODE set it; mode_.mode VT_AUTO or VT_PROCESS
    UniqueFd owner_;   // pidfd of the process that set VT_PROCESS (vt_pid)
    bool active_ = true;
    bool release_pending_ = false;  // relsig sent, VT_RELDISP not yet seen
    std::vector<std::function<void()>> waiting_active_;
    bool dropped_input_logged_ = false;
};

}  // namespace udefio::fbdev
