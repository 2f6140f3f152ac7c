#include "tools/bench/rotation_benchmarks.hpp"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <vector>

#include "defio/pixel_copy.hpp"
#include "tools/bench/tracker_fixture.hpp"

namespace udefio::bench {
namespace {

constexpr Transform kTransforms[] = {Transform::normal,  Transform::rotate_90,  Transform::rotate_180,
                                     Transform::rotate_270, Transform::flipped, Transform::flipped_90};

// One flush copy per iteration: the cursor moves 8 px each time, as the
// frame benchmarks' cursor does; `full` copies the whole frame.
void copy(benchmark::State& state, Transform t, const Resolution* res, bool full)
{
    const OutputGeometry g{{int32_t(res->width), int32_t(res->height)}, t};
    const Size logical = g.logical();
    std::vector<uint32_t> src(size_t(logical.width) * size_t(logical.height), 0x00336699u);
    std::vector<uint32_t> dst(size_t(res->width) * size_t(res->height));
    const uint32_t src_stride = uint32_t(logical.width) * 4, dst_pitch = res->width * 4;
    int32_t x = 0;
    for (auto _ : state) {
        x = (x + 8) % (logical.width - 64);
        const Rect r = full ? Rect{0, 0, logical.width, logical.height} : Rect{x, logical.height / 2, 64, 64};
        copy_rect_transformed(reinterpret_cast<std::byte*>(dst.data()), dst_pitch,
                         reinterpret_cast<const std::byte*>(src.data()), src_stride, r, g);
        benchmark::DoNotOptimize(dst.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * (full ? logical.width * logical.height : 64 * 64) * 4);
}

std::string name(Transform t, const Resolution& res, bool full)
{
    return "rotation/" + std::string(transform_name(t)) + "/" + res.name + (full ? "/full" : "/cursor64");
}

}  // namespace

void register_rotation_benchmarks()
{
    for (const Resolution& res : kResolutions) {
        for (bool full : {false, true}) {
            for (Transform t : kTransforms)
                benchmark::RegisterBenchmark(name(t, res, full).c_str(), copy, t, &res, full)
                    ->Unit(benchmark::kMicrosecond);
        }
    }
}

std::string report_rotation(const std::function<double(const std::string& name)>& cpu_ns)
{
    std::string out = "\nsoftware-rotated flush copy, CPU time against the plain copy of this run (x):\n";
    char line[160];
    std::snprintf(line, sizeof line, "  %-6s %-9s %10s %10s\n", "", "", "cursor64", "full");
    out += line;
    for (const Resolution& res : kResolutions) {
        const double plain_cursor = cpu_ns(name(Transform::normal, res, false));
        const double plain_full = cpu_ns(name(Transform::normal, res, true));
        std::snprintf(line, sizeof line, "  %-6s %-9s %8.2f us %8.0f us  (the plain copy)\n", res.name, "normal",
                      plain_cursor / 1000, plain_full / 1000);
        out += line;
        for (Transform t : kTransforms) {
            if (t == Transform::normal || plain_cursor <= 0 || plain_full <= 0)
                continue;
            std::snprintf(line, sizeof line, "  %-6s %-9s %9.2fx %9.2fx\n", res.name,
                          std::string(transform_name(t)).c_str(), cpu_ns(name(t, res, false)) / plain_cursor,
                          cpu_ns(name(t, res, true)) / plain_full);
            out += line;
        }
    }
    return out;
}

}  // namespace udefio::bench
