// The performance anchor of the KMS lane, run inside the QEMU guest on vkms:
// the kernel's own deferred I/O (the DRM fbdev emulation's /dev/fb0, mmap'd)
// side by side with udefio on the same CRTC, same write patterns.
//   python3 tests/vm/guest.py run vkms build/tools/bench/udefio-kms-bench
// Measures: the first write to a page after a flush (ns/page), the flush
// itself (udefio: its flush worker's time; the kernel's runs in a kworker
// we cannot time from here), write→scanout delay (the time until vkms's CRC
// of the composed picture changes), and bytes sent per cursor frame.
#include <fcntl.h>
#include <linux/fb.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tools/crc/crtc_crc.hpp"
#include "backends/kms/kms_backend.hpp"

using namespace udefio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPages = 256;
constexpr int kSamples = 15;

// Milliseconds from `since` until the CRC differs from `before` (-1: not within 1 s).
double until_changed(CrtcCrc& crc, const std::string& before, Clock::time_point since)
{
    while (Clock::now() - since < 1s) {
        const std::string now = crc.latest();
        if (!now.empty() && now != before)
            return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
        std::this_thread::sleep_for(200us);
    }
    return -1;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// ns per page for the first store to each of kPages pages spread over the buffer.
double first_write_ns(volatile uint32_t* pixels, size_t bytes, uint32_t value)
{
    const size_t step = bytes / 4096 / kPages * 1024;
    const auto t0 = Clock::now();
    for (int i = 0; i < kPages; ++i)
        pixels[size_t(i) * step] = value;
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / kPages;
}

struct Measured {
    double first_write_ns = 0;
    double latency_ms = 0;
    double flush_us = -1;
    double cursor_bytes = -1;
    double to_flush_ms = -1;    // udefio: write → its flush done
    double to_flip_ms = -1;     // udefio: write → page-flip event
};

// Writes `samples` single pixels, each after the previous one reached the screen.
template <class Settle>
std::vector<double> latencies(volatile uint32_t* pixels, CrtcCrc& crc, Settle settle)
{
    std::vector<double> ms;
    for (int i = 0; i < kSamples; ++i) {
        settle();
        const std::string before = crc.latest();
        const auto t0 = Clock::now();
        pixels[1000 + i] = 0x00ffffffu - uint32_t(i);
        ms.push_back(until_changed(crc, before, t0));
    }
    return ms;
}

Measured measure_fbdev(CrtcCrc& crc)
{
    Measured r;
    const int fd = ::open("/dev/fb0", O_RDWR);
    fb_fix_screeninfo fix{};
    fb_var_screeninfo var{};
    if (fd < 0 || ::ioctl(fd, FBIOGET_FSCREENINFO, &fix) != 0 || ::ioctl(fd, FBIOGET_VSCREENINFO, &var) != 0)
        return r;
    const size_t bytes = size_t(fix.line_length) * var.yres;
    auto* pixels = static_cast<volatile uint32_t*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    std::vector<double> fw;
    for (int i = 0; i < kSamples; ++i) {
        std::this_thread::sleep_for(150ms);  // the deferred flush (50 ms) ran and write-protected the pages again
        fw.push_back(first_write_ns(pixels, bytes, uint32_t(i)));
    }
    r.first_write_ns = median(fw);
    r.latency_ms = median(latencies(pixels, crc, [] { std::this_thread::sleep_for(150ms); }));
    ::munmap(const_cast<uint32_t*>(pixels), bytes);
    ::close(fd);
    return r;
}

Measured measure_udefio(CrtcCrc& crc)
{
    Measured r;
    auto loop = EventLoop::create().value();
    auto backend = KmsBackend::create(*loop, KmsOptions{});
    if (!backend)
        return r;
    Output& output = *(*backend)->outputs().front();
    DeferredIoOptions options;
    options.delay = output.mode().refresh_period();
    auto state = DeferredIoState::create(BufferLayout::make(output.mode().width, output.mode().height).value(), options);
    if (!state || !output.attach(*state))
        return r;
    std::thread loop_thread([&] { loop->run(); });
    auto* pixels = reinterpret_cast<volatile uint32_t*>((*state)->buffer().data());
    const size_t bytes = (*state)->buffer().size();
    std::vector<double> fw;
    for (int i = 0; i < kSamples; ++i) {
        std::this_thread::sleep_for(100ms);
        fw.push_back(first_write_ns(pixels, bytes, uint32_t(i)));
    }
    r.first_write_ns = median(fw);
    r.latency_ms = median(latencies(pixels, crc, [] { std::this_thread::sleep_for(100ms); }));

    // Where the time goes: write → flush done → page flip.
    std::vector<double> to_flush, to_flip;
    for (int i = 0; i < kSamples; ++i) {
        std::this_thread::sleep_for(100ms);
        const uint64_t flushes = (*state)->stats().flushes, flips = output.counters().presented;
        const auto t0 = Clock::now();
        pixels[2000 + i] = uint32_t(i) * 77;
        while ((*state)->stats().flushes == flushes && Clock::now() - t0 < 1s)
            std::this_thread::sleep_for(100us);
        to_flush.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        while (output.counters().presented == flips && Clock::now() - t0 < 1s)
            std::this_thread::sleep_for(100us);
        to_flip.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    r.to_flush_ms = median(to_flush);
    r.to_flip_ms = median(to_flip);

    // A 64x64 cursor moving 8 px per frame, 30 frames: bytes and flush time per frame.
    std::this_thread::sleep_for(100ms);
    const FlushStats before = (*state)->stats();
    const uint32_t stride = (*state)->layout().stride / 4;
    for (int f = 0; f < 30; ++f) {
        for (uint32_t y = 300; y < 364; ++y)
            for (uint32_t x = 100 + 8 * uint32_t(f); x < 164 + 8 * uint32_t(f); ++x)
                pixels[y * stride + x] = 0x00ff00ffu ^ uint32_t(f);
        std::this_thread::sleep_for(output.mode().refresh_period() * 2);
    }
    std::this_thread::sleep_for(100ms);
    const FlushStats after = (*state)->stats();
    const double flushes = double(after.flushes - before.flushes);
    if (flushes > 0) {
        r.cursor_bytes = double(after.bytes_copied - before.bytes_copied) / flushes;
        r.flush_us = double(after.flush_ns - before.flush_ns) / flushes / 1000;
    }
    loop->post([&] { loop->stop(); });
    loop_thread.join();
    return r;
}

}  // namespace

int main()
{
    CrtcCrc crc;
    if (!crc.available()) {
        std::fprintf(stderr, "kms-bench: no vkms CRC in debugfs: run it in the vkms guest\n");
        return 77;
    }
    const Measured fbdev = measure_fbdev(crc);
    const Measured ours = measure_udefio(crc);
    std::printf("\n%-34s %14s %14s\n", "", "kernel fbdev", "udefio");
    std::printf("%-34s %14.0f %14.0f\n", "first write to a page (ns)", fbdev.first_write_ns, ours.first_write_ns);
    std::printf("%-34s %14.1f %14.1f\n", "write -> scanout, median (ms)", fbdev.latency_ms, ours.latency_ms);
    std::printf("%-34s %14s %14.1f\n", "  of which write -> flush done", "", ours.to_flush_ms);
    std::printf("%-34s %14s %14.1f\n", "  of which write -> page flip", "", ours.to_flip_ms);
    std::printf("%-34s %14s %14.1f\n", "flush per cursor frame (us)", "(kworker)", ours.flush_us);
    std::printf("%-34s %14s %14.0f\n", "bytes copied per cursor frame", "see docs", ours.cursor_bytes);
    return 0;
}
