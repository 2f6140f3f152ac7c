// Key repeat on the event loop: a held key repeats, the last key pressed
// takes over, a release stops it, rate 0 never repeats.
#include <gtest/gtest.h>

#include <vector>

#include "input/key_repeat.hpp"

using namespace udefio;
using namespace std::chrono_literals;

TEST(KeyRepeat, AHeldKeyRepeatsUntilReleased)
{
    auto loop = EventLoop::create().value();
    std::vector<uint32_t> fired;
    std::unique_ptr<KeyRepeat> repeat;
    repeat = KeyRepeat::create(*loop, 1ms, 1000, [&](uint32_t key) {
                 fired.push_back(key);
                 if (fired.size() == 3)
                     loop->stop();
             }).value();
    repeat->press(30);
    EXPECT_EQ(repeat->repeating(), 30u);
    ASSERT_EQ(loop->run(), 0);
    EXPECT_EQ(fired, (std::vector<uint32_t>{30, 30, 30}));
    repeat->release(31);  // another key's release changes nothing
    EXPECT_EQ(repeat->repeating(), 30u);
    repeat->release(30);
    EXPECT_FALSE(repeat->repeating());
}

TEST(KeyRepeat, AReleasedKeyFiresNoMore)
{
    // Two repeats with the same timing, the one under test armed first: in
    // each round its timer expires no later than the control's, so when
    // the control has fired five times the released one would have fired
    // by then, had it not stopped.
    auto loop = EventLoop::create().value();
    int released_fired = 0, control_fired = 0;
    auto released = KeyRepeat::create(*loop, 2ms, 500, [&](uint32_t) { ++released_fired; }).value();
    auto control = KeyRepeat::create(*loop, 2ms, 500, [&](uint32_t) {
                       if (++control_fired == 5)
                           loop->stop();
                   }).value();
    released->press(30);
    control->press(31);
    released->release(30);
    ASSERT_EQ(loop->run(), 0);
    EXPECT_EQ(control_fired, 5);
    EXPECT_EQ(released_fired, 0);
}

TEST(KeyRepeat, TheLastKeyPressedTakesOver)
{
    auto loop = EventLoop::create().value();
    std::vector<uint32_t> fired;
    auto repeat = KeyRepeat::create(*loop, 1ms, 1000, [&](uint32_t key) {
                      fired.push_back(key);
                      loop->stop();
                  }).value();
    repeat->press(30);
    repeat->press(48);
    repeat->release(30);  // the first key's release does not stop the second's repeat
    ASSERT_EQ(loop->run(), 0);
    EXPECT_EQ(fired, (std::vector<uint32_t>{48}));
}

TEST(KeyRepeat, RateZeroNeverRepeats)
{
    auto loop = EventLoop::create().value();
    auto repeat = KeyRepeat::create(*loop, 1ms, 0, [](uint32_t) { FAIL() << "repeated at rate 0"; }).value();
    repeat->press(30);
    EXPECT_FALSE(repeat->repeating());
}
