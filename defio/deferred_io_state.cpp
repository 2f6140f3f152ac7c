#include "defio/deferred_io_state.hpp"

#include <algorithm>
#include <mutex>

#include "util/clock.hpp"
#include "util/log.hpp"
#include "defio/tracker_probe.hpp"
#include "defio/tracking_cost.hpp"

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
    if (!info_ && !flags_.test(kFlagRevoked))
        recorder_ = std::move(recorder);
}

Result<void> DeferredIoState::attach(Sink& sink)
{
    std::unique_lock lock(lock_);
    if (info_ || flags_.test(kFlagRevoked))
        return plain_error("deferred I/O state is already attached to an output (or was detached)");
    DamageFinderOptions damage = options_.damage;
    damage.exact = damage.exact && sink.damage_shape().exact;
    auto finder = DamageFinder::create(buffer_, *tracker_, damage, tracking_cost(tracker_kind_));
    if (!finder)
        return finder.error();
    auto worker = FlushWorker::start(
        {
            [this] { notify_write(); },
            [this] { look_tracker(); },
            [this](std::chrono::nanoseconds due) { deferred_work(due); },
        },
        tracker_->write_doorbell_fd());
    if (!worker)
        return worker.error();
    finder_ = std::move(finder).value();
    worker_ = std::move(worker).value();
    info_ = &sink;
    // The first look: it says when to look again (and arms a doorbell).
    NextLook next = NextLook::when_told;
    if (auto found = finder_->look(next); !found)
        UDEFIO_LOG(error, "%s", found.error().message().c_str());
    else if (*found)
        schedule_flush();
    look_again(next);
    return {};
}

void DeferredIoState::detach()
{
    {
        std::unique_lock lock(lock_);
        if (!info_)
            return;
        // From here on notify_write() refuses and a queued flush finds no sink:
        // this closes the review race of "fbdev: defio: Protect against
        // device/module removal" (a flush scheduled after unlock
        // vs cancel in cleanup), because scheduling only happens under lock_
        // with info_ set, and the work re-checks info_ under lock_.
        info_ = nullptr;
        flags_.set(kFlagRevoked, lock);
    }
    worker_->cancel_sync();
    std::unique_lock lock(lock_);
    finder_.reset();  // before the tracker it uses
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
    auto before = flags_.set_shared(kFlagWritten, lock);
    if (recorder_) {
        int64_t none = 0;
        first_write_ns_.compare_exchange_strong(none, monotonic_now().count(), std::memory_order_relaxed);
    }
    // Already written since the flush began: the flush it armed is still to
    // come (its timer armed, or fired and waiting for the lock), and it
    // collects this write too.
    if (!before || !(*before & kFlagWritten))
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
    flush_locked(lock, monotonic_now());
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

void DeferredIoState::deferred_work(std::chrono::nanoseconds due)
{
    std::unique_lock lock(lock_);
    flush_locked(lock, due);
}

void DeferredIoState::look_again(NextLook next)
{
    switch (next) {
    case NextLook::when_told: break;
    case NextLook::after_delay: schedule_flush(); break;
    case NextLook::after_poll_interval: worker_->schedule_look_at(monotonic_now() + poll_interval()); break;
    }
    polling_ = next == NextLook::after_poll_interval;
}

std::chrono::nanoseconds DeferredIoState::poll_interval() const
{
    return slow_poll_ ? std::max<std::chrono::nanoseconds>(options_.poll_interval, kSlowPoll) : options_.poll_interval;
}

void DeferredIoState::poll_slowly(bool slow)
{
    std::unique_lock lock(lock_);
    if (slow_poll_ == slow)
        return;
    slow_poll_ = slow;
    // The look already armed is moved to the new interval (from now).
    if (info_ && polling_)
        worker_->schedule_look_at(monotonic_now() + poll_interval());
}

void DeferredIoState::look_tracker()
{
    std::unique_lock lock(lock_);
    if (!info_)
        return;
    NextLook next = NextLook::when_told;
    auto found = finder_->look(next);
    if (!found) {
        UDEFIO_LOG(error, "%s", found.error().message().c_str());
        return;
    }
    if (recorder_) {
        // The write happened after the previous look: that bounds it.
        if (*found && !look_bound_.count())
            look_bound_ = last_look_.count() ? last_look_ : monotonic_now();
        last_look_ = monotonic_now();
    }
    if (*found)
        schedule_flush();
    look_again(next);
}

void DeferredIoState::flush_locked(const std::unique_lock<std::shared_mutex>& lock, std::chrono::nanoseconds due)
{
    if (!info_)
        return;  // the output is gone: flushes are no-ops
    const auto started = std::chrono::steady_clock::now();
    const auto started_mono = recorder_ ? monotonic_now() : std::chrono::nanoseconds(0);
    flags_.clear(kFlagWritten, lock);
    auto found = finder_->find(explicit_damage_);
    if (!found) {
        // The client's damage waits for the next flush, which the next write arms.
        UDEFIO_LOG(error, "%s", found.error().message().c_str());
        return;
    }
    explicit_damage_.clear();
    const FoundDamage& f = **found;
    if (!f.damage.empty()) {
        for (uint32_t page : f.pages)
            pagereflist_.add(pagerefs_[page]);
        const uint64_t frame = recorder_ ? record_flush_start(started_mono, f) : 0;
        const FlushResult result = info_->flush(*f.source, pagereflist_.sorted(), f.damage, due);
        pagereflist_.clear();
        stats_.flushes += 1;
        stats_.pages += f.pages.size();
        stats_.damage_pixels += static_cast<uint64_t>(f.damage.area());
        stats_.bytes_copied += result.bytes_copied;
        stats_.flush_ns += uint64_t(std::chrono::nanoseconds(std::chrono::steady_clock::now() - started).count());
        if (recorder_)
            recorder_->flush_ended(frame, monotonic_now(), result.bytes_copied);
    }
    stats_.faults_taken += f.counts.faults_taken;
    stats_.faults_avoided += f.counts.faults_avoided;
    stats_.pages_compared += f.counts.pages_compared;
    stats_.pages_unchanged += f.counts.pages_unchanged;
    stats_.full_copies += f.counts.full_copy;
    if (recorder_) {
        last_look_ = started_mono;
        look_bound_ = {};
    }
    // Still being written, or pages left open: look again after the delay.
    look_again(f.next);
}

uint64_t DeferredIoState::record_flush_start(std::chrono::nanoseconds started, const FoundDamage& found)
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
    record.pages = static_cast<uint32_t>(found.pages.size());
    record.rects = found.damage.rects();
    record.damage_pixels = static_cast<uint64_t>(found.damage.area());
    record.full_frame_bytes = uint64_t(buffer_.layout().width) * buffer_.layout().height * 4;
    record.faults_taken = found.counts.faults_taken;
    record.faults_avoided = found.counts.faults_avoided;
    record.pages_compared = found.counts.pages_compared;
    record.pages_unchanged = found.counts.pages_unchanged;
    record.full_copy = found.counts.full_copy;
    return recorder_->flush_started(std::move(record));
}

}  // namespace udefio
