// tools/bench: runs the benchmarks, then prints every target as a ratio
// against baselines measured in this same run (machines are noisy; ratios
// from one run are comparable, absolute times across runs are not).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

#include "defio/tracker_probe.hpp"
#include "tools/bench/idle_wakeups.hpp"
#include "tools/bench/profiling_overhead.hpp"
#include "tools/bench/rotation_benchmarks.hpp"
#include "tools/bench/tracker_benchmarks.hpp"
#include "tools/bench/tracker_fixture.hpp"

namespace {

struct Measured {
    double cpu_ns = 0;   // per iteration
    double real_ns = 0;  // per iteration
    std::map<std::string, double> counters;
};

// Console output as usual, plus a copy of every result for the ratio report.
class RecordingReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            if (run.error_occurred || run.iterations == 0)
                continue;
            Measured m;
            m.cpu_ns = run.cpu_accumulated_time * 1e9 / double(run.iterations);
            m.real_ns = run.real_accumulated_time * 1e9 / double(run.iterations);
            for (const auto& [name, counter] : run.counters)
                m.counters[name] = counter.value;
            std::string name = run.benchmark_name();
            const std::string suffix = "/process_time";
            if (name.size() > suffix.size() && name.ends_with(suffix))
                name.resize(name.size() - suffix.size());
            results[name] = m;
        }
    }
    std::map<std::string, Measured> results;
};

const Measured* find(const RecordingReporter& r, const std::string& name)
{
    auto it = r.results.find(name);
    return it == r.results.end() ? nullptr : &it->second;
}

void print_ratios(const RecordingReporter& r)
{
    using udefio::bench::kResolutions;
    std::printf("\n== ratios against baselines from this run ==\n");
    const Measured* bw = find(r, "baseline/memcpy_bandwidth");
    const Measured* dirty = find(r, "baseline/dirty_page_copy");
    if (bw && dirty)
        std::printf("dirty-page copy (every other page of a 4k frame, 16 MB): %.0f%% of memcpy bandwidth "
                    "(64 MB contiguous; target >= 80%%)\n",
                    100.0 * (dirty->counters.at("bytes") / dirty->real_ns) / (64.0 * 1024 * 1024 / bw->real_ns));
    for (const auto& res : kResolutions) {
        const std::string rn = res.name;
        const Measured* full = find(r, "baseline/full_frame_copy/" + rn);
        const Measured* shadow = find(r, "baseline/shadow_compare/" + rn);
        for (const char* pattern : {"cursor64", "textbox300x200", "video"}) {
            const Measured* draw = find(r, "frame/untracked/" + rn + "/" + pattern);
            std::printf("\n%s at %s: udefio CPU per frame = (draw+track+collect+damage+copy) - (draw only)\n",
                        pattern, res.name);
            std::printf("  %-11s %12s %14s %18s %18s\n", "tracker", "udefio us", "bytes/frame",
                        "x less than full", "x less than shadow");
            for (const auto& probe : udefio::probe_trackers()) {
                const Measured* f =
                    find(r, "frame/" + std::string(udefio::tracker_name(probe.kind)) + "/" + rn + "/" + pattern);
                if (!f || !draw || !full || !shadow)
                    continue;
                const double cost = std::max(f->cpu_ns - draw->cpu_ns, 1.0);
                std::printf("  %-11s %12.1f %14.0f %17.1fx %17.1fx\n", udefio::tracker_name(probe.kind).data(),
                            cost / 1000, f->counters.count("bytes/frame") ? f->counters.at("bytes/frame") : 0.0,
                            full->cpu_ns / cost, shadow->cpu_ns / cost);
            }
        }
    }
    const Measured* off = find(r, "profiling/off/cursor_flush");
    const Measured* on = find(r, "profiling/on/cursor_flush");
    if (off && on)
        std::printf("\nprofiling: a cursor flush costs %.2f us off, %.2f us on (+%.0f%%, %.2f us per frame)\n",
                    off->real_ns / 1000, on->real_ns / 1000, 100.0 * (on->real_ns - off->real_ns) / off->real_ns,
                    (on->real_ns - off->real_ns) / 1000);
    std::printf("%s", udefio::bench::report_rotation([&r](const std::string& name) {
                          const Measured* m = find(r, name);
                          return m ? m->cpu_ns : 0.0;
                      }).c_str());
    std::printf("\ncollect+rearm in us (dirty pages: 0 / 1 / 16 / 256 / all) and first write in ns/page:\n");
    for (const auto& probe : udefio::probe_trackers()) {
        const std::string t(udefio::tracker_name(probe.kind));
        for (const auto& res : kResolutions) {
            const std::string prefix = "collect/" + t + "/" + res.name + "/";
            const Measured* c[] = {find(r, prefix + "0"), find(r, prefix + "1"), find(r, prefix + "16"),
                                   find(r, prefix + "256"), find(r, prefix + "all")};
            const Measured* fw = find(r, "first_write/" + t + "/" + res.name);
            if (!c[0] || !fw)
                continue;
            std::printf("  %-11s %-6s", t.c_str(), res.name);
            for (const Measured* m : c)
                std::printf(" %9.1f", m ? m->real_ns / 1000 : 0.0);
            std::printf("   first write %7.0f ns/page\n", fw->real_ns / 256);
        }
    }
}

}  // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    for (const auto& probe : udefio::probe_trackers())
        if (!probe.works)
            std::printf("tracker %s skipped: %s\n", udefio::tracker_name(probe.kind).data(), probe.reason.c_str());
    udefio::bench::register_tracker_benchmarks();
    udefio::bench::register_profiling_benchmarks();
    udefio::bench::register_rotation_benchmarks();
    RecordingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_ratios(reporter);
    std::printf("\n%s", udefio::bench::measure_idle_wakeups(1.0).c_str());
    benchmark::Shutdown();
    return 0;
}
