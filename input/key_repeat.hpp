// Key repeat for the seat: the key held last repeats after a delay at a
// rate, from a timer on the event loop. Devices' own repeats (the kernel's
// EV_KEY value 2) never get here: libinput drops them, so a device that
// floods them costs nothing. The timer is armed afresh after each repeat,
// so a loop that was held up sends one repeat late, never a burst.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "loop/event_loop.hpp"

namespace udefio {

class KeyRepeat {
public:
    using Fire = std::function<void(uint32_t key)>;

    // `rate` repeats a second after `delay`; rate 0: keys never repeat.
    static Result<std::unique_ptr<KeyRepeat>> create(EventLoop& loop, std::chrono::milliseconds delay, unsigned rate,
                                                     Fire fire);
    KeyRepeat(const KeyRepeat&) = delete;
    KeyRepeat& operator=(const KeyRepeat&) = delete;

    // `key` was pressed and repeats: it replaces any key repeating before.
    void press(uint32_t key);
    // `key` was released: its repeat stops (another key's goes on).
    void release(uint32_t key);
    void stop();
    std::optional<uint32_t> repeating() const { return key_; }

    struct Key {
        explicit Key() = default;
    };
    KeyRepeat(Key, std::chrono::milliseconds delay, unsigned rate, Fire fire)
        : delay_(delay), rate_(rate), fire_(std::move(fire))
    {
    }

private:
    void on_timer();

    std::chrono::milliseconds delay_;
    unsigned rate_;
    Fire fire_;
    std::optional<uint32_t> key_;
    EventSource timer_;
};

}  // namespace udefio
