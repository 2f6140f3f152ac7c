#include "backends/headless/headless_output.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

#include "defio/client_reads.hpp"
#include "util/clock.hpp"
#include "util/log.hpp"

namespace udefio {

Result<std::unique_ptr<HeadlessOutput>> HeadlessOutput::create(EventLoop& loop, std::string name, OutputMode mode,
                                                               HeadlessSnapshots snapshots, Transform transform)
{
    if (mode.width == 0 || mode.height == 0 || mode.refresh_mhz == 0)
        return plain_error("headless output: impossible mode " + std::to_string(mode.width) + "x" +
                           std::to_string(mode.height) + "@" + std::to_string(mode.refresh_mhz) + " mHz");
    auto output = std::make_unique<HeadlessOutput>(loop, std::move(name), mode, std::move(snapshots), transform);
    auto vblank = loop.make_timer(output->self_.bind([](HeadlessOutput& o) { o.on_vblank(); }));
    if (!vblank)
        return vblank.error();
    output->vblank_ = std::move(vblank).value();
    return output;
}

HeadlessOutput::HeadlessOutput(EventLoop& loop, std::string name, OutputMode mode, HeadlessSnapshots snapshots,
                               Transform transform)
    : Output(transform),
      loop_(loop),
      name_(std::move(name)),
      mode_(mode),
      snapshots_(std::move(snapshots)),
      copy_(geometry()),
      frame_{mode.width, mode.height, std::vector<uint32_t>(size_t(mode.width) * mode.height)},
      // Its commit is a copy: 2 ms to start with.
      vblank_clock_(mode.refresh_period(), std::chrono::milliseconds(2))
{
}

Result<void> HeadlessOutput::set_blanked(bool blanked)
{
    blanked_.store(blanked, std::memory_order_relaxed);
    return {};
}

Result<void> HeadlessOutput::hold_blanked(bool held)
{
    held_.store(held, std::memory_order_relaxed);
    return {};
}

FlushResult HeadlessOutput::flush(const SharedBuffer& src, std::span<PageRef* const>,
                                  const Damage& damage, std::chrono::nanoseconds due)
{
    // Something drew: the screen comes on with it, unless it is held off.
    blanked_.store(false, std::memory_order_relaxed);
    uint64_t bytes = 0;
    {
        std::lock_guard lock(frame_mutex_);
        [[maybe_unused]] const ClientReadScope client_reads;
        bytes = copy_.copy(reinterpret_cast<std::byte*>(frame_.pixels.data()), size_t(frame_.width) * 4, src,
                           damage.rects(), cursor_placement());
    }
    count_commit();
    count_bytes(bytes);
    // The copy into the frame is this output's commit.
    const auto committed = monotonic_now();
    vblank_clock_.committed(committed, due);
    Committed entry{committed, 0, notify_committed(committed)};
    if (auto fence = timeline_.create_fence(); fence) {
        (void)(*fence)->add_callback([this, token = entry.token](std::chrono::nanoseconds at) {
            count_fence_signalled();
            notify_fence_signalled(token, at);
        });
        entry.fence_seqno = (*fence)->seqno();
    } else {
        UDEFIO_LOG(warn, "headless: no scanout fence: %s", fence.error().message().c_str());
    }
    {
        std::lock_guard lock(committed_mutex_);
        committed_.push_back(entry);
    }
    loop_.post(self_.bind([](HeadlessOutput& o) { o.on_flushed(); }));
    return {bytes};
}

std::chrono::nanoseconds HeadlessOutput::flush_time(std::chrono::nanoseconds now,
                                                    std::chrono::nanoseconds ready) const
{
    // The flush's copy (its commit) must be done by the vblank: that is what
    // the clock's margin covers.
    return vblank_clock_.flush_time(now, ready);
}

void HeadlessOutput::on_flushed()
{
    if (!vblank_pending_)
        arm_vblank();  // else the pending vblank presents this flush, or arms the next one for it
}

void HeadlessOutput::arm_vblank()
{
    std::chrono::nanoseconds oldest;
    {
        std::lock_guard lock(committed_mutex_);
        if (committed_.empty())
            return;  // a vblank has shown them already
        oldest = committed_.front().at;
    }
    // The first grid point at or after that commit (it may have passed: the
    // loop was late) and after the last vblank, whose timer may have run early.
    const auto period = mode_.refresh_period();
    next_vblank_ = std::max(oldest + (period - oldest % period) % period, last_vblank_ + period);
    vblank_.arm(std::max(next_vblank_ - monotonic_now(), std::chrono::nanoseconds(0)));
    vblank_pending_ = true;
}

void HeadlessOutput::on_vblank()
{
    vblank_pending_ = false;
    // The vblank's own time, as KMS reports it, not when the timer ran
    // (libevent's clock is coarse: the timer can run a little early; on a
    // busy machine it runs late).
    const auto vblank = next_vblank_;
    last_vblank_ = vblank;
    // The clock counts vblanks, shown or not: the grid index, not sequence_.
    vblank_clock_.flipped(uint64_t(vblank / mode_.refresh_period()), vblank);
    // Exactly the flushes committed by the vblank's time, with their fences.
    // One committed after it, while its timer was late, was not shown at it.
    std::optional<Committed> shown;
    uint64_t fence_seqno = 0;
    {
        std::lock_guard lock(committed_mutex_);
        while (!committed_.empty() && committed_.front().at <= vblank) {
            shown = committed_.front();
            fence_seqno = std::max(fence_seqno, shown->fence_seqno);
            committed_.pop_front();
        }
    }
    arm_vblank();  // for those
    if (!shown)
        return;  // the vblank before showed this one's flushes already
    ++sequence_;
    count_presented();
    timeline_.signal_until(fence_seqno, vblank);
    notify_presented({sequence_, vblank}, shown->token);
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
    if (blanked())
        return {frame_.width, frame_.height, std::vector<uint32_t>(frame_.pixels.size())};
    return frame_;
}

Result<void> HeadlessOutput::snapshot_png(const std::string& path) const
{
    return udefio::write_png(path, frame());
}

std::chrono::nanoseconds HeadlessOutput::next_vblank(std::chrono::nanoseconds now) const
{
    const auto period = mode_.refresh_period();
    return now + (period - now % period);
}

VblankTiming HeadlessOutput::vblank_timing() const { return {true, vblank_clock_.margin(), vblank_clock_.misses()}; }

}  // namespace udefio
