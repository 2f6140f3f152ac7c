// Per-tracker costs at 1080p and 4K, and the same-run baselines they are
// compared with (bench_report.cpp prints the ratios).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "defio/damage.hpp"
#include "defio/damage_finder.hpp"
#include "defio/tracking_cost.hpp"
#include "defio/tracker_probe.hpp"
#include "tools/bench/frame_patterns.hpp"
#include "tools/bench/tracker_benchmarks.hpp"
#include "tools/bench/tracker_fixture.hpp"

namespace udefio::bench {

namespace {

constexpr size_t kFirstWritePages = 256;

std::string tracker_label(std::optional<TrackerKind> kind)
{
    return kind ? std::string(tracker_name(*kind)) : std::string("untracked");
}

void write_page(TrackedBuffer& tb, size_t page)
{
    auto* word = reinterpret_cast<volatile uint32_t*>(tb.buffer.data() + page * page_size());
    *word = *word + 1;
}

// Cost of the first store to a page after rearm: where fault-based trackers pay.
void first_write(benchmark::State& state, TrackerKind kind, const Resolution* res)
{
    TrackedBuffer* tb = tracked_buffer(kind, *res);
    if (!tb)
        return state.SkipWithError("tracker cannot run here");
    const size_t step = tb->page_count() / kFirstWritePages;
    for (auto _ : state) {
        state.PauseTiming();
        tb->collect();
        state.ResumeTiming();
        for (size_t i = 0; i < kFirstWritePages; ++i)
            write_page(*tb, i * step);
    }
    tb->collect();  // leave the buffer clean for the next benchmark (timing has stopped)
    state.SetItemsProcessed(int64_t(state.iterations() * kFirstWritePages));
}

// collect() (get written pages and rearm them) with `dirty` pages written; -1 = all.
void collect(benchmark::State& state, TrackerKind kind, const Resolution* res, long dirty)
{
    TrackedBuffer* tb = tracked_buffer(kind, *res);
    if (!tb)
        return state.SkipWithError("tracker cannot run here");
    const size_t n = dirty < 0 ? tb->page_count() : size_t(dirty);
    const size_t step = n ? tb->page_count() / n : 1;
    size_t reported = 0;
    for (auto _ : state) {
        state.PauseTiming();
        for (size_t i = 0; i < n; ++i)
            write_page(*tb, i * step);
        state.ResumeTiming();
        tb->collect();
        reported = tb->pages.size();
    }
    state.counters["pages"] = double(reported);
}

// How frame/ finds damage: as udefio does now (exact damage, hot pages,
// adaptive full copy), and as it did before (page-granular, every written
// page re-armed at every flush), so the two compare in the same run.
const DamageFinderOptions kFinderNow{};
const DamageFinderOptions kFinderPages{false, false, false, {}, kSpanMergeGap};

// One whole frame: the app draws, the damage finder collects and finds what
// to send, the damage is copied out from where the finder says. With kind ==
// nullopt only the drawing runs.
void frame(benchmark::State& state, std::optional<TrackerKind> kind, const Resolution* res, Pattern pattern,
           const DamageFinderOptions* options)
{
    TrackedBuffer* tb = tracked_buffer(kind, *res);
    if (!tb)
        return state.SkipWithError("tracker cannot run here");
    const BufferLayout& layout = tb->buffer.layout();
    std::unique_ptr<DamageFinder> finder;
    if (kind) {
        auto made = DamageFinder::create(tb->buffer, *tb->tracker, *options, tracking_cost(*kind));
        if (!made)
            return state.SkipWithError(made.error().message().c_str());
        finder = std::move(made).value();
        // The shadow starts as the buffer is (earlier benchmarks drew into it).
        if (auto first = finder->find(Damage::full(layout)); !first)
            return state.SkipWithError(first.error().message().c_str());
    }
    uint64_t frame_no = 0, bytes = 0;
    FoundCounts sum;
    uint64_t full_copies = 0;
    // The two stages of udefio's own, timed inside the run: what they cost
    // does not depend on subtracting two noisy drawing times.
    using Clock = std::chrono::steady_clock;
    Clock::duration finding{}, copying{};
    // The steady state is measured (hot pages open, full copy entered and
    // its probes a second apart, as they are while a pattern lasts): 128
    // frames first, untimed.
    for (; kind && frame_no < 128; ++frame_no) {
        draw_pattern(tb->buffer.data(), layout, pattern, frame_no);
        (void)finder->find(Damage());
    }
    for (auto _ : state) {
        draw_pattern(tb->buffer.data(), layout, pattern, frame_no++);
        if (!kind)
            continue;
        const Clock::time_point started = Clock::now();
        auto found = finder->find(Damage());
        const Clock::time_point found_at = Clock::now();
        if (!found)
            return state.SkipWithError(found.error().message().c_str());
        const FoundDamage& f = **found;
        bytes += copy_rects(tb->destination.data(), f.source->data(), layout, f.damage.rects());
        finding += found_at - started;
        copying += Clock::now() - found_at;
        sum.faults_taken += f.counts.faults_taken;
        sum.faults_avoided += f.counts.faults_avoided;
        sum.pages_compared += f.counts.pages_compared;
        sum.pages_unchanged += f.counts.pages_unchanged;
        full_copies += f.counts.full_copy;
    }
    if (!kind)
        return;
    finder.reset();
    tb->collect();  // re-arms what the finder left open, for the next benchmark (timing has stopped)
    const double n = double(state.iterations());
    state.counters["bytes/frame"] = double(bytes) / n;
    state.counters["faults"] = double(sum.faults_taken) / n;
    state.counters["avoided"] = double(sum.faults_avoided) / n;
    state.counters["compared"] = double(sum.pages_compared) / n;
    state.counters["unchanged"] = double(sum.pages_unchanged) / n;
    state.counters["full"] = double(full_copies) / n;
    state.counters["find_us"] = std::chrono::duration<double, std::micro>(finding).count() / n;
    state.counters["copy_us"] = std::chrono::duration<double, std::micro>(copying).count() / n;
}

// The explicit-damage client: no tracking at all, the client says what it drew.
void frame_explicit(benchmark::State& state, const Resolution* res, Pattern pattern)
{
    TrackedBuffer* tb = tracked_buffer(std::nullopt, *res);
    const BufferLayout& layout = tb->buffer.layout();
    uint64_t frame_no = 0, bytes = 0;
    for (auto _ : state) {
        draw_pattern(tb->buffer.data(), layout, pattern, frame_no);
        Damage damage;
        for (const Rect& r : pattern_damage(layout, pattern, frame_no++))
            damage.add(r);
        bytes += copy_rects(tb->destination.data(), tb->buffer.data(), layout, damage.rects());
    }
    state.counters["bytes/frame"] = double(bytes) / double(state.iterations());
}

void full_frame_copy(benchmark::State& state, const Resolution* res)
{
    TrackedBuffer* tb = tracked_buffer(std::nullopt, *res);
    const size_t bytes = tb->buffer.layout().bytes();
    for (auto _ : state) {
        std::memcpy(tb->destination.data(), tb->buffer.data(), bytes);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}

// What a VNC-style shadow compare reads per frame even when nothing changed.
void shadow_compare(benchmark::State& state, const Resolution* res)
{
    TrackedBuffer* tb = tracked_buffer(std::nullopt, *res);
    const size_t bytes = tb->buffer.layout().bytes();
    std::memcpy(tb->destination.data(), tb->buffer.data(), bytes);
    const size_t page = page_size();
    for (auto _ : state) {
        size_t changed = 0;
        for (size_t off = 0; off + page <= bytes; off += page)
            changed += std::memcmp(tb->buffer.data() + off, tb->destination.data() + off, page) != 0;
        benchmark::DoNotOptimize(changed);
    }
    state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}

void memcpy_bandwidth(benchmark::State& state)
{
    constexpr size_t kBytes = 64u << 20;  // far beyond the caches
    std::vector<std::byte> src(kBytes, std::byte{1}), dst(kBytes);
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data(), kBytes);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(int64_t(state.iterations() * kBytes));
}

// Copying every other page of a 4K frame (16 MB, beyond the caches like the
// memcpy baseline), page by page, as a sink copies scattered dirty pages.
void dirty_page_copy(benchmark::State& state)
{
    TrackedBuffer* tb = tracked_buffer(std::nullopt, kResolutions[1]);
    const size_t page = page_size();
    const size_t pages = tb->buffer.layout().bytes() / page;
    for (auto _ : state) {
        for (size_t i = 0; i < pages; i += 2)
            std::memcpy(tb->destination.data() + i * page, tb->buffer.data() + i * page, page);
        benchmark::ClobberMemory();
    }
    state.counters["bytes"] = double((pages + 1) / 2 * page);
    state.SetBytesProcessed(int64_t(state.iterations() * ((pages + 1) / 2) * page));
}

}  // namespace

void register_tracker_benchmarks()
{
    benchmark::RegisterBenchmark("baseline/memcpy_bandwidth", memcpy_bandwidth)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("baseline/dirty_page_copy", dirty_page_copy)->Unit(benchmark::kMicrosecond);
    for (const Resolution& res : kFrameResolutions) {
        const std::string r = res.name;
        benchmark::RegisterBenchmark(("baseline/full_frame_copy/" + r).c_str(), full_frame_copy, &res)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("baseline/shadow_compare/" + r).c_str(), shadow_compare, &res)
            ->Unit(benchmark::kMicrosecond);
        for (Pattern p : {Pattern::cursor, Pattern::text_box, Pattern::video}) {
            benchmark::RegisterBenchmark(("frame/untracked/" + r + "/" + pattern_name(p)).c_str(), frame,
                                         std::nullopt, &res, p, &kFinderNow)
                ->Unit(benchmark::kMicrosecond)
                ->MeasureProcessCPUTime();
            benchmark::RegisterBenchmark(("frame/explicit/" + r + "/" + pattern_name(p)).c_str(), frame_explicit,
                                         &res, p)
                ->Unit(benchmark::kMicrosecond)
                ->MeasureProcessCPUTime();
        }
    }
    for (const TrackerProbeResult& probe : probe_trackers()) {
        if (!probe.works || probe.kind == TrackerKind::explicit_damage)
            continue;
        const std::string t = tracker_label(probe.kind);
        for (const Resolution& res : kResolutions) {
            const std::string r = res.name;
            benchmark::RegisterBenchmark(("first_write/" + t + "/" + r).c_str(), first_write, probe.kind, &res)
                ->Unit(benchmark::kMicrosecond);
            for (long dirty : {0L, 1L, 16L, 256L, -1L})
                benchmark::RegisterBenchmark(
                    ("collect/" + t + "/" + r + "/" + (dirty < 0 ? std::string("all") : std::to_string(dirty)))
                        .c_str(),
                    collect, probe.kind, &res, dirty)
                    ->Unit(benchmark::kMicrosecond);
        }
        for (const Resolution& res : kFrameResolutions) {
            const std::string r = res.name;
            for (Pattern p : {Pattern::cursor, Pattern::text_box, Pattern::video}) {
                for (auto [prefix, options] : {std::pair{"frame/", &kFinderNow}, std::pair{"frame-pages/", &kFinderPages}})
                    benchmark::RegisterBenchmark((prefix + t + "/" + r + "/" + pattern_name(p)).c_str(), frame,
                                                 probe.kind, &res, p, options)
                        ->Unit(benchmark::kMicrosecond)
                        ->MeasureProcessCPUTime();  // fault threads count too
            }
        }
    }
}

}  // namespace udefio::bench
