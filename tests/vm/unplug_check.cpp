// Runs inside the QEMU guest (tests/vm/test_kms.py): "fbdev: defio: Protect
// against device/module removal" on a real driver. A client process maps the
// output's buffer and keeps writing; the DRM driver is unbound under it. udefio must survive, remove the output,
// revoke the buffer (the client gets SIGBUS through its handler) and leak no fd.
#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "backends/kms/kms_backend.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

constexpr int kClientGotSigbus = 42;

int count_fds()
{
    int n = 0;
    DIR* dir = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(dir))
        n += e->d_name[0] != '.';
    ::closedir(dir);
    return n - 1;  // the one opendir holds
}

[[noreturn]] void client(int fd, size_t size)
{
    struct sigaction action {};
    action.sa_handler = [](int) { _exit(kClientGotSigbus); };
    ::sigaction(SIGBUS, &action, nullptr);
    auto* pixels = static_cast<volatile uint32_t*>(::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    if (pixels == MAP_FAILED)
        _exit(2);
    for (uint32_t i = 0; i < 2'000'000; ++i) {  // about 20 s
        pixels[(i * 1031) % (size / 4)] = i;
        if (i % 100 == 0)
            ::usleep(1000);
    }
    _exit(1);  // never revoked
}

std::string basename_of_link(const std::string& path)
{
    char real[PATH_MAX];
    if (!::realpath(path.c_str(), real))
        return {};
    const std::string s = real;
    return s.substr(s.rfind('/') + 1);
}

bool unbind_card0()
{
    const std::string device = "/sys/class/drm/card0/device";
    char driver[PATH_MAX];
    if (!::realpath((device + "/driver").c_str(), driver))
        return false;
    std::ofstream unbind(std::string(driver) + "/unbind");
    unbind << basename_of_link(device) << std::flush;
    return bool(unbind);
}

}  // namespace

int main()
{
    const int fds_before = count_fds();
    int child_status = -1;
    bool removed = false;
    {
        auto loop = EventLoop::create().value();
        auto backend = KmsBackend::create(*loop, KmsOptions{});
        if (!backend) {
            std::fprintf(stderr, "unplug_check: %s\n", backend.error().message().c_str());
            return 1;
        }
        // udefio itself draws through its own mapping until the output goes; the
        // removal callback is where it stops, before the buffer is revoked.
        std::atomic<bool> removed_seen{false};
        std::atomic<bool> stop_drawing{false};
        std::atomic<bool> drawing_stopped{false};
        (*backend)->set_output_removed_callback([&](Output&) {
            stop_drawing = true;
            while (!drawing_stopped)
                std::this_thread::yield();
            removed_seen = true;
        });
        Output& output = *(*backend)->outputs().front();
        auto state = DeferredIoState::create(
            BufferLayout::make(output.mode().width, output.mode().height).value(), DeferredIoOptions{});
        if (!state || !output.attach(*state))
            return 1;
        auto fd = (*state)->buffer().dup_fd();
        const pid_t pid = ::fork();
        if (pid == 0)
            client(fd->get(), (*state)->buffer().size());
        fd->reset();
        std::thread loop_thread([&] { loop->run(); });
        // Unplugged once the client's drawing reaches the screen: it has mapped the buffer.
        for (int i = 0; i < 2000 && (*state)->stats().flushes == 0; ++i)
            std::this_thread::sleep_for(10ms);
        std::thread drawer([&] {
            auto* px = reinterpret_cast<volatile uint32_t*>((*state)->buffer().data());
            for (uint32_t i = 0; !stop_drawing; ++i) {
                px[(i * 4099) % ((*state)->buffer().size() / 4)] = i;
                std::this_thread::sleep_for(1ms);
            }
            drawing_stopped = true;
        });
        if (!unbind_card0())
            std::fprintf(stderr, "unplug_check: unbinding the driver failed\n");
        for (int i = 0; i < 2000 && !removed_seen; ++i)
            std::this_thread::sleep_for(10ms);
        removed = removed_seen;
        stop_drawing = true;
        drawer.join();
        ::waitpid(pid, &child_status, 0);
        loop->post([&] { loop->stop(); });
        loop_thread.join();
    }
    const int fds_after = count_fds();
    const int child = WIFEXITED(child_status) ? WEXITSTATUS(child_status) : -WTERMSIG(child_status);
    std::printf("UDEFIO-UNPLUG removed=%d client=%d fds_before=%d fds_after=%d\n", removed ? 1 : 0, child, fds_before,
                fds_after);
    return removed && child == kClientGotSigbus && fds_before == fds_after ? 0 : 1;
}
