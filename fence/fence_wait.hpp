// Waiting for a fence the way the loop thread may: its poll fd is watched
// in the event loop, and `then` runs there once it has signalled. Never a
// blocking wait (as "dma-fence: Fix races of fence callbacks versus destructors by locking" asks). Destroying the FenceWait stops waiting; it is
// loop-thread only, like every EventSource.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "loop/event_loop.hpp"
#include "fence/fence.hpp"

namespace udefio {

class FenceWait {
public:
    using Then = std::function<void(std::chrono::nanoseconds signalled_at)>;

    static Result<std::unique_ptr<FenceWait>> start(EventLoop& loop, std::shared_ptr<Fence> fence, Then then);

    const std::shared_ptr<Fence>& fence() const { return fence_; }
    bool done() const { return done_; }

    FenceWait(std::shared_ptr<Fence> fence, Then then) : fence_(std::move(fence)), then_(std::move(then)) {}

private:
    void on_readable();

    std::shared_ptr<Fence> fence_;
    Then then_;
    EventSource source_;
    bool done_ = false;
};

}  // namespace udefio
