#include "tools/bench/idle_wakeups.hpp"

#include <algorithm>
#include <chrono>
#include <vector>
#include <cstdio>
#include <thread>

#include "defio/deferred_io_state.hpp"
#include "defio/tracker_probe.hpp"

namespace udefio::bench {

namespace {

class CountingSink : public Sink {
public:
    FlushResult flush(const SharedBuffer&, std::span<PageRef* const>,
                      const Damage&, std::chrono::nanoseconds) override { return {}; }
};

// A single store after 300 ms idle until the flush that carries it has
// finished, median of 10: the delay plus the cost of noticing the write.
// (Idle: a written page stays open for K = 4 unchanged flushes after it, and
// is re-armed by the next: about 100 ms at this delay.)
double median_write_to_flush_ms(DeferredIoState& state)
{
    std::vector<double> ms;
    for (int i = 0; i < 10; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const uint64_t flushes = state.stats().flushes;
        const auto t0 = std::chrono::steady_clock::now();
        state.buffer().data()[4096 * 20 + size_t(i)] = std::byte{uint8_t(i + 1)};
        while (state.stats().flushes == flushes && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1))
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

}  // namespace

// Wakeups are counted by the flush worker itself: each return from its poll()
// increments FlushWorker::wakeups(), whatever woke it (timer, doorbell, poll tick).
std::string measure_idle_wakeups(double seconds)
{
    std::string table = "idle wakeups (flush worker returns from poll(), nothing written):\n";
    char line[200];
    for (const TrackerProbeResult& probe : probe_trackers()) {
        if (!probe.works || probe.kind == TrackerKind::explicit_damage)
            continue;
        DeferredIoOptions options;
        options.tracker = probe.kind;
        auto state = DeferredIoState::create(BufferLayout::make(1920, 1080).value(), options);
        if (!state)
            continue;
        CountingSink sink;
        if (!(*state)->attach(sink))
            continue;
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        const FlushStats idle = (*state)->stats();
        (*state)->buffer().data()[4096 * 10] = std::byte{1};
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const FlushStats after = (*state)->stats();
        const double latency = median_write_to_flush_ms(**state);
        std::snprintf(line, sizeof line,
                      "  %-11s %6.1f wakeups/s idle; one write -> %llu flush(es), %llu wakeups; "
                      "write -> flush done %.1f ms (delay %.1f ms)\n",
                      tracker_name(probe.kind).data(), double(idle.wakeups) / seconds,
                      (unsigned long long)after.flushes, (unsigned long long)(after.wakeups - idle.wakeups), latency,
                      double(options.delay.count()) / 1e6);
        table += line;
        (*state)->detach();
    }
    return table;
}

}  // namespace udefio::bench
