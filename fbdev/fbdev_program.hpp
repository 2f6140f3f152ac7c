// One unmodified /dev/fb0 program (and whatever it starts) on a Screen: the
// supervisor of its seccomp notifications. Its opens of /dev/fb0 get an fd of
// the Framebuffer's memory, its opens of a VT the emulated console; its fb
// and console ioctls are answered here; its mmaps of the framebuffer are
// replayed inside it (SyscallInjector) so that a userfaultfd of its own mm
// finds its stores (RemoteWrites). Everything runs on the loop thread; a
// system call that must wait (FBIO_WAITFORVSYNC) is answered later, nothing
// blocks meanwhile.
//
// The session's part:
//   auto program = FbdevProgram::create(loop, screen, options);
//   spec.in_child = program->child_setup();   // then fork + exec
//   program->start(pid);                      // in the parent, after the fork
//   ... keyboard_input(), seat_disabled()/seat_enabled(), output_gone()
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "fbdev/child_setup.hpp"
#include "fbdev/dev_overlay.hpp"
#include "fbdev/framebuffer.hpp"
#include "fbdev/remote_writes.hpp"
#include "fbdev/screen.hpp"
#include "fbdev/seccomp_listener.hpp"
#include "fbdev/vt_console.hpp"
#include "loop/event_loop.hpp"

namespace udefio::fbdev {

struct FbdevOptions {
    // First store seen -> its rows onto the Screen (the output adds its own
    // delay, timed to its vblank).
    std::chrono::nanoseconds delay{std::chrono::microseconds(8333)};
    // A private /dev with the framebuffer nodes (needs root); without it,
    // opens still work but stat("/dev/fb0") fails.
    bool private_dev = true;
    // Stores found by a userfaultfd in the program (needs ptrace of it);
    // false: a shadow compare, polled.
    bool track_in_program = true;
    // The program's $FRAMEBUFFER: another name of its framebuffer.
    std::string framebuffer_env;
};

struct FbdevStats {
    uint64_t notifications = 0;  // seccomp notifications received (every trapped call of the program)
    uint64_t ioctls = 0;         // of them, ioctls on its framebuffer or console (the others continue)
    uint64_t framebuffer_opens = 0, console_opens = 0;
    uint64_t mappings_tracked = 0, mappings_untracked = 0;  // of the framebuffer: by faults, or by a compare
    uint64_t write_faults = 0;  // stores that faulted (the first to a protected page)
};

class FbdevProgram {
public:
    static Result<std::unique_ptr<FbdevProgram>> create(EventLoop& loop, Screen& screen, FbdevOptions options);
    ~FbdevProgram();
    FbdevProgram(const FbdevProgram&) = delete;
    FbdevProgram& operator=(const FbdevProgram&) = delete;

    // ChildSpec::in_child: run in the forked child, after its fds are in
    // place (it makes fd 0 the console) and before exec.
    std::function<int()> child_setup() const;
    // The fds child_setup() uses, at their numbers here: a spawn that closes
    // what it was not given must give them (ChildSpec::fds, as {fd, fd}).
    std::vector<int> child_fds() const { return {plan_->handover_fd, plan_->console_fd}; }
    // The framebuffer's memory (its memfd): a program that is given it as
    // UDEFIO_BUFFER_FD and maps it is tracked and shown as a mapping of /dev/fb0.
    int memory_fd() const { return fb_->memfd(); }
    // The parent's side, right after the fork: `pid` is the child. Its
    // system calls are answered from the moment its listener arrives.
    Result<void> start(pid_t pid);

    // Input layer: tty bytes the console's keyboard receives.
    void keyboard_input(std::span<const uint8_t> bytes) { console_->keyboard_input(bytes); }
    // Seat: VT_PROCESS release / acquire.
    void seat_disabled() { console_->seat_disabled(); }
    void seat_enabled() { console_->seat_enabled(); }
    // The output is gone: the program's next access to its mapping raises
    // SIGBUS, its fb ioctls get ENODEV. No flush reaches the Screen after this.
    void output_gone() { fb_->revoke(); }

    // How the program's stores are found, for the log and `udefio info`
    // (any thread; everything else here: the loop thread).
    std::string tracking() const;
    // Whether the program got its private /dev (known once it started).
    bool private_dev() const { return private_dev_; }
    FbdevStats stats() const;
    const Framebuffer& framebuffer() const { return *fb_; }
    const VtConsole& console() const { return *console_; }

    FbdevProgram(EventLoop& loop, Screen& screen, FbdevOptions options);

private:
    enum class FdKind { other, framebuffer, console };

    void receive_listener();
    void on_notification();
    void handle_open(const seccomp_notif& n);
    void handle_ioctl(const seccomp_notif& n);
    void handle_mmap(const seccomp_notif& n);
    void handle_resize(const seccomp_notif& n);
    FdKind fd_kind(pid_t tid, int fd) const;
    void answer(uint64_t id, const IoctlOutcome& outcome);
    // Replays the mmap inside the thread and registers it; false if the
    // thread could not be taken over (the notification still waits).
    bool replay_tracked_mmap(const seccomp_notif& n);
    Result<void> create_userfaultfd(class SyscallInjector& injector, pid_t tgid);

    EventLoop& loop_;
    Screen& screen_;
    const FbdevOptions options_;
    std::shared_ptr<RemoteWrites> writes_;
    std::unique_ptr<Framebuffer> fb_;
    std::unique_ptr<VtConsole> console_;
    std::optional<DevOverlay> overlay_;
    std::shared_ptr<ChildPlan> plan_;
    UniqueFd handover_;        // udefio's end of the socket the listener comes back on
    UniqueFd handover_child_;  // the child's end, closed here after the fork
    EventSource handover_watch_;
    std::optional<SeccompListener> listener_;
    EventSource listener_watch_;
    pid_t child_pid_ = -1;
    dev_t fb_dev_ = 0;
    ino_t fb_ino_ = 0;
    bool private_dev_ = false;
    std::set<pid_t> untrackable_threads_;  // ptrace refused: their mmaps just run
    std::shared_ptr<int> alive_;  // answers given later check that we still exist
    FbdevStats stats_;
};

}  // namespace udefio::fbdev
