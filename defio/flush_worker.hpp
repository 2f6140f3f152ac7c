// The delayed work of fb_defio.c as a thread of its own: it sleeps in poll()
// on a one-shot timer (the deferred flush), a second one-shot timer (the next
// look, for trackers that must be polled: their collect says so), the
// tracker's write doorbell and a stop fd, so it wakes only when there is
// something to do.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class FlushWorker {
public:
    struct Callbacks {
        std::function<void()> write_seen;     // the tracker's doorbell rang
        std::function<void()> look;           // the timer armed by schedule_look_at() expired
        // The timer armed by schedule_at() expired; `due` is the time it was armed for.
        std::function<void(std::chrono::nanoseconds due)> deferred_work;
    };

    // doorbell_fd: readable after a write (-1: none).
    static Result<std::unique_ptr<FlushWorker>> start(Callbacks callbacks, int doorbell_fd);
    ~FlushWorker();

    // Arms the one-shot timer for `at` (CLOCK_MONOTONIC) unless it is armed
    // already (later writes only add pages). Any thread. No-op after cancel_sync().
    // Returns whether this call armed it.
    bool schedule_at(std::chrono::nanoseconds at);
    // Arms the look timer for `at` (CLOCK_MONOTONIC), or moves it there. Any thread.
    void schedule_look_at(std::chrono::nanoseconds at);

    // After return no callback is running and none will run again. Must not be
    // called from a callback, nor while holding a lock that a callback takes.
    void cancel_sync();

    // Returns from poll() so far: each is one wakeup of this thread.
    uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

private:
    struct Key {
        explicit Key() = default;
    };

public:
    FlushWorker(Key, Callbacks callbacks, int doorbell_fd, UniqueFd timer, UniqueFd look_timer, UniqueFd stop);

private:
    void run();

    const Callbacks callbacks_;
    const int doorbell_fd_;
    UniqueFd timer_;       // one-shot: the deferred flush
    UniqueFd look_timer_;  // one-shot: the next look
    UniqueFd stop_;        // eventfd written by cancel_sync()

    std::mutex mutex_;       // protects armed_, due_ and cancelled_; taken by schedule_at(),
                             // schedule_look_at(), the worker thread and cancel_sync(), never while calling back
    bool armed_ = false;     // the one-shot timer is set and has not fired yet
    std::chrono::nanoseconds due_{};  // what it was set for
    bool cancelled_ = false;

    std::atomic<uint64_t> wakeups_{0};
    std::thread thread_;
};

}  // namespace udefio
