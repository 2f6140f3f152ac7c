// Runs inside the QEMU guest (tests/vm/test_kms.py): `udefio demo` on KMS is
// stopped with SIGINT or SIGTERM and must exit cleanly with the CRTC showing
// again what it showed before (the fbdev console's framebuffer).
//   restore_check UDEFIO SIGNAL_NUMBER
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace {

// What the first CRTC scans out, read through `fd`.
uint32_t first_crtc_fb(int fd)
{
    drmModeRes* res = drmModeGetResources(fd);
    uint32_t fb = 0;
    if (res && res->count_crtcs > 0) {
        drmModeCrtc* crtc = drmModeGetCrtc(fd, res->crtcs[0]);
        fb = crtc ? crtc->buffer_id : 0;
        drmModeFreeCrtc(crtc);
    }
    drmModeFreeResources(res);
    return fb;
}

// Whether process `pid` catches signal `sig` (its handler is installed):
// the SigCgt mask of /proc/PID/status.
bool catches(pid_t pid, int sig)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("SigCgt:", 0) == 0)
            return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
        return 2;
    const int sig = std::atoi(argv[2]);
    // One fd for every read, not DRM master (its first opener would be): udefio becomes master while we poll.
    const int fd = ::open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 2;
    drmDropMaster(fd);
    const uint32_t before = first_crtc_fb(fd);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl(argv[1], argv[1], "demo", "--backend", "kms", "--seconds", "0", static_cast<char*>(nullptr));
        _exit(127);
    }
    // Signalled once it shows its own framebuffer and handles the signal
    // (its event loop watches it: set up after the mode).
    uint32_t during = before;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
        during = first_crtc_fb(fd);
        if (during != before && catches(pid, sig))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const uint32_t after = first_crtc_fb(fd);
    ::close(fd);
    const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::printf("UDEFIO-RESTORE before=%u during=%u after=%u exit=%d\n", before, during, after, exit_code);
    return before != 0 && during != before && after == before && exit_code == 0 ? 0 : 1;
}
