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

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

uint32_t first_crtc_fb()
{
    const int fd = ::open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
    drmModeRes* res = fd >= 0 ? drmModeGetResources(fd) : nullptr;
    uint32_t fb = 0;
    if (res && res->count_crtcs > 0) {
        drmModeCrtc* crtc = drmModeGetCrtc(fd, res->crtcs[0]);
        fb = crtc ? crtc->buffer_id : 0;
        drmModeFreeCrtc(crtc);
    }
    drmModeFreeResources(res);
    if (fd >= 0)
        ::close(fd);
    return fb;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
        return 2;
    const int sig = std::atoi(argv[2]);
    const uint32_t before = first_crtc_fb();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl(argv[1], argv[1], "demo", "--backend", "kms", "--seconds", "0", static_cast<char*>(nullptr));
        _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const uint32_t during = first_crtc_fb();
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const uint32_t after = first_crtc_fb();
    const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::printf("UDEFIO-RESTORE before=%u during=%u after=%u exit=%d\n", before, during, after, exit_code);
    return before != 0 && during != before && after == before && exit_code == 0 ? 0 : 1;
}
