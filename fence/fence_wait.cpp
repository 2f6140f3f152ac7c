#include "fence/fence_wait.hpp"

namespace udefio {

Result<std::unique_ptr<FenceWait>> FenceWait::start(EventLoop& loop, std::shared_ptr<Fence> fence, Then then)
{
    auto wait = std::make_unique<FenceWait>(std::move(fence), std::move(then));
    auto source = loop.watch_readable(wait->fence_->poll_fd(), [w = wait.get()] { w->on_readable(); });
    if (!source)
        return source.error();
    wait->source_ = std::move(source).value();
    return wait;
}

void FenceWait::on_readable()
{
    if (done_ || !fence_->check_sync_file())
        return;
    done_ = true;
    source_.disarm();  // a signalled fence stays readable: stop watching it
    then_(fence_->signalled_at().value_or(std::chrono::nanoseconds(0)));
}

}  // namespace udefio
