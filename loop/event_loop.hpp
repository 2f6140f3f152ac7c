// The libevent loop that owns outputs, surfaces and clients, in RAII form.
// Other threads (the flush worker) reach it only through post().
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "util/doorbell.hpp"
#include "util/result.hpp"

struct event_base;
struct event;

namespace udefio {

// A registered fd, timer or signal; unregistered when destroyed.
class EventSource {
public:
    EventSource();
    EventSource(EventSource&&) noexcept;
    EventSource& operator=(EventSource&&) noexcept;
    ~EventSource();
    bool active() const { return impl_ != nullptr; }

    // For timers: (re)arms it to fire once after `after`.
    void arm(std::chrono::nanoseconds after);
    // Timers: stops it firing. Watches: stops watching until rearm().
    void disarm();
    // For fd watches: watches again after disarm().
    void rearm();

    struct Impl;

private:
    friend class EventLoop;
    explicit EventSource(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class EventLoop {
public:
    using Callback = std::function<void()>;

    static Result<std::unique_ptr<EventLoop>> create();
    ~EventLoop();

    // Persistent: `callback` runs each time `fd` becomes readable.
    Result<EventSource> watch_readable(int fd, Callback callback);
    // One-shot timer, armed with EventSource::arm().
    Result<EventSource> make_timer(Callback callback);
    // A signal delivered to the loop thread (libevent's self-pipe).
    Result<EventSource> watch_signal(int signo, Callback callback);

    // Runs `callback` on the loop thread soon. Any thread.
    void post(Callback callback);

    // Runs until stop(). Returns 0, or -1 if libevent failed.
    int run();
    // Any thread.
    void stop();

    event_base* base() const { return base_.get(); }

    struct Key {
        explicit Key() = default;
    };
    EventLoop(Key, event_base* base, Doorbell posted);

private:
    void run_posted();

    std::unique_ptr<event_base, void (*)(event_base*)> base_;
    Doorbell posted_bell_;
    EventSource posted_source_;
    std::mutex posted_mutex_;  // protects posted_; taken by post() and run_posted(), not while calling back
    std::deque<Callback> posted_;
};

}  // namespace udefio
