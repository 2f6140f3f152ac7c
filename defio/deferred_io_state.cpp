#include "defio/deferred_io_state.hpp"

#include <mutex>

#include "util/clock.hpp"
#include "util/log.hpp"
#include "defio/tracker_probe.hpp"

namespace udefio {

Result<std::shared_ptr<DeferredIoState>> DeferredIoState::create(const BufferLayout& layout,
                                                                 const DeferredIoOptions& options)
{
    auto buffer = SharedBuffer::create(layout);
    if (!buffer)
        return buffer.error();
    auto tracker = make_best_tracker(buffer->bytes(), options.tracker);
    if (!tracker)
        return tracker.error();
    return std::make_shared<DeferredIoState>(Key{}, std::move(buffer).value(), std::move(tracker).value(),
                                             options);
}

DeferredIoState::DeferredIoState(Key, SharedBuffer buffer, std::unique_ptr<Tracker> tracker,
                                 const DeferredIoOptions& options)
    : options_(options),
      tracker_kind_(tracker->kind()),
      buffer_(std::move(buffer)),
      pagerefs_(buffer_.layout().pages()),
      tracker_(std::move(tracker))
{
    for (size_t i = 0; i < pagerefs_.size(); ++i)
        pagerefs_[i].index = static_cast<uint32_t>(i);
}

DeferredIoState::~DeferredIoState()
{
    if (worker_)
        worker_->cancel_sync();
}

void DeferredIoState::set_recorder(std::shared_ptr<FrameRecorder> recorder)
{
    std::unique_lock lock(lock_);
    if (!info_ && !detached_)
        recorder_ = std::move(recorder);
}

Result<void> DeferredIoState::attach(Sink& sink)
{
    std::unique_lock lock(lock_);
    if (info_ || detached_)
        return plain_error("deferred I/O state is already attached to an output (or was detached)");
    const int doorbell = tracker_->write_doorbell_fd();
    const auto poll_interval = tracker_->needs_polling() ? options_.poll_interval : std::chrono::nanoseconds(0);
    auto worker = FlushWorker::start(
        {
            [this] { notify_write(); },
            [this] { poll_tracker(); },
            [this] { deferred_work(); },
        },
        doorbell, poll_interval);
    if (!worker)
        return worker.error();
    worker_ = std::move(worker).value();
    info_ = &sink;
    flags_.set(kFlagScanout, lock);
    return {};
}

void DeferredIoState::detach()
{
    {
        std::unique_lock lock(lock_);
        if (!info_)
            return;
        // From here on notify_write() refuses and a queued flush finds no sink:
        // this closes the seed-000 review race (a flush scheduled after unlock
        // vs cancel in cleanup), because scheduling only happens under lock_
        // with info_ set, and the work re-checks info_ under lock_.
        info_ = nullptr;
        detached_ = true;
        flags_.clear(kFlagScanout, lock);
        flags_.set(kFlagRevoked, lock);
    }
    worker_->cancel_sync();
    std::unique_lock lock(lock_);
    tracker_.reset();
    pagereflist_.clear();
    if (auto revoked = buffer_.revoke(); !revoked)
        UDEFIO_LOG(error, "%s; clients keep a stale mapping", revoked.error().message().c_str());
}

bool DeferredIoState::notify_write()
{
    std::shared_lock lock(lock_);
    if (!info_)
        return false;
    (void)flags_.set_shared(kFlagWritten, lock);
    if (recorder_) {
        int64_t none = 0;
        first_write_ns_.compare_exchange_strong(none, monotonic_now().count(), std::memory_order_relaxed);
    }
    schedule_flush();
    return true;
}

bool DeferredIoState::add_damage(const Rect& rect)
{
    {
        std::unique_lock lock(lock_);
        if (!info_)
            return false;
        explicit_damage_.add(rect);
        explicit_damage_.collapse_past();  // every client's commits add here: it must stay small
    }
    return notify_write();
}

void DeferredIoState::schedule_flush()
{
    const auto now = monotonic_now();
    worker_->schedule_at(info_->flush_time(now, now + options_.delay));
}

void DeferredIoState::flush_now()
{
    std::unique_lock lock(lock_);
    flush_locked(lock);
}

bool DeferredIoState::attached() const
{
    std::shared_lock lock(lock_);
    return info_ != nullptr;
}

FlushStats DeferredIoState::stats() const
{
    std::shared_lock lock(lock_);
    FlushStats stats = stats_;
    stats.wakeups = worker_ ? worker_->wakeups() : 0;
    return stats;
}

void DeferredIoState::deferred_work()
{
    std::unique_lock lock(lock_);
    flush_locked(lock);
}

void DeferredIoState::poll_tracker()
{
    std::unique_lock lock(lock_);
    if (!info_)
        return;
    collected_.clear();
    if (auto r = tracker_->collect(collected_); !r) {
        UDEFIO_LOG(error, "%s", r.error().message().c_str());
        return;
    }
    bool added = false;
    for (uint32_t page : collected_)
        added |= pagereflist_.add(pagerefs_[page]);
    if (recorder_) {
        // The write happened after the previous look: that bounds it.
        if (added && !look_bound_.count())
            look_bound_ = last_look_.count() ? last_look_ : monotonic_now();
        last_look_ = monotonic_now();
    }
    if (added || !pagereflist_.empty())
        schedule_flush();
}

void DeferredIoState::flush_locked(const std::unique_lock<std::shared_mutex>& lock)
{
    if (!info_)
        return;  // the output is gone: flushes are no-ops
    const auto started = std::chrono::steady_clock::now();
    const auto started_mono = recorder_ ? monotonic_now() : std::chrono::nanoseconds(0);
    flags_.clear(kFlagWritten, lock);
    collected_.clear();
    if (auto r = tracker_->collect(collected_); !r)
        UDEFIO_LOG(error, "%s", r.error().message().c_str());
    for (uint32_t page : collected_)
        pagereflist_.add(pagerefs_[page]);
    // The client is still drawing and the tracker's doorbell is not armed:
    // look again after the delay (that look arms it if the client stopped).
    if (!collected_.empty() && tracker_->doorbell_only_when_idle())
        schedule_flush();

    const auto pages = pagereflist_.sorted();
    Damage damage = explicit_damage_;
    damage.add_pages(pages, buffer_.layout());
    damage.clip_to(buffer_.layout());
    if (!damage.empty()) {
        const uint64_t frame = recorder_ ? record_flush_start(started_mono, pages.size(), damage) : 0;
        const FlushResult result = info_->flush(buffer_, pages, damage);
        stats_.flushes += 1;
        stats_.pages += pages.size();
        stats_.damage_pixels += static_cast<uint64_t>(damage.area());
        stats_.bytes_copied += result.bytes_copied;
        stats_.flush_ns += uint64_t(std::chrono::nanoseconds(std::chrono::steady_clock::now() - started).count());
        if (recorder_)
            recorder_->flush_ended(frame, monotonic_now(), result.bytes_copied);
    }
    if (recorder_) {
        last_look_ = started_mono;
        look_bound_ = {};
    }
    pagereflist_.clear();
    explicit_damage_.clear();
}

uint64_t DeferredIoState::record_flush_start(std::chrono::nanoseconds started, size_t pages, const Damage& damage)
{
    FrameRecord record;
    record.tracker = tracker_kind_;
    const int64_t first = first_write_ns_.exchange(0, std::memory_order_relaxed);
    record.first_write_exact = first != 0 && first <= started.count();
    if (record.first_write_exact)
        record.first_write = std::chrono::nanoseconds(first);
    else if (look_bound_.count())
        record.first_write = look_bound_;
    else
        record.first_write = last_look_.count() ? last_look_ : started;
    record.flush_start = started;
    record.pages = static_cast<uint32_t>(pages);
    record.rects = damage.rects();
    record.damage_pixels = static_cast<uint64_t>(damage.area());
    record.full_frame_bytes = uint64_t(buffer_.layout().width) * buffer_.layout().height * 4;
    return recorder_->flush_started(std::move(record));
}

}  // namespace udefio
