// End to end: write → present on a real output, with the coalescing delay
// swept (0, 4, 8, 16, 33 ms) against the bytes each frame sends. A client
// thread moves a 64x64 square every 1.03 refresh periods with plain stores,
// so that its writes fall at every phase of the output's vblank (a p99 that
// only saw one lucky phase would say nothing); the profiler records each
// frame (defio/frame_recorder.hpp).
//   udefio-e2e-bench [--backend headless|kms|wayland] [--seconds S]
// In the KMS lane: python3 tests/vm/guest.py run vkms build/tools/bench/udefio-e2e-bench --backend kms
// Goal (issue 7): p99 write → present <= delay + one refresh period, bytes
// per frame proportional to the damage.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "backends/backend_factory.hpp"
#include "backends/kms/kms_output.hpp"
#include "util/log.hpp"
#include "defio/tracker_probe.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

struct Point {
    double p50_ms = 0, p99_ms = 0;
    size_t frames = 0, exact = 0;
    double bytes_per_frame = 0, damage_bytes_per_frame = 0;
    // Where the slowest frame's time went: first write → flush start → commit → presented.
    double worst_coalesce_ms = 0, worst_flush_ms = 0, worst_present_ms = 0;
    double refresh_ms = 0;  // the output's refresh period at the end (Wayland learns it from feedback)
    std::string note;       // KMS: how flushes were timed
};

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[size_t(std::ceil(q * double(v.size()))) - 1];
}

// Moves a square across the buffer once per `period` until told to stop.
// Drawn at 1.03 x the refresh period, the phase against the vblank moves by
// 3% of a period per frame: all phases about every 33 frames.
void draw_cursor(DeferredIoState& state, std::chrono::nanoseconds period, const std::atomic<bool>& stop)
{
    auto* pixels = reinterpret_cast<uint32_t*>(state.buffer().data());
    const BufferLayout& l = state.layout();
    const uint32_t stride = l.stride / 4;
    uint32_t x = 0, frame = 0;
    auto next = std::chrono::steady_clock::now();
    while (!stop) {
        const uint32_t y = l.height / 2 - 32;
        x = (x + 8) % (l.width - 64);
        for (uint32_t row = y; row < y + 64; ++row)
            std::fill_n(pixels + size_t(row) * stride + x, 64, 0x00ff8000u ^ ++frame);
        if (state.tracker_kind() == TrackerKind::explicit_damage)
            state.add_damage({int32_t(x), int32_t(y), 64, 64});
        next += period;
        std::this_thread::sleep_until(next);
    }
}

Result<Point> measure(const std::string& backend_name, TrackerKind tracker, std::chrono::milliseconds delay,
                      double seconds)
{
    auto loop = EventLoop::create();
    if (!loop)
        return loop.error();
    BackendOptions options;
    options.name = backend_name;
    options.headless.modes = {{1280, 720, 60'000}};
    options.wayland.fullscreen = true;  // the compositor's output size
    auto backend = make_backend(**loop, options);
    if (!backend)
        return backend.error();
    auto outputs = (*backend)->outputs();
    if (outputs.empty())
        return plain_error("no output");
    Output& output = *outputs.front();
    const OutputMode mode = output.mode();
    DeferredIoOptions defio;
    defio.tracker = tracker;
    defio.delay = delay;
    defio.poll_interval = mode.refresh_period();
    auto layout = BufferLayout::make(mode.width, mode.height);
    if (!layout)
        return layout.error();
    auto state = DeferredIoState::create(*layout, defio);
    if (!state)
        return state.error();
    auto recorder = std::make_shared<FrameRecorder>();
    (*state)->set_recorder(recorder);
    if (auto r = output.attach(*state); !r)
        return r.error();
    std::atomic<bool> stop{false};
    std::thread client([&] { draw_cursor(**state, mode.refresh_period() * 103 / 100, stop); });
    std::thread loop_thread([&] { (*loop)->run(); });
    std::this_thread::sleep_for(std::chrono::nanoseconds(int64_t(seconds * 1e9)));
    stop = true;
    client.join();
    std::this_thread::sleep_for(delay + 3 * mode.refresh_period());  // the last frames reach the screen
    (*loop)->post([&] { (*loop)->stop(); });
    loop_thread.join();

    Point p;
    std::vector<double> latency;
    double bytes = 0, damage = 0;
    const auto frames = recorder->frames();
    for (const FrameRecord& f : frames) {
        if (f.frame <= 2)
            continue;  // the first frames carry the whole screen
        ++p.frames;
        p.exact += f.first_write_exact;
        bytes += double(f.bytes_copied);
        damage += double(f.damage_pixels) * 4;
        if (!f.presented.count())
            continue;
        latency.push_back(double((f.presented - f.first_write).count()) / 1e6);
        if (latency.back() >= *std::max_element(latency.begin(), latency.end())) {
            p.worst_coalesce_ms = double((f.flush_start - f.first_write).count()) / 1e6;
            p.worst_flush_ms = double((f.committed - f.flush_start).count()) / 1e6;
            p.worst_present_ms = double((f.presented - f.committed).count()) / 1e6;
        }
    }
    p.p50_ms = percentile(latency, 0.5);
    p.p99_ms = percentile(latency, 0.99);
    if (p.frames) {
        p.bytes_per_frame = bytes / double(p.frames);
        p.damage_bytes_per_frame = damage / double(p.frames);
    }
    p.refresh_ms = double(output.mode().refresh_period().count()) / 1e6;
    const VblankTiming timing = output.vblank_timing();
    char note[128];
    if (timing.aimed)
        std::snprintf(note, sizeof note, "  [vblank-timed, margin %.2f ms, %llu missed]",
                      double(timing.margin.count()) / 1e6, static_cast<unsigned long long>(timing.missed));
    else
        std::snprintf(note, sizeof note, "  [no vblank: flushes when ready]");
    p.note = note;
    return p;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string backend = "headless";
    double seconds = 3;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--backend") && i + 1 < argc)
            backend = argv[++i];
        else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = std::atof(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--backend headless|kms|wayland] [--seconds S]\n", argv[0]);
            return 2;
        }
    }
    set_log_level(LogLevel::warn);
    // uffd-sync's doorbell dates every first write exactly; uffd-async (the
    // default where it works) only knows the look before, an upper bound;
    // explicit damage (the client reports its 64x64 rect) shows the bytes a
    // damage-aware client costs.
    std::vector<TrackerKind> trackers;
    for (const auto& probe : probe_trackers())
        if (probe.works && (probe.kind == TrackerKind::uffd_sync || probe.kind == TrackerKind::uffd_async ||
                            probe.kind == TrackerKind::explicit_damage))
            trackers.push_back(probe.kind);
    std::printf("end to end on %s, a 64x64 square moved every 1.03 refresh periods, %.0f s per point\n",
                backend.c_str(), seconds);
    std::printf("%-11s %6s %7s %7s %9s %9s %7s %12s %12s %6s  %s\n", "tracker", "delay", "frames", "exact",
                "p50 ms", "p99 ms", "bound", "bytes/frame", "damage B/fr", "p99ok",
                "slowest frame: to flush + flush + to present (ms)");
    for (TrackerKind tracker : trackers) {
        for (int ms : {0, 4, 8, 16, 33}) {
            auto p = measure(backend, tracker, std::chrono::milliseconds(ms), seconds);
            if (!p) {
                std::fprintf(stderr, "%s, delay %d ms: %s\n", tracker_name(tracker).data(), ms,
                             p.error().message().c_str());
                return 1;
            }
            const double bound = ms + p->refresh_ms;
            std::printf("%-11s %6d %7zu %7zu %9.2f %9.2f %7.1f %12.0f %12.0f %6s  %.1f + %.2f + %.1f%s\n",
                        tracker_name(tracker).data(), ms, p->frames, p->exact, p->p50_ms, p->p99_ms, bound,
                        p->bytes_per_frame, p->damage_bytes_per_frame, p->p99_ms <= bound ? "yes" : "NO",
                        p->worst_coalesce_ms, p->worst_flush_ms, p->worst_present_ms, p->note.c_str());
        }
    }
    return 0;
}
