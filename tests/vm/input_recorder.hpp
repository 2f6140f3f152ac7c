// What the input layer delivered, for the guest's input checks: the events
// in order, recorded on the loop thread, waited for from the test's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <future>
#include <mutex>
#include <vector>

#include "input/input_event.hpp"
#include "loop/event_loop.hpp"

namespace udefio::test {

class InputRecorder final : public InputListener {
public:
    void on_input(const InputEvent& event) override
    {
        std::lock_guard lock(mutex_);
        events_.push_back(event);
        changed_.notify_all();
    }

    // Waits until `pred(events)` holds; false after `limit` (a hung guest
    // or a missing event: generous, for TCG on a busy host).
    bool wait(const std::function<bool(const std::vector<InputEvent>&)>& pred,
              std::chrono::seconds limit = std::chrono::seconds(60))
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return pred(events_); });
    }
    std::vector<InputEvent> events() const
    {
        std::lock_guard lock(mutex_);
        return events_;
    }
    size_t size() const
    {
        std::lock_guard lock(mutex_);
        return events_.size();
    }

private:
    mutable std::mutex mutex_;  // protects events_; the loop thread appends, the test thread reads
    std::condition_variable changed_;
    std::vector<InputEvent> events_;
};

// Runs `fn` on the loop thread and waits for it.
template <class Fn>
auto on_loop(EventLoop& loop, Fn fn) -> decltype(fn())
{
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    loop.post([&task] { task(); });
    return result.get();
}

// The events from index `from` on whose payload is a T.
template <class T>
std::vector<std::pair<InputEvent, T>> events_of(const std::vector<InputEvent>& events, size_t from = 0)
{
    std::vector<std::pair<InputEvent, T>> found;
    for (size_t i = from; i < events.size(); ++i) {
        if (const T* t = std::get_if<T>(&events[i].what))
            found.emplace_back(events[i], *t);
    }
    return found;
}

}  // namespace udefio::test
