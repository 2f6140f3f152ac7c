#include "defio/flush_worker.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdint>

#include "util/log.hpp"

namespace udefio {

namespace {

// A one-shot absolute timer at `at`.
itimerspec timer_spec(std::chrono::nanoseconds at)
{
    // A zero it_value disarms a timerfd; the earliest real time is 1 ns.
    if (at.count() <= 0)
        at = std::chrono::nanoseconds(1);
    return itimerspec{{0, 0}, {static_cast<time_t>(at.count() / 1'000'000'000), static_cast<long>(at.count() % 1'000'000'000)}};
}

void drain(int fd)
{
    uint64_t value;
    [[maybe_unused]] ssize_t n = ::read(fd, &value, sizeof value);
}

}  // namespace

Result<std::unique_ptr<FlushWorker>> FlushWorker::start(Callbacks callbacks, int doorbell_fd)
{
    UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!timer)
        return errno_error("timerfd_create() for the flush timer");
    UniqueFd look_timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!look_timer)
        return errno_error("timerfd_create() for the tracker's look timer");
    UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop)
        return errno_error("eventfd() for the flush worker's stop signal");
    auto worker = std::make_unique<FlushWorker>(Key{}, std::move(callbacks), doorbell_fd, std::move(timer),
                                                std::move(look_timer), std::move(stop));
    worker->thread_ = std::thread([w = worker.get()] { w->run(); });
    // Named for top -H, gdb and the tests that wait for it to sleep.
    ::pthread_setname_np(worker->thread_.native_handle(), "udefio-flush");
    return worker;
}

FlushWorker::FlushWorker(Key, Callbacks callbacks, int doorbell_fd, UniqueFd timer, UniqueFd look_timer,
                         UniqueFd stop)
    : callbacks_(std::move(callbacks)),
      doorbell_fd_(doorbell_fd),
      timer_(std::move(timer)),
      look_timer_(std::move(look_timer)),
      stop_(std::move(stop))
{
}

FlushWorker::~FlushWorker() { cancel_sync(); }

bool FlushWorker::schedule_at(std::chrono::nanoseconds at)
{
    std::lock_guard guard(mutex_);
    if (armed_ || cancelled_)
        return false;
    const itimerspec spec = timer_spec(at);
    if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
        UDEFIO_LOG(error, "timerfd_settime() for a deferred flush failed: %s", std::strerror(errno));
        return false;
    }
    armed_ = true;
    due_ = at;
    return true;
}

void FlushWorker::schedule_look_at(std::chrono::nanoseconds at)
{
    std::lock_guard guard(mutex_);
    if (cancelled_)
        return;
    const itimerspec spec = timer_spec(at);
    if (::timerfd_settime(look_timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
        UDEFIO_LOG(error, "timerfd_settime() for the tracker's next look failed: %s", std::strerror(errno));
}

void FlushWorker::cancel_sync()
{
    {
        std::lock_guard guard(mutex_);
        cancelled_ = true;
    }
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_.get(), &one, sizeof one);
    if (thread_.joinable())
        thread_.join();
}

void FlushWorker::run()
{
    enum { kStop, kTimer, kDoorbell, kLook };
    pollfd fds[4] = {
        {stop_.get(), POLLIN, 0},
        {timer_.get(), POLLIN, 0},
        {doorbell_fd_, POLLIN, 0},  // a negative fd is ignored by poll()
        {look_timer_.get(), POLLIN, 0},
    };
    for (;;) {
        if (::poll(fds, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            UDEFIO_LOG(error, "poll() in the flush worker failed: %s; flushing stops", std::strerror(errno));
            return;
        }
        wakeups_.fetch_add(1, std::memory_order_relaxed);
        if (fds[kStop].revents)
            return;
        if (fds[kDoorbell].revents) {
            drain(doorbell_fd_);
            callbacks_.write_seen();
        }
        if (fds[kLook].revents) {
            drain(look_timer_.get());
            callbacks_.look();
        }
        if (fds[kTimer].revents) {
            drain(timer_.get());
            std::chrono::nanoseconds due;
            {
                std::lock_guard guard(mutex_);
                if (cancelled_)
                    return;
                // Cleared before the work runs: a write seen during the flush
                // arms the timer again and lands in the next flush.
                armed_ = false;
                due = due_;
            }
            callbacks_.deferred_work(due);
        }
    }
}

}  // namespace udefio
