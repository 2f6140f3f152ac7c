#include "fbdev/vt_console.hpp"

#include <fcntl.h>
#include <linux/kd.h>
#include <linux/keyboard.h>
#include <linux/vt.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "fbdev/keymap.hpp"
#include "fbdev/proc_task.hpp"
#include "util/log.hpp"

namespace udefio::fbdev {
namespace {

bool valid_signal(long sig) { return sig >= 0 && sig <= _NSIG - 1; }

}  // namespace

Result<std::unique_ptr<VtConsole>> VtConsole::create(EventLoop& loop)
{
    UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
    if (!master)
        return errno_error("posix_openpt for the program's console");
    if (::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0)
        return errno_error("unlocking the console's pty");
    char name[64];
    if (::ptsname_r(master.get(), name, sizeof name) != 0)
        return errno_error("ptsname of the console's pty");
    UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave)
        return errno_error(std::string("open(") + name + ")");
    struct stat st {};
    if (::fstat(slave.get(), &st) != 0)
        return errno_error(std::string("fstat(") + name + ")");
    auto console = std::make_unique<VtConsole>(std::move(master), std::move(slave), name, st.st_rdev);
    auto watch = loop.watch_readable(console->master_.get(), [c = console.get()] { c->drain_output(); });
    if (!watch)
        return watch.error();
    console->output_watch_ = std::move(watch).value();
    return console;
}

VtConsole::VtConsole(UniqueFd master, UniqueFd slave, std::string slave_path, dev_t slave_rdev)
    : master_(std::move(master)),
      slave_(std::move(slave)),
      slave_path_(std::move(slave_path)),
      slave_rdev_(slave_rdev),
      kd_mode_(KD_TEXT),
      kb_mode_(K_UNICODE),
      kb_meta_(K_METABIT)
{
}

Result<UniqueFd> VtConsole::open_for_program(int flags) const
{
    UniqueFd fd(::open(slave_path_.c_str(), (flags & (O_ACCMODE | O_NONBLOCK)) | O_NOCTTY | O_CLOEXEC));
    if (!fd)
        return errno_error("open(" + slave_path_ + ") for the program");
    return fd;
}

bool VtConsole::is_console(dev_t rdev, mode_t mode) const { return S_ISCHR(mode) && rdev == slave_rdev_; }

void VtConsole::drain_output()
{
    char sink[4096];
    while (::read(master_.get(), sink, sizeof sink) > 0) {
    }
}

void VtConsole::keyboard_input(std::span<const uint8_t> bytes)
{
    std::vector<uint8_t> keycodes;
    std::span<const uint8_t> out = bytes;
    if (kb_mode_ == K_OFF)
        return;
    if (kb_mode_ == K_MEDIUMRAW || kb_mode_ == K_RAW) {
        // Keycodes below 89 are also their set-1 scancodes: one table serves both.
        keycodes = keycodes_for(bytes);
        out = keycodes;
    }
    const ssize_t n = ::write(master_.get(), out.data(), out.size());
    if (n != static_cast<ssize_t>(out.size()) && !dropped_input_logged_) {
        dropped_input_logged_ = true;
        UDEFIO_LOG(warn, "fbdev console: the program does not read its keyboard; input is dropped");
    }
}

void VtConsole::signal_owner(int sig)
{
    if (sig == 0 || !owner_)
        return;
    if (::syscall(SYS_pidfd_send_signal, owner_.get(), sig, nullptr, 0) != 0)
        UDEFIO_LOG(debug, "fbdev console: signal %d to the VT owner: %s", sig, std::strerror(errno));
}

void VtConsole::seat_disabled()
{
    if (!active_)
        return;
    active_ = false;
    if (mode_.mode == VT_PROCESS) {
        release_pending_ = true;
        signal_owner(mode_.relsig);
    }
}

void VtConsole::seat_enabled()
{
    if (active_)
        return;
    active_ = true;
    release_pending_ = false;
    if (mode_.mode == VT_PROCESS)
        signal_owner(mode_.acqsig);
    auto waiting = std::move(waiting_active_);
    waiting_active_.clear();
    for (auto& done : waiting)
        done();
}

void VtConsole::when_active(std::function<void()> done)
{
    if (active_)
        done();
    else
        waiting_active_.push_back(std::move(done));
}

IoctlOutcome VtConsole::ioctl(pid_t tid, unsigned long cmd, uint64_t arg, TargetMemory& memory)
{
    if (_IOC_TYPE(cmd) == 'V')
        return vt_ioctl(tid, cmd, arg, memory);
    return keyboard_ioctl(cmd, arg, memory);
}

IoctlOutcome VtConsole::keyboard_ioctl(unsigned long cmd, uint64_t arg, TargetMemory& memory)
{
    switch (cmd) {
    case KDGETMODE:
        return {memory.write_struct(arg, kd_mode_)};
    case KDSETMODE:
        switch (arg) {
        case KD_GRAPHICS:
        case KD_TEXT:
            kd_mode_ = static_cast<int>(arg);
            return {};
        case KD_TEXT0:
        case KD_TEXT1:
            kd_mode_ = KD_TEXT;
            return {};
        default:
            return {EINVAL};
        }
    case KDGKBMODE:
        return {memory.write_struct(arg, kb_mode_)};
    case KDSKBMODE:
        switch (arg) {
        case K_RAW:
        case K_MEDIUMRAW:
        case K_XLATE:
        case K_UNICODE:
        case K_OFF:
            kb_mode_ = static_cast<int>(arg);
            return {};
        default:
            return {EINVAL};
        }
    case KDGKBMETA:
        return {memory.write_struct(arg, kb_meta_)};
    case KDSKBMETA:
        if (arg != K_METABIT && arg != K_ESCPREFIX)
            return {EINVAL};
        kb_meta_ = static_cast<int>(arg);
        return {};
    case KDGKBTYPE:
        return {memory.write_struct(arg, static_cast<char>(KB_101))};
    case KDGKBENT: {
        kbentry entry{};
        if (memory.read_struct(arg, entry) != 0)
            return {EFAULT};
        entry.kb_value = keysym(entry.kb_table, entry.kb_index);
        return {memory.write_struct(arg, entry)};
    }
    case KDSKBENT: {
        // Accepted; the emulated keyboard keeps its US layout.
        kbentry entry{};
        return {memory.read_struct(arg, entry) != 0 ? EFAULT : 0};
    }
    case KDGKBDIACR:
    case KDGKBDIACRUC: {
        const unsigned int none = 0;  // kb_cnt: no dead keys
        return {memory.write_struct(arg, none)};
    }
    case KDGETLED:
        return {memory.write_struct(arg, static_cast<char>(leds_))};
    case KDSETLED:
        if (arg & ~7ul)
            return {EINVAL};
        leds_ = static_cast<uint8_t>(arg);
        return {};
    case KDGKBLED:
        return {memory.write_struct(arg, static_cast<char>(led_flags_))};
    case KDSKBLED:
        if (arg & ~0x77ul)
            return {EINVAL};
        led_flags_ = static_cast<uint8_t>(arg);
        return {};
    case KDSIGACCEPT:
        if (!valid_signal(static_cast<long>(arg)) || arg < 1 || arg == SIGKILL)
            return {EINVAL};
        return {};
    case KIOCSOUND:
    case KDMKTONE:
        return {};  // no speaker
    default:
        return {ENOTTY};
    }
}

IoctlOutcome VtConsole::vt_ioctl(pid_t tid, unsigned long cmd, uint64_t arg, TargetMemory& memory)
{
    switch (cmd) {
    case VT_OPENQRY: {
        // The program takes over the VT it is on: there is no other.
        const int vt = kVtNumber;
        return {memory.write_struct(arg, vt)};
    }
    case VT_GETSTATE: {
        vt_stat state{};
        state.v_active = kVtNumber;
        state.v_state = static_cast<unsigned short>(1u | (1u << kVtNumber));
        return {memory.write_struct(arg, state)};
    }
    case VT_GETMODE:
        return {memory.write_struct(arg, mode_)};
    case VT_SETMODE: {
        vt_mode mode{};
        if (memory.read_struct(arg, mode) != 0)
            return {EFAULT};
        if (mode.mode != VT_AUTO && mode.mode != VT_PROCESS)
            return {EINVAL};
        if (!valid_signal(mode.relsig) || !valid_signal(mode.acqsig))
            return {EINVAL};
        mode_ = mode;
        mode_.frsig = 0;  // unused by the kernel too
        // The kernel signals the process that set the mode (vt_pid).
        owner_.reset(static_cast<int>(::syscall(SYS_pidfd_open, thread_group_of(tid), 0)));
        release_pending_ = false;
        return {};
    }
    case VT_RELDISP:
        if (mode_.mode != VT_PROCESS)
            return {EINVAL};
        if (release_pending_) {
            release_pending_ = false;
            if (arg == 0)
                UDEFIO_LOG(info, "fbdev console: the program refused to release the VT; the seat is gone anyway");
            return {};
        }
        return {arg == VT_ACKACQ ? 0 : EINVAL};
    case VT_ACTIVATE:
    case VT_WAITACTIVE:
        if (arg == 0 || arg > MAX_NR_CONSOLES)
            return {ENXIO};
        if (arg != kVtNumber)
            return {EINVAL};  // a kiosk does not switch away
        if (cmd == VT_WAITACTIVE && !active_)
            return {0, Deferral::console_active};
        return {};
    case VT_DISALLOCATE:
        if (arg > MAX_NR_CONSOLES)
            return {ENXIO};
        return {arg == kVtNumber ? EBUSY : 0};
    case VT_RESIZE:
    case VT_RESIZEX:
    case VT_LOCKSWITCH:
    case VT_UNLOCKSWITCH:
        return {};
    case VT_GETHIFONTMASK: {
        const unsigned short none = 0;
        return {memory.write_struct(arg, none)};
    }
    case VT_SETACTIVATE: {
        vt_setactivate request{};
        if (memory.read_struct(arg, request) != 0)
            return {EFAULT};
        if (request.console == 0 || request.console > MAX_NR_CONSOLES)
            return {ENXIO};
        return {request.console == kVtNumber ? 0 : EINVAL};
    }
    default:
        return {ENOTTY};
    }
}

}  // namespace udefio::fbdev
