#include "input/key_repeat.hpp"

namespace udefio {

Result<std::unique_ptr<KeyRepeat>> KeyRepeat::create(EventLoop& loop, std::chrono::milliseconds delay, unsigned rate,
                                                     Fire fire)
{
    auto repeat = std::make_unique<KeyRepeat>(Key{}, delay, rate, std::move(fire));
    auto timer = loop.make_timer([r = repeat.get()] { r->on_timer(); });
    if (!timer)
        return timer.error();
    repeat->timer_ = std::move(timer).value();
    return repeat;
}

void KeyRepeat::press(uint32_t key)
{
    if (rate_ == 0)
        return;
    key_ = key;
    timer_.arm(delay_);
}

void KeyRepeat::release(uint32_t key)
{
    if (key_ == key)
        stop();
}

void KeyRepeat::stop()
{
    key_.reset();
    timer_.disarm();
}

void KeyRepeat::on_timer()
{
    if (!key_)
        return;
    timer_.arm(std::chrono::nanoseconds(std::chrono::seconds(1)) / rate_);
    fire_(*key_);
}

}  // namespace udefio
