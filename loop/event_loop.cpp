#include "loop/event_loop.hpp"

#include <event2/event.h>

#include <csignal>

namespace udefio {

struct EventSource::Impl {
    event* ev = nullptr;
    EventLoop::Callback callback;
    ~Impl()
    {
        if (ev)
            event_free(ev);
    }
};

namespace {

void dispatch(evutil_socket_t, short, void* arg) { static_cast<EventSource::Impl*>(arg)->callback(); }

timeval to_timeval(std::chrono::nanoseconds ns)
{
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(ns).count();
    return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

}  // namespace

EventSource::EventSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventSource::EventSource() = default;
EventSource::EventSource(EventSource&&) noexcept = default;
EventSource& EventSource::operator=(EventSource&&) noexcept = default;
EventSource::~EventSource() = default;

void EventSource::arm(std::chrono::nanoseconds after)
{
    const timeval tv = to_timeval(after);
    event_add(impl_->ev, &tv);
}

void EventSource::disarm() { event_del(impl_->ev); }

void EventSource::rearm() { event_add(impl_->ev, nullptr); }

Result<std::unique_ptr<EventLoop>> EventLoop::create()
{
    // Precise timers (timerfd under epoll): the headless vblank and flush
    // deadlines need better than libevent's default millisecond rounding.
    std::unique_ptr<event_config, void (*)(event_config*)> config(event_config_new(), event_config_free);
    if (config)
        event_config_set_flag(config.get(), EVENT_BASE_FLAG_PRECISE_TIMER);
    event_base* base = config ? event_base_new_with_config(config.get()) : event_base_new();
    if (!base)
        return plain_error("event_base_new() failed");
    auto bell = Doorbell::create();
    if (!bell) {
        event_base_free(base);
        return bell.error();
    }
    auto loop = std::make_unique<EventLoop>(Key{}, base, std::move(bell).value());
    auto source = loop->watch_readable(loop->posted_bell_.fd(), [l = loop.get()] { l->run_posted(); });
    if (!source)
        return source.error();
    loop->posted_source_ = std::move(source).value();
    return loop;
}

EventLoop::EventLoop(Key, event_base* base, Doorbell posted)
    : base_(base, event_base_free), posted_bell_(std::move(posted))
{
}

EventLoop::~EventLoop() = default;

Result<EventSource> EventLoop::watch_readable(int fd, Callback callback)
{
    auto impl = std::make_unique<EventSource::Impl>();
    impl->callback = std::move(callback);
    impl->ev = event_new(base_.get(), fd, EV_READ | EV_PERSIST, dispatch, impl.get());
    if (!impl->ev || event_add(impl->ev, nullptr) != 0)
        return plain_error("cannot watch fd " + std::to_string(fd) + " in the event loop");
    return EventSource(std::move(impl));
}

Result<EventSource> EventLoop::make_timer(Callback callback)
{
    auto impl = std::make_unique<EventSource::Impl>();
    impl->callback = std::move(callback);
    impl->ev = evtimer_new(base_.get(), dispatch, impl.get());
    if (!impl->ev)
        return plain_error("cannot create a timer in the event loop");
    return EventSource(std::move(impl));
}

Result<EventSource> EventLoop::watch_signal(int signo, Callback callback)
{
    auto impl = std::make_unique<EventSource::Impl>();
    impl->callback = std::move(callback);
    impl->ev = evsignal_new(base_.get(), signo, dispatch, impl.get());
    if (!impl->ev || event_add(impl->ev, nullptr) != 0)
        return plain_error("cannot watch signal " + std::to_string(signo) + " in the event loop");
    return EventSource(std::move(impl));
}

void EventLoop::post(Callback callback)
{
    {
        std::lock_guard guard(posted_mutex_);
        posted_.push_back(std::move(callback));
    }
    posted_bell_.ring();
}

void EventLoop::run_posted()
{
    posted_bell_.drain();
    std::deque<Callback> batch;
    {
        std::lock_guard guard(posted_mutex_);
        batch.swap(posted_);
    }
    for (auto& callback : batch)
        callback();
}

int EventLoop::run() { return event_base_dispatch(base_.get()) < 0 ? -1 : 0; }

void EventLoop::stop()
{
    // event_base_loopbreak() is not thread-safe without evthread; post() is.
    post([this] { event_base_loopbreak(base_.get()); });
}

}  // namespace udefio
