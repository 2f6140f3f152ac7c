#include "fbdev/fbdev_probe.hpp"

#include <fcntl.h>
#include <linux/fb.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <vector>

#include "fbdev/fbdev_program.hpp"

namespace udefio::fbdev {
namespace {

constexpr uint32_t kProbeColour = 0x00a1b2c3;

// A 64x64 screen of our own; vblanks come at once. `on_shown` runs (on the
// flush thread) when the probe's store reached it.
class ProbeScreen final : public Screen {
public:
    explicit ProbeScreen(std::function<void()> on_shown) : on_shown_(std::move(on_shown)) {}
    ScreenMode mode() const override { return {64, 64, 60000, 0, 0}; }
    bool draw(const std::function<void(const Canvas&)>& paint) override
    {
        paint({reinterpret_cast<std::byte*>(pixels.data()), 64 * 4});
        return true;
    }
    void damaged(const Rect&) override
    {
        if ((pixels[0] & 0xffffff) == kProbeColour && !shown_.exchange(true))
            on_shown_();
    }
    bool shown() const { return shown_; }
    void flush_hint() override {}
    void wait_vblank(std::function<void()> done) override { done(); }
    void set_blanked(bool) override {}

    std::vector<uint32_t> pixels = std::vector<uint32_t>(64 * 64, 0);  // the flush thread's

private:
    std::function<void()> on_shown_;
    std::atomic<bool> shown_{false};
};

// The child: system calls only (we are a forked copy of a process with threads).
[[noreturn]] void store_into_fb0()
{
    const int fd = ::open("/dev/fb0", O_RDWR);
    fb_fix_screeninfo fix{};
    if (fd < 0 || ::ioctl(fd, FBIOGET_FSCREENINFO, &fix) != 0)
        ::_exit(2);
    void* memory = ::mmap(nullptr, fix.smem_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED)
        ::_exit(3);
    static_cast<volatile uint32_t*>(memory)[0] = kProbeColour;
    for (;;)
        ::pause();  // alive while udefio looks at how its store was found
}

}  // namespace

Result<FbdevProbe> probe_fbdev()
{
    auto loop = EventLoop::create();
    if (!loop)
        return loop.error();
    // Done when the child's store was shown, or it ended (it should not), or after 5 s.
    std::string tracking;
    const FbdevProgram* watched = nullptr;
    ProbeScreen screen([&] {
        (*loop)->post([&] {
            tracking = watched->tracking();
            (*loop)->stop();
        });
    });
    FbdevOptions options;
    options.delay = std::chrono::milliseconds(1);
    auto program = FbdevProgram::create(**loop, screen, options);
    if (!program)
        return program.error();
    const auto setup = (*program)->child_setup();
    const pid_t pid = ::fork();
    if (pid < 0)
        return errno_error("fork for the fbdev probe");
    if (pid == 0) {
        if (setup() != 0)
            ::_exit(1);
        store_into_fb0();
    }
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        const Error error = errno_error("pidfd_open of the fbdev probe");
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return error;
    }
    std::optional<EventSource> ended, limit;
    watched = program->get();
    Result<void> started = (*program)->start(pid);
    if (started) {
        auto watch = (*loop)->watch_readable(pidfd.get(), [&] { (*loop)->stop(); });
        auto timer = (*loop)->make_timer([&] { (*loop)->stop(); });
        if (watch && timer) {
            ended.emplace(std::move(watch).value());
            limit.emplace(std::move(timer).value());
            limit->arm(std::chrono::seconds(5));
            (*loop)->run();
        }
    }
    ::kill(pid, SIGKILL);
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(pidfd.get()), &info, WEXITED);
    if (!started)
        return started.error();
    if (info.si_code == CLD_EXITED)
        return plain_error(info.si_status == 1 ? "the child could not load the seccomp filter"
                                               : "the probe program did not get a working /dev/fb0 (exit status " +
                                                     std::to_string(info.si_status) + ")");
    FbdevProbe probe;
    probe.tracking = tracking.empty() ? (*program)->tracking() : tracking;
    probe.private_dev = (*program)->private_dev();
    (*program)->output_gone();  // the last flush ran: the canvas is ours to read
    probe.store_shown = screen.shown();
    return probe;
}

}  // namespace udefio::fbdev
