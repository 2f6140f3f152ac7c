// Runs inside the QEMU guest (tests/vm/test_kms.py, the input boot, after
// udefio-input-up started seatd, VT-bound as it runs by default): the KMS
// backend and the input layer share one seat session, and a real VT switch
// away and back (chvt 2, chvt 1) makes seatd disable and enable the seat.
// Checks that both are told: while disabled the DRM fd is no longer master
// and the input devices are closed (keys typed then never arrive); after
// enable, master is back and the keyboard types again. The KMS output
// shows a frame: what is drawn while disabled is flushed (the worker runs)
// but never committed, and after enable the output sets its mode again and
// shows the current frame, drawn while away included (a screendump).
#include <xf86drm.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <iostream>
#include <thread>

#include "backends/kms/kms_backend.hpp"
#include "input/seat_input.hpp"
#include "tests/vm/input_recorder.hpp"
#include "tests/vm/uinput_device.hpp"
#include "tests/vm/screendump.hpp"

using namespace udefio;
using namespace udefio::test;
using namespace std::chrono_literals;

using test::screendump;

namespace {

int fail(const std::string& what)
{
    std::fprintf(stderr, "seat_check: %s\n", what.c_str());
    return 1;
}

// What the seat looked like to a listener added after the KMS backend and
// the input layer, so told after them.
class SwitchWatch final : public SeatListener {
public:
    SwitchWatch(int drm_fd, SeatInput& input) : drm_fd_(drm_fd), input_(input) {}

    void on_seat_disabled() override { record(disabled_); }
    void on_seat_enabled() override { record(enabled_); }

    struct Seen {
        bool happened = false;
        bool master = false;
        size_t devices = 0;
    };
    Seen wait_disabled() { return wait(disabled_); }
    Seen wait_enabled() { return wait(enabled_); }

private:
    void record(Seen& seen)
    {
        std::lock_guard lock(mutex_);
        seen = {true, drmIsMaster(drm_fd_) != 0, input_.devices()};
        changed_.notify_all();
    }
    Seen wait(Seen& seen)
    {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, 30s, [&] { return seen.happened; });
        return seen;
    }

    int drm_fd_;
    SeatInput& input_;
    std::mutex mutex_;  // protects disabled_ and enabled_; the loop thread records, the test thread waits
    std::condition_variable changed_;
    Seen disabled_, enabled_;
};

size_t added_count(const std::vector<InputEvent>& events, const std::string& name)
{
    size_t n = 0;
    for (const auto& [e, added] : events_of<DeviceAdded>(events))
        n += added.name == name;
    return n;
}

bool typed(const std::vector<InputEvent>& events, uint32_t key)
{
    for (const auto& [e, k] : events_of<KeyEvent>(events)) {
        if (k.key == key && k.pressed)
            return true;
    }
    return false;
}

template <class Pred>
bool wait_until(Pred pred)
{
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

void fill(DeferredIoState& state, int32_t x0, int32_t y0, int32_t w, int32_t h, uint32_t colour)
{
    const BufferLayout& layout = state.layout();
    for (int32_t y = y0; y < y0 + h; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(state.buffer().data() + size_t(y) * layout.stride);
        for (int32_t x = x0; x < x0 + w; ++x)
            row[x] = colour;
    }
}

bool chvt(int vt)
{
    const std::string command = "chvt " + std::to_string(vt);
    return std::system(command.c_str()) == 0;
}

}  // namespace

int main()
{
    auto loop = EventLoop::create();
    if (!loop)
        return fail(loop.error().message());
    auto seat = SeatSession::open(**loop);
    if (!seat)
        return fail("no seat session: " + seat.error().message());
    auto backend = KmsBackend::create(**loop, KmsOptions{}, seat->get());
    if (!backend)
        return fail(backend.error().message());
    const int drm_fd = (*backend)->device().fd();
    auto* output = static_cast<KmsOutput*>((*backend)->outputs().front());
    const Size frame = output->frame_size();
    DeferredIoOptions frame_options;
    frame_options.delay = 10ms;
    auto state =
        DeferredIoState::create(BufferLayout::make(uint32_t(frame.width), uint32_t(frame.height)).value(), frame_options);
    if (!state)
        return fail(state.error().message());
    if (auto r = output->attach(*state); !r)
        return fail(r.error().message());
    InputRecorder recorder;
    InputConfig config;
    config.keyboard.layout = "us";
    auto input = SeatInput::create(**loop, seat->get(), config, recorder);
    if (!input)
        return fail(input.error().message());
    SwitchWatch watch(drm_fd, **input);
    (*seat)->add_listener(watch);
    std::thread loop_thread([&] { (*loop)->run(); });
    auto finish = [&](int rc) {
        (*loop)->stop();
        loop_thread.join();
        (*seat)->remove_listener(watch);
        output->detach();
        return rc;
    };
    // Grey, on screen before the switch.
    fill(**state, 0, 0, frame.width, frame.height, 0x00404040u);
    if (!wait_until([&] { return output->counters().presented > 0; }))
        return finish(fail("the grey frame was never presented"));

    auto kbd = UinputDevice::keyboard("udefio-seat-keyboard");
    if (!kbd)
        return finish(fail("cannot create a uinput keyboard"));
    if (!recorder.wait([&](const auto& events) { return added_count(events, kbd->name()) == 1; }, 30s))
        return finish(fail("the keyboard was not added"));
    kbd->key(KEY_A, 1), kbd->key(KEY_A, 0);
    if (!recorder.wait([](const auto& events) { return typed(events, KEY_A); }, 30s))
        return finish(fail("no key before the switch"));
    if (!drmIsMaster(drm_fd))
        return finish(fail("the DRM device opened through the seat is not master"));

    if (!chvt(2))
        return finish(fail("chvt 2 failed"));
    const SwitchWatch::Seen away = watch.wait_disabled();
    if (!away.happened)
        return finish(fail("no disable after the switch to VT 2"));
    if (away.master || away.devices != 0)
        return finish(fail("while disabled: DRM master " + std::to_string(away.master) + ", " +
                           std::to_string(away.devices) + " input devices open (expected neither)"));
    kbd->key(KEY_B, 1), kbd->key(KEY_B, 0);  // typed while away: must never arrive
    // Drawn while away: the flush runs (the tracker keeps tracking) but nothing is committed.
    const uint64_t commits_away = output->counters().commits;
    const uint64_t flushes_away = (*state)->stats().flushes;
    fill(**state, 200, 100, 64, 64, 0x00ff0000u);
    if (!wait_until([&] { return (*state)->stats().flushes > flushes_away; }))
        return finish(fail("the square drawn while away was never flushed"));
    if (output->counters().commits != commits_away)
        return finish(fail("committed while the seat was disabled: " +
                           std::to_string(output->counters().commits - commits_away) + " commits"));

    if (!chvt(1))
        return finish(fail("chvt 1 failed"));
    const SwitchWatch::Seen back = watch.wait_enabled();
    if (!back.happened)
        return finish(fail("no enable after the switch back to VT 1"));
    if (!back.master)
        return finish(fail("after enable the DRM device is not master again"));
    // The mode is set again and the whole frame redrawn: the square drawn while away is shown.
    if (!wait_until([&] {
            const OutputCounters c = output->counters();
            return c.commits > commits_away && c.presented >= c.commits;
        }))
        return finish(fail("nothing committed and presented after enable"));
    if (!screendump("seat-after-enable"))
        return finish(fail("screendump failed"));
    if (!recorder.wait([&](const auto& events) { return added_count(events, kbd->name()) == 2; }, 30s))
        return finish(fail("the keyboard was not added again after enable"));
    kbd->key(KEY_C, 1), kbd->key(KEY_C, 0);
    if (!recorder.wait([](const auto& events) { return typed(events, KEY_C); }, 30s))
        return finish(fail("no key after the switch back"));
    // KEY_C came after KEY_B was typed: had B been delivered, it would be there.
    if (typed(recorder.events(), KEY_B))
        return finish(fail("a key typed while the seat was disabled was delivered"));
    const auto counts = on_loop(**loop, [&] { return std::pair{(*seat)->disables(), (*seat)->enables()}; });
    if (counts != std::pair<uint64_t, uint64_t>{1, 1})
        return finish(fail("seat disables/enables: " + std::to_string(counts.first) + "/" +
                           std::to_string(counts.second)));
    std::printf("seat_check: ok (seat %s shared by KMS and input; disabled: master=0 devices=0; enabled: master=1 "
                "devices=%zu; the key typed while away was not delivered; commits while away=0, after enable=%llu)\n",
                (*seat)->name().c_str(), back.devices,
                static_cast<unsigned long long>(output->counters().commits - commits_away));
    return finish(0);
}
