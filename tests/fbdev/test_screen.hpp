// The headless screen stand-in the fbdev tests run programs against: it owns
// an XRGB8888 canvas, records what the framebuffer reports, and delivers
// vblanks when told (or on a timer, for programs that wait for them).
#pragma once

#include <chrono>
#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <vector>

#include "fbdev/screen.hpp"
#include "loop/event_loop.hpp"

namespace udefio::test {

class TestScreen final : public fbdev::Screen {
public:
    explicit TestScreen(uint32_t width, uint32_t height) : pixels_(size_t{width} * height, 0)
    {
        mode_.width = width;
        mode_.height = height;
    }

    fbdev::ScreenMode mode() const override { return mode_; }
    fbdev::Canvas canvas() override { return {reinterpret_cast<std::byte*>(pixels_.data()), mode_.width * 4}; }
    void damaged(const Rect& rect) override
    {
        std::lock_guard lock(mutex_);
        damage_.push_back(rect);
        ++damage_count_;
        changed_.notify_all();
    }
    void flush_hint() override
    {
        std::lock_guard lock(mutex_);
        ++flush_hints_;
    }
    void wait_vblank(std::function<void()> done) override
    {
        std::lock_guard lock(mutex_);
        vblank_waiters_.push_back(std::move(done));
        changed_.notify_all();
    }
    void set_blanked(bool blanked) override
    {
        std::lock_guard lock(mutex_);
        blanked_ = blanked;
        ++blank_calls_;
    }

    // Runs what waits for the vblank (on the calling thread: the loop's, in tests with a loop).
    size_t vblank()
    {
        std::vector<std::function<void()>> waiters;
        {
            std::lock_guard lock(mutex_);
            waiters.swap(vblank_waiters_);
        }
        for (auto& w : waiters)
            w();
        return waiters.size();
    }
    size_t vblank_waiters() const
    {
        std::lock_guard lock(mutex_);
        return vblank_waiters_.size();
    }

    // Paints the canvas black (while nothing flushes into it).
    void clear() { std::fill(pixels_.begin(), pixels_.end(), 0u); }
    // The canvas pixel, with the X byte cleared.
    uint32_t pixel(uint32_t x, uint32_t y) const { return pixels_[size_t{y} * mode_.width + x] & 0xffffff; }
    const std::vector<uint32_t>& pixels() const { return pixels_; }
    std::vector<Rect> take_damage()
    {
        std::lock_guard lock(mutex_);
        return std::exchange(damage_, {});
    }
    uint64_t damage_count() const
    {
        std::lock_guard lock(mutex_);
        return damage_count_;
    }
    int flush_hints() const
    {
        std::lock_guard lock(mutex_);
        return flush_hints_;
    }
    bool blanked() const
    {
        std::lock_guard lock(mutex_);
        return blanked_;
    }
    int blank_calls() const
    {
        std::lock_guard lock(mutex_);
        return blank_calls_;
    }
    // Waits until `pred(*this)` holds after some damage, at most `limit`.
    template <class Pred>
    bool wait_until(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(10000))
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] {
            lock.unlock();
            const bool ok = pred(*this);
            lock.lock();
            return ok;
        });
    }

private:
    fbdev::ScreenMode mode_;
    std::vector<uint32_t> pixels_;
    mutable std::mutex mutex_;  // everything below; pixels_ are written by the flush only
    std::condition_variable changed_;
    std::vector<Rect> damage_;
    uint64_t damage_count_ = 0;
    std::vector<std::function<void()>> vblank_waiters_;
    int flush_hints_ = 0;
    bool blanked_ = false;
    int blank_calls_ = 0;
};

// A 60 Hz vblank for a TestScreen, on the loop thread, for programs that
// wait for it in a loop (SDL's flips).
class VblankTicker {
public:
    VblankTicker(EventLoop& loop, TestScreen& screen) : screen_(screen)
    {
        timer_ = loop.make_timer([this] { tick(); }).value();
        timer_.arm(kPeriod);
    }

private:
    static constexpr std::chrono::nanoseconds kPeriod{16'666'667};
    void tick()
    {
        screen_.vblank();
        timer_.arm(kPeriod);
    }
    TestScreen& screen_;
    EventSource timer_;
};

}  // namespace udefio::test
