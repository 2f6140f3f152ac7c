// An event loop on a thread of its own, as the compositor runs it, for tests.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "loop/event_loop.hpp"

namespace udefio::test {

// Runs `fn` on `loop`'s thread and waits for it.
template <class Fn>
void run_on(EventLoop& loop, Fn fn)
{
    std::promise<void> done;
    loop.post([&] {
        fn();
        done.set_value();
    });
    done.get_future().wait();
}

class LoopThread {
public:
    LoopThread() : loop_(EventLoop::create().value()), thread_([this] { loop_->run(); }) {}
    ~LoopThread() { stop(); }
    void stop()
    {
        loop_->stop();
        if (thread_.joinable())
            thread_.join();
    }
    EventLoop& loop() { return *loop_; }

    // Runs `fn` on the loop thread and waits for it.
    void run_on_loop(std::function<void()> fn) { run_on(*loop_, std::move(fn)); }

private:
    std::unique_ptr<EventLoop> loop_;
    std::thread thread_;
};

}  // namespace udefio::test
