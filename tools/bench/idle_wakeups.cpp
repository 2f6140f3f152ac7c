#include "tools/bench/idle_wakeups.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

#include "defio/deferred_io_state.hpp"
#include "defio/tracker_probe.hpp"

namespace udefio::bench {

namespace {

class CountingSink : public Sink {
public:
    FlushResult flush(const SharedBuffer&, std::span<PageRef* const>, const Damage&) override { return {}; }
};

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
        std::snprintf(line, sizeof line, "  %-11s %6.1f wakeups/s idle; one write -> %llu flush(es), %llu wakeups\n",
                      tracker_name(probe.kind).data(), double(idle.wakeups) / seconds,
                      (unsigned long long)after.flushes, (unsigned long long)(after.wakeups - idle.wakeups));
        table += line;
        (*state)->detach();
    }
    return table;
}

}  // namespace udefio::bench
