// The performance anchor of the KMS lane, run inside the QEMU guest on vkms:
// the kernel's own deferred I/O (the DRM fbdev emulation's /dev/fb0, mmap'd)
// side by side with udefio on the same CRTC, same write patterns.
//   python3 tests/vm/guest.py run vkms build/tools/bench/udefio-kms-bench
// Measures: the first write to a page after a flush (ns/page); write →
// scanout as the time the first CRC of the changed picture could be read
// (vkms composes in a worker after the vblank, and how far behind it runs is
// shown); where udefio's time goes, stage by stage, from its profiler; and
// the bytes and flush time per cursor frame.
#include <fcntl.h>
#include <linux/fb.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "backends/kms/kms_backend.hpp"
#include "tools/bench/median.hpp"
#include "tools/crc/crtc_crc.hpp"
#include "tools/crc/vblank_counter.hpp"
#include "util/clock.hpp"

using namespace udefio;
using udefio::bench::median;
using namespace std::chrono_literals;

namespace {

constexpr int kPages = 256;
constexpr int kSamples = 15;

double ms(std::chrono::nanoseconds d) { return double(d.count()) / 1e6; }

// One store of `value` at `pixel` after the picture settled, until vkms's CRC changed.
struct Sample {
    std::chrono::nanoseconds written{};
    std::chrono::nanoseconds crc_read{};  // when we read the first CRC of the new picture
    // vblanks between that CRC's label and the counter then: vkms composes in
    // a worker, once for every vblank queued since it last ran, and labels its
    // CRC with those vblanks, so under TCG the entry that first shows a change
    // may carry a vblank from before the change was made.
    uint64_t backlog = 0;
    bool ok = false;
};

Sample sample(volatile uint32_t* pixels, size_t pixel, uint32_t value, CrtcCrc& crc, const VblankCounter& vblanks)
{
    Sample s;
    const std::string before = crc.latest().crc;
    s.written = monotonic_now();
    pixels[pixel] = value;
    const CrtcCrc::Entry e = crc.first_unlike(before, 1000ms);
    if (e.crc.empty())
        return s;
    s.crc_read = monotonic_now();
    const uint64_t now = vblanks.sequence();
    s.backlog = now > e.frame ? now - e.frame : 0;
    s.ok = true;
    return s;
}

// ns per page for the first store to each of kPages pages spread over the buffer.
double first_write_ns(volatile uint32_t* pixels, size_t bytes, uint32_t value)
{
    const size_t step = bytes / 4096 / kPages * 1024;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kPages; ++i)
        pixels[size_t(i) * step] = value;
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kPages;
}

// How late a 16.7 ms sleep of a normal thread wakes up, median of 15: what
// the guest's scheduler gives every thread of ours (the flush worker's timer too).
double sleep_lateness_ms()
{
    std::vector<double> late;
    for (int i = 0; i < kSamples; ++i) {
        const auto t0 = monotonic_now();
        std::this_thread::sleep_for(16'666'667ns);
        late.push_back(ms(monotonic_now() - t0 - 16'666'667ns));
    }
    return median(late);
}

struct Measured {
    double first_write_ns = -1;
    double to_crc_ms = -1;      // write → the first CRC of the new picture read
    double backlog = -1;        // the composer's backlog then, in vblanks
    // udefio's stages (profiler): write → seen (doorbell), → flush start,
    // → commit issued, → the flip's vblank (KMS's scanout), → the CRC read.
    double seen_ms = -1, to_flush_ms = -1, flush_ms = -1, to_flip_ms = -1, flip_to_crc_ms = -1;
    double write_to_flip_ms = -1;
    double sleep_late_ms = -1;
    double flush_us = -1;
    double cursor_bytes = -1;
};

Measured measure_fbdev(CrtcCrc& crc, const VblankCounter& vblanks)
{
    Measured r;
    const int fd = ::open("/dev/fb0", O_RDWR);
    fb_fix_screeninfo fix{};
    fb_var_screeninfo var{};
    if (fd < 0 || ::ioctl(fd, FBIOGET_FSCREENINFO, &fix) != 0 || ::ioctl(fd, FBIOGET_VSCREENINFO, &var) != 0)
        return r;
    const size_t bytes = size_t(fix.line_length) * var.yres;
    auto* pixels = static_cast<volatile uint32_t*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    std::vector<double> fw, read, backlog;
    for (int i = 0; i < kSamples; ++i) {
        std::this_thread::sleep_for(150ms);  // the deferred flush (50 ms) ran and write-protected the pages again
        fw.push_back(first_write_ns(pixels, bytes, uint32_t(i)));
    }
    for (int i = 0; i < kSamples; ++i) {
        std::this_thread::sleep_for(150ms);
        const Sample s = sample(pixels, 1000 + size_t(i), 0x00ffffffu - uint32_t(i), crc, vblanks);
        if (!s.ok)
            continue;
        read.push_back(ms(s.crc_read - s.written));
        backlog.push_back(double(s.backlog));
    }
    r.first_write_ns = median(fw);
    r.to_crc_ms = median(read);
    r.backlog = median(backlog);
    ::munmap(const_cast<uint32_t*>(pixels), bytes);
    ::close(fd);
    return r;
}

// `crc` null: vkms composes nothing (no CRC is asked for); only the stages are measured.
Measured measure_udefio(CrtcCrc* crc, const VblankCounter& vblanks)
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
    if (!state)
        return r;
    auto recorder = std::make_shared<FrameRecorder>();
    (*state)->set_recorder(recorder);
    if (!output.attach(*state))
        return r;
    std::thread loop_thread([&] { loop->run(); });
    auto* pixels = reinterpret_cast<volatile uint32_t*>((*state)->buffer().data());
    const size_t bytes = (*state)->buffer().size();
    // 300 ms apart: a written page stays open (hot) for 4 unchanged flushes,
    // and only an armed page takes the fault measured here.
    std::vector<double> fw;
    for (int i = 0; i < kSamples; ++i) {
        std::this_thread::sleep_for(300ms);
        fw.push_back(first_write_ns(pixels, bytes, uint32_t(i)));
    }
    r.first_write_ns = median(fw);

    std::vector<double> read, backlog, seen, to_flush, flush, to_flip, flip_to_crc;
    for (int i = 0; i < kSamples; ++i) {
        std::this_thread::sleep_for(300ms);
        Sample s;
        if (crc) {
            s = sample(pixels, 1000 + size_t(i), 0x00ffffffu - uint32_t(i), *crc, vblanks);
            if (!s.ok)
                continue;
            read.push_back(ms(s.crc_read - s.written));
            backlog.push_back(double(s.backlog));
        } else {
            s.written = monotonic_now();
            pixels[1000 + size_t(i)] = 0x00ffffffu - uint32_t(i);
        }
        // The frame that carried the store: the first flush after it, once presented.
        const auto until = monotonic_now() + 1s;
        for (bool found = false; !found && monotonic_now() < until;) {
            for (const FrameRecord& f : recorder->recent(8)) {
                if (f.flush_start < s.written || !f.presented.count())
                    continue;
                seen.push_back(ms(f.first_write - s.written));
                to_flush.push_back(ms(f.flush_start - f.first_write));
                flush.push_back(ms(f.committed - f.flush_start));
                to_flip.push_back(ms(f.presented - f.committed));
                if (crc)
                    flip_to_crc.push_back(ms(s.crc_read - f.presented));
                found = true;
                break;
            }
            if (!found)
                std::this_thread::sleep_for(200us);
        }
    }
    r.to_crc_ms = median(read);
    r.backlog = median(backlog);
    r.seen_ms = median(seen);
    r.to_flush_ms = median(to_flush);
    r.flush_ms = median(flush);
    r.to_flip_ms = median(to_flip);
    r.flip_to_crc_ms = median(flip_to_crc);
    {
        std::vector<double> total;
        for (size_t i = 0; i < seen.size(); ++i)
            total.push_back(seen[i] + to_flush[i] + flush[i] + to_flip[i]);
        r.write_to_flip_ms = median(total);
    }

    // A 64x64 cursor moving 8 px per frame, 30 frames: bytes and flush time per frame.
    std::this_thread::sleep_for(300ms);
    const FlushStats before = (*state)->stats();
    const uint32_t stride = (*state)->layout().stride / 4;
    for (int f = 0; f < 30; ++f) {
        for (uint32_t y = 300; y < 364; ++y)
            for (uint32_t x = 100 + 8 * uint32_t(f); x < 164 + 8 * uint32_t(f); ++x)
                pixels[y * stride + x] = 0x00ff00ffu ^ uint32_t(f);
        std::this_thread::sleep_for(output.mode().refresh_period() * 2);
    }
    std::this_thread::sleep_for(300ms);
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
    Measured fbdev, ours, quiet;
    {
        CrtcCrc crc;
        if (!crc.available()) {
            std::fprintf(stderr, "kms-bench: no vkms CRC in debugfs: run it in the vkms guest\n");
            return 77;
        }
        const VblankCounter vblanks;
        fbdev = measure_fbdev(crc, vblanks);
        ours = measure_udefio(&crc, vblanks);
        ours.sleep_late_ms = sleep_lateness_ms();
    }
    // The same without CRCs: vkms then composes nothing, and its worker no
    // longer takes the one vCPU from everything else.
    quiet = measure_udefio(nullptr, VblankCounter());
    quiet.sleep_late_ms = sleep_lateness_ms();
    std::printf("\n%-44s %14s %14s %14s\n", "", "kernel fbdev", "udefio", "udefio, no CRC");
    std::printf("%-44s %14.0f %14.0f %14.0f\n", "first write to a page (ns)", fbdev.first_write_ns, ours.first_write_ns,
                quiet.first_write_ns);
    std::printf("%-44s %14.1f %14.1f %14s\n", "write -> scanout (its CRC read), median (ms)", fbdev.to_crc_ms,
                ours.to_crc_ms, "-");
    std::printf("%-44s %14.0f %14.0f %14s\n", "  vkms composer backlog then (vblanks)", fbdev.backlog, ours.backlog, "-");
    std::printf("%-44s %14s %14.1f %14.1f\n", "  udefio: write -> its flip's vblank", "", ours.write_to_flip_ms,
                quiet.write_to_flip_ms);
    std::printf("%-44s %14s %14.1f %14.1f\n", "    write -> seen (doorbell)", "", ours.seen_ms, quiet.seen_ms);
    std::printf("%-44s %14s %14.1f %14.1f\n", "    seen -> flush start", "", ours.to_flush_ms, quiet.to_flush_ms);
    std::printf("%-44s %14s %14.2f %14.2f\n", "    flush start -> commit issued", "", ours.flush_ms, quiet.flush_ms);
    std::printf("%-44s %14s %14.1f %14.1f\n", "    commit -> its flip's vblank", "", ours.to_flip_ms, quiet.to_flip_ms);
    std::printf("%-44s %14s %14.1f %14s\n", "  udefio: flip's vblank -> CRC read", "", ours.flip_to_crc_ms, "-");
    std::printf("%-44s %14s %14.2f %14.2f\n", "a 16.7 ms sleep wakes this late (ms)", "", ours.sleep_late_ms,
                quiet.sleep_late_ms);
    std::printf("%-44s %14s %14.1f %14.1f\n", "flush per cursor frame (us)", "(kworker)", ours.flush_us, quiet.flush_us);
    std::printf("%-44s %14s %14.0f %14.0f\n", "bytes copied per cursor frame", "262144 (*)", ours.cursor_bytes,
                quiet.cursor_bytes);
    std::printf("(*) the kernel's drm_fb_helper damages whole rows: 64 rows x 4096 bytes at 1024 px\n");
    return 0;
}
