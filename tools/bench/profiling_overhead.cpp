// What profiling costs a flush: the same flush (a 64x64 cursor's explicit
// damage on a 1080p buffer, copied by a sink) with the recorder off and on.
// Off, the flush path differs from one without profiling by three branches on
// a pointer set before attach (deferred_io_state.cpp).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "defio/deferred_io_state.hpp"
#include "tools/bench/profiling_overhead.hpp"

namespace udefio::bench {
namespace {

// Copies the damage like the headless output, into a frame of its own.
class CopySink final : public Sink {
public:
    explicit CopySink(const BufferLayout& layout) : frame_(layout.bytes()) {}
    FlushResult flush(const SharedBuffer& src, std::span<PageRef* const>,
                      const Damage& damage, std::chrono::nanoseconds) override
    {
        uint64_t bytes = 0;
        for (const Rect& r : damage.rects()) {
            for (int32_t y = r.y; y < r.y + r.height; ++y) {
                const size_t offset = size_t(y) * src.layout().stride + size_t(r.x) * 4;
                std::memcpy(frame_.data() + offset, src.data() + offset, size_t(r.width) * 4);
            }
            bytes += uint64_t(r.area()) * 4;
        }
        return {bytes};
    }

private:
    std::vector<std::byte> frame_;
};

void cursor_flush(benchmark::State& state, bool profiling)
{
    const BufferLayout layout = BufferLayout::make(1920, 1080).value();
    DeferredIoOptions options;
    options.tracker = TrackerKind::explicit_damage;
    options.delay = std::chrono::hours(1);  // flushes happen only in flush_now()
    auto made = DeferredIoState::create(layout, options);
    if (!made)
        return state.SkipWithError(made.error().message().c_str());
    auto io = std::move(made).value();
    if (profiling)
        io->set_recorder(std::make_shared<FrameRecorder>(4096));
    CopySink sink(layout);
    if (!io->attach(sink))
        return state.SkipWithError("attach failed");
    int32_t x = 0;
    for (auto _ : state) {
        x = (x + 8) % (1920 - 64);
        io->add_damage({x, 500, 64, 64});
        io->flush_now();
    }
    io->detach();
}

}  // namespace

void register_profiling_benchmarks()
{
    benchmark::RegisterBenchmark("profiling/off/cursor_flush", cursor_flush, false)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("profiling/on/cursor_flush", cursor_flush, true)->Unit(benchmark::kMicrosecond);
}

}  // namespace udefio::bench
