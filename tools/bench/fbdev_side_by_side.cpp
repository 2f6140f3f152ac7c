// The same unmodified fbdev programs (tools/bench/fb_square.c: a 64x64
// square moved 8 px per frame with plain stores; Debian's fbi showing two
// slides, SLIDE1.png and SLIDE2.png) on the kernel's DRM fbdev emulation
// (/dev/fb0 of the vkms guest) and under `udefio kiosk --backend kms`, in one
// boot of the KMS lane's vkms guest: tools/bench/fbdev_side_by_side.sh boots
// it with everything this needs and runs `udefio-fbdev-bench SLIDE1 SLIDE2`.
// Per path:
// - write -> scanout: from the program's last store of a move to the first
//   vkms CRC of its final picture (CRC capture on; final: composed for 60
//   frames in a row), median of 15 moves, and how many pictures were
//   composed on the way (a move that appears in parts shows several);
// - CPU per frame: the guest's busy time (/proc/stat, every task and the
//   kernel) while the program makes 240 moves at 60 per second, divided by
//   the moves, and the idle rate measured just before (CRC capture off:
//   vkms then composes nothing for the measurement);
// - bytes to the device per flush, in that run: for the kernel, the clip its
//   deferred I/O hands the fbdev helper (drm_fbdev_shmem_helper_fb_dirty,
//   read with a kprobe); for udefio, its FB_DAMAGE_CLIPS area from the
//   profile (frames.csv), 4 bytes a pixel.
#include <fcntl.h>
#include <linux/kd.h>
#include <linux/vt.h>
#include <poll.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/read_file.hpp"
#include "tools/bench/median.hpp"
#include "tools/crc/crtc_crc.hpp"
#include "util/clock.hpp"
#include "util/unique_fd.hpp"

extern char** environ;

using namespace udefio;
using udefio::bench::median;
using udefio::test::read_file;
using namespace std::chrono_literals;

namespace {

constexpr int kMoves = 240;  // fb_square.c's RUN_FRAMES
constexpr int kSamples = 15;
constexpr const char* kCommands = "/tmp/fb_square.commands";
constexpr const char* kReplies = "/tmp/fb_square.replies";
constexpr const char* kProfileDir = "/tmp/fbdev-bench-profile";
constexpr const char* kTracing = "/sys/kernel/tracing";
constexpr const char* kLog = "/tmp/fbdev-bench.log";

// Progress on stderr: the guest's console must not stay silent (guest.py
// stops a guest silent for 90 s), and a failed step must say which it was.
void step(const char* what, const char* path) { std::fprintf(stderr, "fbdev-bench: %s: %s\n", path, what); }

bool write_file(const std::string& path, const std::string& text, int flags = O_WRONLY | O_TRUNC)
{
    UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
    return fd && ::write(fd.get(), text.data(), text.size()) == ssize_t(text.size());
}

// The guest's busy time so far, in clock ticks: everything but idle and iowait.
long long busy_ticks()
{
    std::ifstream stat("/proc/stat");
    std::string cpu;
    long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    return user + nice + system + irq + softirq + steal;
}

double ticks_to_ms(long long ticks) { return double(ticks) * 1000.0 / double(::sysconf(_SC_CLK_TCK)); }

// The clips the kernel's fbdev deferred I/O hands its DRM helper, seen by a
// kprobe event (tracefs) on drm_fbdev_shmem_helper_fb_dirty(helper, clip):
// clip is a struct drm_clip_rect (four u16) in the second argument.
class FbDirtyProbe {
public:
    FbDirtyProbe()
    {
        if (::access((std::string(kTracing) + "/kprobe_events").c_str(), W_OK) != 0)
            (void)::mount("tracefs", kTracing, "tracefs", 0, nullptr);
        ok_ = write_file(std::string(kTracing) + "/kprobe_events",
                         "p:udefio/fb_dirty drm_fbdev_shmem_helper_fb_dirty x1=+0(%si):u16 y1=+2(%si):u16 "
                         "x2=+4(%si):u16 y2=+6(%si):u16\n",
                         O_WRONLY | O_APPEND) &&
              write_file(std::string(kTracing) + "/events/udefio/fb_dirty/enable", "1");
    }
    ~FbDirtyProbe()
    {
        write_file(std::string(kTracing) + "/events/udefio/fb_dirty/enable", "0");
        write_file(std::string(kTracing) + "/kprobe_events", "-:udefio/fb_dirty\n", O_WRONLY | O_APPEND);
    }
    FbDirtyProbe(const FbDirtyProbe&) = delete;
    FbDirtyProbe& operator=(const FbDirtyProbe&) = delete;

    bool ok() const { return ok_; }
    void clear() { write_file(std::string(kTracing) + "/trace", ""); }
    // The clips' areas in pixels, one per call since clear().
    std::vector<long long> areas() const
    {
        std::vector<long long> out;
        std::istringstream trace(read_file(std::string(kTracing) + "/trace"));
        for (std::string line; std::getline(trace, line);) {
            unsigned x1, y1, x2, y2;
            const size_t at = line.find(" x1=");
            if (at != std::string::npos && std::sscanf(line.c_str() + at, " x1=%u y1=%u x2=%u y2=%u", &x1, &y1, &x2,
                                                       &y2) == 4 && x2 > x1 && y2 > y1)
                out.push_back((long long)(x2 - x1) * (y2 - y1));
        }
        return out;
    }

private:
    bool ok_ = false;
};

// While it lives, the console is in graphics mode: fbcon stops drawing (its
// cursor blink) on the kernel's /dev/fb0, as it does for fbi.
class GraphicsConsole {
public:
    GraphicsConsole() : tty_(::open("/dev/tty0", O_RDWR | O_CLOEXEC))
    {
        if (!tty_ || ::ioctl(tty_.get(), KDSETMODE, KD_GRAPHICS) != 0)
            std::fprintf(stderr, "fbdev-bench: /dev/tty0 stays in text mode (%s)\n", std::strerror(errno));
    }
    ~GraphicsConsole()
    {
        if (tty_)
            ::ioctl(tty_.get(), KDSETMODE, KD_TEXT);
    }

private:
    UniqueFd tty_;
};

// A program of the benchmark (fb_square or fbi, directly or as the kiosk's
// program), its output in kLog; killed if it still runs at the end.
class Child {
public:
    explicit Child(std::vector<std::string> argv, const char* stdin_path = nullptr)
    {
        std::vector<char*> args;
        for (std::string& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (stdin_path)
            posix_spawn_file_actions_addopen(&actions, 0, stdin_path, O_RDWR, 0);
        posix_spawn_file_actions_addopen(&actions, 1, kLog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0)
            pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
        if (pid_ > 0)
            pidfd_.reset(int(::syscall(SYS_pidfd_open, pid_, 0)));
    }
    ~Child()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // Readable when it has ended.
    int pidfd() const { return pidfd_.get(); }
    // Its wait status once it ended by itself within `timeout`; else it is
    // sent `stop` (SIGTERM: the kiosk ends its program and writes its
    // profile) and given 60 s more, then killed.
    int end(int stop, std::chrono::milliseconds timeout = 60s)
    {
        pollfd p{pidfd_.get(), POLLIN, 0};
        if (::poll(&p, 1, int(timeout.count())) <= 0) {
            if (stop)
                ::kill(pid_, stop);
            if (::poll(&p, 1, 60'000) <= 0)
                ::kill(pid_, SIGKILL);
        }
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

private:
    UniqueFd pidfd_;
    pid_t pid_ = -1;
};

// fb_square's two FIFOs (made before it starts, removed after it).
class SquareFifos {
public:
    SquareFifos()
    {
        ::unlink(kCommands);
        ::unlink(kReplies);
        if (::mkfifo(kCommands, 0600) != 0 || ::mkfifo(kReplies, 0600) != 0)
            return;
        // Read-write: opening it never waits for the program, which then never waits either.
        commands_.reset(::open(kCommands, O_RDWR | O_CLOEXEC));
        replies_.reset(::open(kReplies, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    }
    ~SquareFifos()
    {
        ::unlink(kCommands);
        ::unlink(kReplies);
    }
    SquareFifos(const SquareFifos&) = delete;
    SquareFifos& operator=(const SquareFifos&) = delete;

    // Sends one command (0: none) and waits for the reply line; empty if
    // none came in `timeout` or the program (`child`) ended.
    std::string ask(const Child& child, char command, std::chrono::milliseconds timeout = 30s)
    {
        if (command && ::write(commands_.get(), &command, 1) != 1)
            return {};
        const auto end = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (const size_t nl = pending_.find('\n'); nl != std::string::npos) {
                std::string line = pending_.substr(0, nl);
                pending_.erase(0, nl + 1);
                return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            pollfd p[2] = {{replies_.get(), POLLIN, 0}, {child.pidfd(), POLLIN, 0}};
            if (left.count() <= 0 || ::poll(p, 2, int(left.count()) + 1) <= 0 || (p[1].revents & POLLIN))
                return {};
            char buf[256];
            const ssize_t n = ::read(replies_.get(), buf, sizeof buf);
            if (n > 0)
                pending_.append(buf, size_t(n));
        }
    }

private:
    UniqueFd commands_, replies_;
    std::string pending_;
};

struct Measured {
    double to_crc_ms = -1;     // write -> the first CRC of the final picture read
    double pictures = -1;      // pictures composed per move (1: it appeared whole)
    double cpu_ms = -1;        // the guest's busy time, per move (square) or per second (slide show)
    double busy_percent = -1;  // of the vCPU in the window
    double idle_percent = -1;  // of the vCPU, busy before the window with nothing drawing
    double flushes = -1;       // to the device in the window
    double bytes_per_flush = -1;
    bool ok = false;
};

enum class Path { kernel, udefio };

// `program` itself, or as the program of udefio's kiosk on KMS, recording its frames.
std::vector<std::string> on(Path path, std::vector<std::string> program)
{
    if (path == Path::kernel)
        return program;
    std::vector<std::string> argv{"udefio", "kiosk", "--backend", "kms", "--restart", "never", "--socket", "/tmp/udefio-bench", "--profile",
                                  kProfileDir, "--"};
    argv.insert(argv.end(), program.begin(), program.end());
    return argv;
}

// The guest's busy ticks per ns while nothing of ours draws, over 2 s
// (time is the quantity measured here, not something waited for).
double idle_rate()
{
    const long long busy0 = busy_ticks();
    const auto t0 = monotonic_now();
    std::this_thread::sleep_for(2s);
    return double(busy_ticks() - busy0) / double((monotonic_now() - t0).count());
}

// The guest's busy time in a window, and what it is at idle (measured
// before): both shown, since under TCG the idle rate varies as much as the
// difference would.
class BusyWindow {
public:
    explicit BusyWindow(double idle_per_ns) : idle_per_ns_(idle_per_ns) {}
    void close(Measured& m, double per)
    {
        end = monotonic_now();
        const long long busy = busy_ticks() - busy_;
        const double ms = double((end - start).count()) / 1e6;
        m.cpu_ms = ticks_to_ms(busy) / per;
        m.busy_percent = ticks_to_ms(busy) / ms * 100;
        m.idle_percent = ticks_to_ms(1) * idle_per_ns_ * 1e8;  // busy ticks per ns -> % of the time
    }
    const std::chrono::nanoseconds start = monotonic_now();
    std::chrono::nanoseconds end{};

private:
    double idle_per_ns_;
    const long long busy_ = busy_ticks();
};

// frames.csv's damage_pixels of the frames whose flush started in the window.
void profile_bytes(const BusyWindow& window, Measured& m)
{
    std::istringstream csv(read_file(std::string(kProfileDir) + "/frames.csv"));
    std::string line;
    std::getline(csv, line);  // the header: frame,tracker,first_write_ns,first_write_exact,flush_start_ns,...
    long long frames = 0, pixels = 0;
    while (std::getline(csv, line)) {
        std::vector<std::string> cols;
        std::istringstream fields(line);
        for (std::string f; std::getline(fields, f, ',');)
            cols.push_back(f);
        if (cols.size() < 13)
            continue;
        const auto start = std::chrono::nanoseconds(std::stoll(cols[4]));
        if (start >= window.start && start <= window.end) {
            ++frames;
            pixels += std::stoll(cols[12]);
        }
    }
    m.flushes = double(frames);
    m.bytes_per_flush = frames ? double(pixels) * 4 / double(frames) : 0;
}

void probe_bytes(const FbDirtyProbe& probe, Measured& m)
{
    const std::vector<long long> areas = probe.areas();
    long long pixels = 0;
    for (long long a : areas)
        pixels += a;
    m.flushes = double(areas.size());
    m.bytes_per_flush = areas.empty() ? 0 : double(pixels) * 4 / double(areas.size());
}

// A picture is final once vkms composed it for this many frames in a row (1 s).
constexpr int kFinalFrames = 60;

struct Shown {
    std::string crc;
    std::chrono::nanoseconds read{};  // when its first entry was read
    int pictures = 0;                 // the pictures composed since the store, it included
};

// Reads CRC entries until a picture other than `current` came and stayed
// for kFinalFrames frames: the final one, with when it first came and how
// many pictures came, it included. `changed` false: `current` itself, once it stayed.
std::optional<Shown> final_picture(CrtcCrc& crc, std::string current, bool changed = true)
{
    Shown shown{current, monotonic_now(), 0};
    if (changed) {
        const CrtcCrc::Entry first = crc.first_unlike(current, 10s);
        if (first.crc.empty())
            return std::nullopt;
        shown = {first.crc, monotonic_now(), 1};
    }
    for (int same = 1; same < kFinalFrames;) {
        const CrtcCrc::Entry e = crc.wait_next(10s);
        if (e.crc.empty())
            return std::nullopt;
        if (e.crc == shown.crc) {
            ++same;
            continue;
        }
        shown = {e.crc, monotonic_now(), shown.pictures + 1};
        same = 1;
    }
    return shown;
}

// Median time from a move's last store until its final picture was
// composed (the first CRC of it read), and the median number of pictures
// shown on the way: 1 if the move appeared at once.
void write_to_scanout(SquareFifos& fifos, const Child& child, Measured& m)
{
    CrtcCrc crc;
    std::vector<double> latency, pictures;
    auto settled = crc.available() ? final_picture(crc, crc.wait_next(10s).crc, false) : std::nullopt;
    for (int i = 0; i < kSamples && settled; ++i) {
        const std::string stored = fifos.ask(child, 's');
        if (stored.empty())
            break;
        const auto written = std::chrono::nanoseconds(std::stoll(stored));
        const auto shown = final_picture(crc, settled->crc);
        if (!shown)
            break;
        latency.push_back(double((shown->read - written).count()) / 1e6);
        pictures.push_back(shown->pictures);
        settled = shown;
    }
    m.to_crc_ms = median(latency);
    m.pictures = median(pictures);
}

Measured square(Path path)
{
    Measured m;
    std::optional<GraphicsConsole> graphics;
    std::optional<FbDirtyProbe> probe;
    if (path == Path::kernel) {
        graphics.emplace();
        probe.emplace();
        if (!probe->ok())
            return m;
    }
    SquareFifos fifos;
    Child child(on(path, {"fb_square", kCommands, kReplies}));
    const char* name = path == Path::kernel ? "fb_square on the kernel" : "fb_square on udefio";
    if (fifos.ask(child, 0, 120s) != "ready")
        return m;
    step("ready; write -> scanout", name);
    write_to_scanout(fifos, child, m);
    step("the idle rate, then 240 moves", name);
    const double idle = idle_rate();
    if (probe)
        probe->clear();
    BusyWindow window(idle);
    if (fifos.ask(child, 'r', 60s) != "done")
        return m;
    window.close(m, kMoves);
    fifos.ask(child, 'q', 0ms);
    m.ok = child.end(SIGTERM) == 0;  // the kiosk ends with its program and writes its profile
    if (probe)
        probe_bytes(*probe, m);
    else
        profile_bytes(window, m);
    return m;
}

// Ends every process named `name` (fbi -T forks: its child keeps the VT).
void kill_all(const std::string& name)
{
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string pid = entry.path().filename();
        if (std::all_of(pid.begin(), pid.end(), ::isdigit) && read_file("/proc/" + pid + "/comm") == name + "\n")
            ::kill(std::stoi(pid), SIGTERM);
    }
}

// Debian's fbi showing two slides, the next one every second, for 10 s.
Measured slide_show(Path path, const std::string& first, const std::string& second)
{
    Measured m;
    const char* name = path == Path::kernel ? "fbi on the kernel" : "fbi on udefio";
    step("the idle rate, then fbi", name);
    const double idle = idle_rate();
    std::optional<FbDirtyProbe> probe;
    std::optional<Child> child;
    // Shown once the first flush went out: the kernel's fb_dirty, or udefio's log line.
    auto shown = [&] {
        return probe ? !probe->areas().empty() : read_file(kLog).find("first frame presented") != std::string::npos;
    };
    if (path == Path::kernel) {
        probe.emplace();
        if (!probe->ok())
            return m;
        probe->clear();
        // On the kernel's console as on a real one: VT 2, which fbi takes and switches to.
        child.emplace(std::vector<std::string>{"fbi", "-T", "2", "-d", "/dev/fb0", "-a", "-noverbose", "-t", "1", first,
                                               second},
                      "/dev/tty2");
    } else {
        child.emplace(on(path, {"fbi", "-a", "-noverbose", "-t", "1", first, second}));
    }
    const auto until = monotonic_now() + 60s;
    while (!shown() && monotonic_now() < until)
        std::this_thread::sleep_for(50ms);  // a benchmark's start, bounded: fbi says nothing when it drew
    if (!shown())
        return m;
    step("shown; 10 s of the show", name);
    if (probe)
        probe->clear();
    BusyWindow window(idle);
    std::this_thread::sleep_for(10s);  // the window measured
    window.close(m, 10);
    if (probe) {
        probe_bytes(*probe, m);
        kill_all("fbi");
        child->end(SIGKILL, 10s);
        m.ok = true;
        UniqueFd tty(::open("/dev/tty0", O_RDWR | O_CLOEXEC));
        if (tty)
            ::ioctl(tty.get(), VT_ACTIVATE, 1);  // back to the console fbi left
    } else {
        m.ok = WIFEXITED(child->end(SIGTERM, 0ms));
        profile_bytes(window, m);
    }
    return m;
}

// The kiosk gives each program a console on a pty: the guest's init mounts no devpts.
void mount_devpts()
{
    if (::access("/dev/pts/ptmx", F_OK) == 0)
        return;
    ::mkdir("/dev/pts", 0755);
    if (::mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666") == 0) {
        ::unlink("/dev/ptmx");
        (void)::symlink("pts/ptmx", "/dev/ptmx");
    }
}

void print_row(const char* what, const char* format, double kernel, double ours)
{
    char k[32], u[32];
    std::snprintf(k, sizeof k, format, kernel);
    std::snprintf(u, sizeof u, format, ours);
    std::printf("%-50s %14s %14s\n", what, kernel < 0 ? "-" : k, ours < 0 ? "-" : u);
}

void report(const char* title, const Measured& kernel, const Measured& ours, const char* cpu_what,
            const char* flushes_what)
{
    std::printf("\n%-50s %14s %14s\n", title, "kernel fbdev", "udefio kiosk");
    print_row("write -> scanout (its final CRC read), median (ms)", "%.1f", kernel.to_crc_ms, ours.to_crc_ms);
    print_row("  pictures shown per move, median (1: at once)", "%.0f", kernel.pictures, ours.pictures);
    print_row(cpu_what, "%.2f", kernel.cpu_ms, ours.cpu_ms);
    print_row("  guest busy in the window (% of the vCPU)", "%.1f", kernel.busy_percent, ours.busy_percent);
    print_row("  guest busy before it, at idle (%)", "%.1f", kernel.idle_percent, ours.idle_percent);
    print_row(flushes_what, "%.0f", kernel.flushes, ours.flushes);
    print_row("bytes to the device per flush", "%.0f", kernel.bytes_per_flush, ours.bytes_per_flush);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: udefio-fbdev-bench SLIDE1.png SLIDE2.png (the size of the mode)\n");
        return 2;
    }
    if (!CrtcCrc().available()) {
        std::fprintf(stderr, "fbdev-bench: no vkms CRC in debugfs: run it in the vkms guest\n");
        return 77;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    mount_devpts();
    struct Run {
        const char* what;
        Measured kernel, ours;
    };
    const Run runs[] = {{"fb_square", square(Path::kernel), square(Path::udefio)},
                        {"fbi", slide_show(Path::kernel, argv[1], argv[2]), slide_show(Path::udefio, argv[1], argv[2])}};
    bool ok = true;
    for (const Run& r : runs)
        for (const Measured* m : {&r.kernel, &r.ours})
            if (!m->ok) {
                std::fprintf(stderr, "fbdev-bench: %s on %s failed; the last log:\n%s\n", r.what,
                             m == &r.kernel ? "the kernel" : "udefio", read_file(kLog).c_str());
                ok = false;
            }
    report("fb_square: 64x64 moved 8 px a frame", runs[0].kernel, runs[0].ours, "guest CPU per move (ms)",
           "flushes to the device in 240 moves (4 s)");
    report("fbi -t 1: two slides, a quarter differs", runs[1].kernel, runs[1].ours,
           "guest CPU per second of the show (ms)", "flushes to the device in 10 s");
    return ok ? 0 : 1;
}
