// tools/bench: runs the benchmarks, then prints every target as a ratio
// against baselines measured in this same run (machines are noisy; ratios
// from one run are comparable, absolute times across runs are not).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "defio/tracker_probe.hpp"
#include "defio/tracking_cost.hpp"
#include "tools/bench/damage_benchmarks.hpp"
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
            // With --benchmark_repetitions, the median of the repetitions stands for the benchmark.
            const bool repeated = run.repetitions > 1;
            if (repeated && !(run.run_type == Run::RT_Aggregate && run.aggregate_name == "median"))
                continue;
            Measured m;
            const double to_ns = 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
            m.cpu_ns = run.GetAdjustedCPUTime() * to_ns;
            m.real_ns = run.GetAdjustedRealTime() * to_ns;
            for (const auto& [name, counter] : run.counters)
                m.counters[name] = counter.value;
            std::string name = run.run_name.str();
            for (const std::string suffix : {"/process_time"}) {
                if (name.size() > suffix.size() && name.ends_with(suffix))
                    name.resize(name.size() - suffix.size());
            }
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

double counter(const Measured* m, const char* name)
{
    if (!m)
        return 0;
    auto it = m->counters.find(name);
    return it == m->counters.end() ? 0 : it->second;
}

// frame/: udefio now; frame-pages/: page-granular damage, every page re-armed (as before exact damage).
void print_frames(const RecordingReporter& r)
{
    using udefio::bench::kFrameResolutions;
    for (const auto& res : kFrameResolutions) {
        const std::string rn = res.name;
        const Measured* full = find(r, "baseline/full_frame_copy/" + rn);
        const Measured* shadow = find(r, "baseline/shadow_compare/" + rn);
        if (!full || !shadow)
            continue;
        std::printf("\n%s: full-frame copy %.1f us, shadow compare %.1f us (CPU)\n", res.name, full->cpu_ns / 1000,
                    shadow->cpu_ns / 1000);
        for (const char* pattern : {"cursor64", "textbox300x200", "video"}) {
            const Measured* draw = find(r, "frame/untracked/" + rn + "/" + pattern);
            if (!draw)
                continue;
            std::printf("  %s at %s: udefio CPU per frame = (draw+track+collect+damage+copy) - (draw only)\n", pattern,
                        res.name);
            std::printf("    %-11s %-6s %10s %12s %9s %9s %7s %7s %8s %9s %5s %8s %8s %12s\n", "tracker", "mode",
                        "udefio us", "bytes/frame", "x full", "x shadow", "faults", "avoided", "compared", "unchanged",
                        "full", "find us", "copy us", "(f+c) x full");
            auto row = [&](const std::string& tracker, const char* mode, const Measured* f) {
                if (!f)
                    return;
                const double cost = std::max(f->cpu_ns - draw->cpu_ns, 1.0);
                std::printf("    %-11s %-6s %10.1f %12.0f %8.1fx %8.1fx %7.1f %7.1f %8.1f %9.1f %5.2f", tracker.c_str(),
                            mode, cost / 1000, counter(f, "bytes/frame"), full->cpu_ns / cost, shadow->cpu_ns / cost,
                            counter(f, "faults"), counter(f, "avoided"), counter(f, "compared"), counter(f, "unchanged"),
                            counter(f, "full"));
                // find + copy, timed inside the run, against the full copy: the
                // drawing's extra cost (faults, probes) is the rest of "udefio us".
                if (f->counters.contains("find_us")) {
                    const double staged = counter(f, "find_us") + counter(f, "copy_us");
                    std::printf(" %8.1f %8.1f %11.2fx", counter(f, "find_us"), counter(f, "copy_us"),
                                staged * 1000 / full->cpu_ns);
                }
                std::printf("\n");
            };
            for (const auto& probe : udefio::probe_trackers()) {
                const std::string t(udefio::tracker_name(probe.kind));
                row(t, probe.kind == udefio::TrackerKind::explicit_damage ? "-" : "now",
                    find(r, "frame/" + t + "/" + rn + "/" + pattern));
                row(t, "pages", find(r, "frame-pages/" + t + "/" + rn + "/" + pattern));
            }
        }
    }
}

void print_span_gap(const RecordingReporter& r)
{
    std::printf("\nspan merge gap (1080p, 100 rows of 20 changes of 8 px, `gap` px apart; compare + region + copy):\n");
    std::printf("  %5s %12s %12s %14s %14s %8s\n", "gap", "merged us", "split us", "merged bytes", "split bytes",
                "rects");
    for (uint32_t gap : {1u, 2u, 4u, 8u, 16u, 32u, 64u}) {
        const Measured* m = find(r, "span_gap/" + std::to_string(gap) + "/merged");
        const Measured* sp = find(r, "span_gap/" + std::to_string(gap) + "/split");
        if (!m || !sp)
            continue;
        std::printf("  %5u %12.1f %12.1f %14.0f %14.0f %8.0f %s\n", gap, m->cpu_ns / 1000, sp->cpu_ns / 1000,
                    counter(m, "bytes/frame"), counter(sp, "bytes/frame"), counter(sp, "rects"),
                    sp->cpu_ns < m->cpu_ns ? "split cheaper" : "merged cheaper");
    }
}

void print_hot(const RecordingReporter& r)
{
    std::printf("\nhot pages at 4k: CPU us per frame (looks per frame); N0 = none (every page re-armed)\n");
    const char* nk[] = {"N0K0", "N1K1", "N1K2", "N1K4", "N1K8", "N1K16", "N2K1", "N2K2", "N2K4", "N2K8", "N3K4"};
    for (const char* t : {"uffd-async", "mprotect"}) {
        for (const char* pattern : {"cursor", "half", "caret", "typing", "burst"}) {
            const std::string prefix = std::string("hot/") + t + "/4k/" + pattern + "/";
            if (!find(r, prefix + "N0K0"))
                continue;
            std::printf("  %-10s %-7s", t, pattern);
            for (const char* v : nk) {
                const Measured* m = find(r, prefix + v);
                if (m)
                    std::printf(" %s %.1f (%.2f)", v, m->cpu_ns / 1000, counter(m, "looks/frame"));
            }
            std::printf("\n");
        }
    }
}

void print_dirty(const RecordingReporter& r)
{
    using udefio::bench::kResolutions;
    std::printf("\ndirty fraction (the top rows rewritten every frame): udefio CPU us per frame (minus the drawing), "
                "tracked (full copy off) and adaptive, against a full-frame copy\n");
    for (const auto& probe : udefio::probe_trackers()) {
        const std::string t(udefio::tracker_name(probe.kind));
        const udefio::TrackingCost cost = udefio::tracking_cost(probe.kind);
        for (const auto& res : kResolutions) {
            const Measured* full = find(r, "baseline/full_frame_copy/" + std::string(res.name));
            if (!full || !find(r, "dirty/" + t + "/" + res.name + "/2/tracked"))
                continue;
            std::printf("  %-10s %-6s full copy %.0f us; model crossover %.0f%% (compare %.0f ns, copy %.0f ns a page)\n",
                        t.c_str(), res.name, full->cpu_ns / 1000,
                        100 * cost.copy_ns / (cost.compare_ns + 2 * cost.copy_ns), cost.compare_ns, cost.copy_ns);
            std::printf("    %8s %12s %12s %8s\n", "percent", "tracked us", "adaptive us", "full");
            uint32_t crossover = 0;
            for (uint32_t percent : udefio::bench::dirty_percents()) {
                const std::string prefix = "dirty/" + t + "/" + res.name + "/" + std::to_string(percent);
                const Measured* tr = find(r, prefix + "/tracked");
                const Measured* ad = find(r, prefix + "/adaptive");
                const Measured* draw =
                    find(r, "dirty/untracked/" + std::string(res.name) + "/" + std::to_string(percent));
                if (!tr || !ad || !draw)
                    continue;
                const double tracked = std::max(tr->cpu_ns - draw->cpu_ns, 1.0);
                const double adaptive = std::max(ad->cpu_ns - draw->cpu_ns, 1.0);
                if (!crossover && tracked > full->cpu_ns)
                    crossover = percent;
                std::printf("    %7u%% %12.1f %12.1f %8.2f  adaptive: %.2fx a full copy\n", percent, tracked / 1000,
                            adaptive / 1000, counter(ad, "full"), adaptive / full->cpu_ns);
            }
            if (crossover)
                std::printf("    measured crossover: tracking costs more than a full copy from %u%% of the rows\n",
                            crossover);
        }
    }
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
    print_frames(r);
    print_span_gap(r);
    print_hot(r);
    print_dirty(r);
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
            std::printf("   first write %7.0f ns/page (probe: %.0f)\n", fw->real_ns / 256, probe.fault_ns);
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
    udefio::bench::register_damage_benchmarks();
    udefio::bench::register_rotation_benchmarks();
    RecordingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_ratios(reporter);
    std::printf("\n%s", udefio::bench::measure_idle_wakeups(1.0).c_str());
    benchmark::Shutdown();
    return 0;
}
