// The measurements behind the damage finder's constants (docs/PERFORMANCE.md):
// the span merge gap, hot pages' N and K, and the dirty fraction above which
// one copy of the whole frame is cheaper than tracking, per tracker and size.
#include <benchmark/benchmark.h>

#include <cstring>
#include <optional>
#include <string>

#include "defio/damage_finder.hpp"
#include "defio/exact_damage.hpp"
#include "defio/sink.hpp"
#include "defio/tracker_probe.hpp"
#include "defio/tracking_cost.hpp"
#include "tools/bench/damage_benchmarks.hpp"
#include "tools/bench/frame_patterns.hpp"
#include "tools/bench/tracker_fixture.hpp"

namespace udefio::bench {
namespace {

// Frames run before timing: the hot pages open, full copy entered, as they
// are while the pattern lasts (the slow trackers fit few frames in a run).
constexpr uint32_t kWarmUpFrames = 128;

// Span gap: 100 rows of 1080p, each with 20 changes of 8 px `gap` px apart.
// "merged" copies the gaps in one span per row; "split" makes a rectangle
// of each change. Compare, region, shaping and the copy out all count.
void span_gap(benchmark::State& state, uint32_t gap, bool merged)
{
    const BufferLayout layout = BufferLayout::make(1920, 1080).value();
    auto live = SharedBuffer::create(layout).value();
    auto exact = ExactDamage::create(layout, merged ? gap + 1 : 1).value();
    std::vector<std::byte> out(layout.bytes());
    std::vector<uint32_t> pages;
    for (uint32_t p = 100 * layout.stride / page_size(); p <= 200 * layout.stride / page_size(); ++p)
        pages.push_back(p);
    uint32_t color = 0;
    uint64_t bytes = 0, rects = 0;
    for (auto _ : state) {
        ++color;
        for (uint32_t y = 100; y < 200; ++y)
            for (uint32_t k = 0; k < 20; ++k)
                std::fill_n(live.row(y) + 16 + k * (8 + gap), 8, color);
        Damage damage;
        (void)exact.compare(live.data(), pages, damage);
        const std::vector<Rect> shaped = damage.clips(DamageShape::kMaxDamageRects);
        bytes += copy_rects(out.data(), exact.shadow().data(), layout, damage.rects());
        rects += shaped.size();
    }
    state.counters["bytes/frame"] = double(bytes) / double(state.iterations());
    state.counters["rects"] = double(rects) / double(state.iterations());
}

// What the flush worker would do per frame: find when something was drawn
// or the last find asked to look again; sleep otherwise.
struct Looker {
    DamageFinder& finder;
    TrackedBuffer& tb;
    NextLook next = NextLook::when_told;
    uint64_t looks = 0, bytes = 0;

    void frame(bool drew)
    {
        if (!drew && next == NextLook::when_told)
            return;
        auto found = finder.find(Damage());
        if (!found)
            return;
        ++looks;
        next = (*found)->next;
        bytes += copy_rects(tb.destination.data(), (*found)->source->data(), tb.buffer.layout(),
                            (*found)->damage.rects());
    }
};

enum class HotPattern { cursor, half_rate, caret, typing, burst };

const char* hot_pattern_name(HotPattern p)
{
    switch (p) {
    case HotPattern::cursor: return "cursor";   // a 64x64 square moving 8 px every frame
    case HotPattern::half_rate: return "half";  // the same every other frame (a 30 Hz animation at 60 Hz)
    case HotPattern::caret: return "caret";     // a 2x16 caret toggling every 30 frames
    case HotPattern::typing: return "typing";   // an 8x16 glyph appears every frame, left to right
    case HotPattern::burst: return "burst";     // the cursor moves for 10 frames, then rests for 20
    }
    return "?";
}

// Returns whether it drew.
bool draw_hot(TrackedBuffer& tb, HotPattern p, uint64_t frame)
{
    const BufferLayout& l = tb.buffer.layout();
    switch (p) {
    case HotPattern::cursor: draw_pattern(tb.buffer.data(), l, Pattern::cursor, frame); return true;
    case HotPattern::half_rate:
        if (frame % 2)
            return false;
        draw_pattern(tb.buffer.data(), l, Pattern::cursor, frame / 2);
        return true;
    case HotPattern::caret:
        if (frame % 30)
            return false;
        fill_rect(tb.buffer.data(), l, {400, 300, 2, 16}, (frame / 30) % 2 ? 0xffffffu : 0);
        return true;
    case HotPattern::typing: {
        const uint64_t i = frame % 400;
        fill_rect(tb.buffer.data(), l, {int32_t(8 * i % (l.width - 8)), int32_t(200 + 20 * (i / 200)), 8, 16},
                  0x00c0c0c0u + uint32_t(frame));
        return true;
    }
    case HotPattern::burst:
        if (frame % 30 >= 10)
            return false;
        draw_pattern(tb.buffer.data(), l, Pattern::cursor, frame);
        return true;
    }
    return false;
}

void hot_pages(benchmark::State& state, TrackerKind kind, HotPattern pattern, uint32_t n, uint32_t k)
{
    TrackedBuffer* tb = tracked_buffer(kind, kResolutions[1]);
    if (!tb)
        return state.SkipWithError("tracker cannot run here");
    DamageFinderOptions options;
    options.hot = {n, k};
    options.hot_pages = n > 0;
    auto finder = DamageFinder::create(tb->buffer, *tb->tracker, options, tracking_cost(kind)).value();
    (void)finder->find(Damage::full(tb->buffer.layout()));
    Looker looker{*finder, *tb};
    uint64_t frame_no = 0;
    for (uint32_t i = 0; i < kWarmUpFrames; ++i)
        looker.frame(draw_hot(*tb, pattern, frame_no++));
    looker.looks = looker.bytes = 0;
    for (auto _ : state)
        looker.frame(draw_hot(*tb, pattern, frame_no++));
    finder.reset();
    tb->collect();
    state.counters["looks/frame"] = double(looker.looks) / double(state.iterations());
    state.counters["bytes/frame"] = double(looker.bytes) / double(state.iterations());
}

// Dirty fraction: the top `percent` of the rows rewritten every frame (video
// in a band). "tracked": adaptive full copy off; "adaptive": as udefio runs;
// kind nullopt: the drawing alone, which the report subtracts.
void draw_band(TrackedBuffer& tb, uint32_t rows, uint32_t color)
{
    for (uint32_t y = 0; y < rows; ++y) {
        uint32_t* row = tb.buffer.row(y);
        for (uint32_t x = 0; x < tb.buffer.layout().width; ++x)
            row[x] = color ^ x;
    }
}

void dirty_fraction(benchmark::State& state, std::optional<TrackerKind> kind, const Resolution* res,
                    uint32_t percent, bool adaptive)
{
    TrackedBuffer* tb = tracked_buffer(kind, *res);
    if (!tb)
        return state.SkipWithError("tracker cannot run here");
    const BufferLayout& l = tb->buffer.layout();
    const uint32_t rows = l.height * percent / 100;
    uint32_t color = 0;
    if (!kind) {
        for (auto _ : state)
            draw_band(*tb, rows, ++color);
        return;
    }
    DamageFinderOptions options;
    options.full_copy = adaptive;
    auto finder = DamageFinder::create(tb->buffer, *tb->tracker, options, tracking_cost(*kind)).value();
    (void)finder->find(Damage::full(l));
    uint64_t bytes = 0, full = 0;
    auto one_frame = [&] {
        draw_band(*tb, rows, ++color);
        auto found = finder->find(Damage());
        if (!found)
            return false;
        full += (*found)->counts.full_copy;
        bytes += copy_rects(tb->destination.data(), (*found)->source->data(), l, (*found)->damage.rects());
        return true;
    };
    // The steady state is measured: hot pages open and the mode chosen.
    for (uint32_t i = 0; i < kWarmUpFrames; ++i)
        (void)one_frame();
    bytes = full = 0;
    for (auto _ : state) {
        if (!one_frame())
            return state.SkipWithError("find failed");
    }
    finder.reset();
    tb->collect();
    state.counters["bytes/frame"] = double(bytes) / double(state.iterations());
    state.counters["full"] = double(full) / double(state.iterations());
}

}  // namespace

const std::vector<uint32_t>& dirty_percents()
{
    static const std::vector<uint32_t> p{2, 5, 10, 20, 35, 50, 75, 100};
    return p;
}

void register_damage_benchmarks()
{
    for (uint32_t gap : {1u, 2u, 4u, 8u, 16u, 32u, 64u}) {
        for (bool merged : {true, false})
            benchmark::RegisterBenchmark(
                ("span_gap/" + std::to_string(gap) + (merged ? "/merged" : "/split")).c_str(), span_gap, gap, merged)
                ->Unit(benchmark::kMicrosecond);
    }
    for (const TrackerProbeResult& probe : probe_trackers()) {
        if (!probe.works || (probe.kind != TrackerKind::uffd_async && probe.kind != TrackerKind::mprotect))
            continue;
        const std::string t(tracker_name(probe.kind));
        for (HotPattern p : {HotPattern::cursor, HotPattern::half_rate, HotPattern::caret, HotPattern::typing, HotPattern::burst}) {
            // N = 0: no hot pages (every written page re-armed at every flush).
            for (auto [n, k] : {std::pair{0u, 0u}, {1u, 1u}, {1u, 2u}, {1u, 4u}, {1u, 8u}, {1u, 16u}, {2u, 1u},
                                {2u, 2u}, {2u, 4u}, {2u, 8u}, {3u, 4u}})
                benchmark::RegisterBenchmark(("hot/" + t + "/4k/" + hot_pattern_name(p) + "/N" + std::to_string(n) +
                                              "K" + std::to_string(k))
                                                 .c_str(),
                                             hot_pages, probe.kind, p, n, k)
                    ->Unit(benchmark::kMicrosecond)
                    ->MeasureProcessCPUTime();
        }
    }
    for (const TrackerProbeResult& probe : probe_trackers()) {
        if (!probe.works || probe.kind == TrackerKind::explicit_damage || probe.kind == TrackerKind::soft_dirty)
            continue;
        const std::string t(tracker_name(probe.kind));
        for (const Resolution& res : kResolutions) {
            for (uint32_t percent : dirty_percents()) {
                for (bool adaptive : {false, true})
                    benchmark::RegisterBenchmark(("dirty/" + t + "/" + res.name + "/" + std::to_string(percent) +
                                                  (adaptive ? "/adaptive" : "/tracked"))
                                                     .c_str(),
                                                 dirty_fraction, std::optional(probe.kind), &res, percent, adaptive)
                        ->Unit(benchmark::kMicrosecond)
                        ->MeasureProcessCPUTime();
            }
        }
    }
    for (const Resolution& res : kResolutions)
        for (uint32_t percent : dirty_percents())
            benchmark::RegisterBenchmark(
                ("dirty/untracked/" + std::string(res.name) + "/" + std::to_string(percent)).c_str(), dirty_fraction,
                std::nullopt, &res, percent, false)
                ->Unit(benchmark::kMicrosecond)
                ->MeasureProcessCPUTime();
}

}  // namespace udefio::bench
