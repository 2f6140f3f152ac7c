#include "backends/headless/headless_output.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>

#include "defio/client_reads.hpp"
#include "defio/pixel_copy.hpp"
#include "util/clock.hpp"
#include "util/log.hpp"

namespace udefio {

Result<std::unique_ptr<HeadlessOutput>> HeadlessOutput::create(EventLoop& loop, std::string name, OutputMode mode,
                                                               HeadlessSnapshots snapshots)
{
    if (mode.width == 0 || mode.height == 0 || mode.refresh_mhz == 0)
        return plain_error("headless output: impossible mode " + std::to_string(mode.width) + "x" +
                           std::to_string(mode.height) + "@" + std::to_string(mode.refresh_mhz) + " mHz");
    auto output = std::make_unique<HeadlessOutput>(loop, std::move(name), mode, std::move(snapshots));
    auto vblank = loop.make_timer(output->self_.bind([](HeadlessOutput& o) { o.on_vblank(); }));
    if (!vblank)
        return vblank.error();
    output->vblank_ = std::move(vblank).value();
    return output;
}

HeadlessOutput::HeadlessOutput(EventLoop& loop, std::string name, OutputMode mode, HeadlessSnapshots snapshots)
    : loop_(loop),
      name_(std::move(name)),
      mode_(mode),
      snapshots_(std::move(snapshots)),
      frame_{mode.width, mode.height, std::vector<uint32_t>(size_t(mode.width) * mode.height)},
      // Its commit is a copy and a post to the loop: 2 ms to start with.
      vblank_clock_(mode.refresh_period(), std::chrono::milliseconds(2))
{
}

FlushResult HeadlessOutput::flush(const SharedBuffer& src, std::span<PageRef* const>, const Damage& damage)
{
    const BufferLayout& layout = src.layout();
    uint64_t bytes = 0;
    {
        std::lock_guard lock(frame_mutex_);
        [[maybe_unused]] const ClientReadScope client_reads;
        for (const Rect& r : damage.rects())
            bytes += copy_rect(reinterpret_cast<std::byte*>(frame_.pixels.data()), size_t(frame_.width) * 4,
                               src.data(), layout.stride, r);
    }
    flushes_.fetch_add(1, std::memory_order_relaxed);
    bytes_copied_.fetch_add(bytes, std::memory_order_relaxed);
    // The copy into the frame is this output's commit.
    const auto committed = monotonic_now();
    vblank_clock_.committed(committed);
    const uint64_t token = notify_committed(committed);
    if (auto fence = timeline_.create_fence(); fence) {
        (void)(*fence)->add_callback([this, token](std::chrono::nanoseconds at) {
            fences_signalled_.fetch_add(1, std::memory_order_relaxed);
            notify_fence_signalled(token, at);
        });
        std::lock_guard lock(committed_mutex_);
        committed_ = {(*fence)->seqno(), token};
    } else {
        UDEFIO_LOG(warn, "headless: no scanout fence: %s", fence.error().message().c_str());
        std::lock_guard lock(committed_mutex_);
        committed_.token = token;
    }
    loop_.post(self_.bind([](HeadlessOutput& o) { o.on_flushed(); }));
    return {bytes};
}

std::chrono::nanoseconds HeadlessOutput::flush_time(std::chrono::nanoseconds now,
                                                    std::chrono::nanoseconds ready) const
{
    // The flush, then its post to the loop that arms the vblank, must be done
    // before the vblank: that is what the clock's margin covers.
    return vblank_clock_.flush_time(now, ready);
}

void HeadlessOutput::on_flushed()
{
    if (vblank_pending_)
        return;  // the next vblank presents this flush too
    const auto period = mode_.refresh_period();
    const auto now = monotonic_now();
    next_vblank_ = now - now % period + period;
    vblank_.arm(next_vblank_ - now);
    vblank_pending_ = true;
}

void HeadlessOutput::on_vblank()
{
    vblank_pending_ = false;
    // The vblank's own time, as KMS reports it, not when the timer ran
    // (libevent's clock may be coarse: the timer can run a little early).
    const auto vblank = next_vblank_;
    // The clock counts vblanks, shown or not: the grid index, not sequence_.
    vblank_clock_.flipped(uint64_t(vblank / mode_.refresh_period()), vblank);  // before the count below
    ++sequence_;
    presented_.fetch_add(1, std::memory_order_relaxed);
    // Exactly the flushes committed with their fence by now: one that is
    // between its commit and its fence goes to the next vblank, both halves.
    Committed shown;
    {
        std::lock_guard lock(committed_mutex_);
        shown = committed_;
    }
    timeline_.signal_until(shown.fence_seqno, vblank);
    notify_presented({sequence_, vblank}, shown.token);
    maybe_snapshot(std::chrono::steady_clock::now());
}

void HeadlessOutput::maybe_snapshot(std::chrono::steady_clock::time_point now)
{
    if (snapshots_.dir.empty() || now - last_snapshot_ < snapshots_.interval)
        return;
    last_snapshot_ = now;
    char number[16];
    std::snprintf(number, sizeof number, "%04llu.png",
                  static_cast<unsigned long long>(snapshots_taken_.load(std::memory_order_relaxed)));
    if (auto written = snapshot_png(snapshots_.dir + "/" + snapshots_.prefix + number); !written) {
        UDEFIO_LOG(error, "%s", written.error().message().c_str());
        return;
    }
    snapshots_taken_.fetch_add(1, std::memory_order_relaxed);
}

Image HeadlessOutput::frame() const
{
    std::lock_guard lock(frame_mutex_);
    return frame_;
}

Result<void> HeadlessOutput::snapshot_png(const std::string& path) const
{
    return udefio::write_png(path, frame());
}

OutputCounters HeadlessOutput::counters() const
{
    return {flushes_.load(std::memory_order_relaxed), presented_.load(std::memory_order_relaxed),
            bytes_copied_.load(std::memory_order_relaxed), fences_signalled_.load(std::memory_order_relaxed)};
}

VblankTiming HeadlessOutput::vblank_timing() const { return {true, vblank_clock_.margin(), vblank_clock_.misses()}; }

}  // namespace udefio
