// Runs inside the QEMU guest (tests/vm/test_kms.py, the input boot): makes
// uinput devices of each kind while udefio's input layer runs (so they are
// added at run time, through udevd and libinput) and checks what it
// delivers: keys as keysyms, text and tty bytes, key repeat, a storm of the
// kernel's own repeats, the relative mouse (buttons, wheel, clamping), the
// absolute tablet and 10 touch points mapped for each of the 8 transforms,
// and devices that disappear in the middle of an event.
#include <linux/input.h>

#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "input/seat_input.hpp"
#include "input/tty_keys.hpp"
#include "tests/vm/input_recorder.hpp"
#include "tests/vm/uinput_device.hpp"

using namespace udefio;
using namespace udefio::test;
using namespace std::chrono_literals;

namespace {

constexpr Size kPanel{640, 480};
constexpr Transform kTransforms[] = {Transform::normal,  Transform::rotate_90,  Transform::rotate_180,
                                     Transform::rotate_270, Transform::flipped, Transform::flipped_90,
                                     Transform::flipped_180, Transform::flipped_270};

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            std::fprintf(stderr, "input_check: %s:%d: %s: ", __func__, __LINE__, #cond); \
            std::fprintf(stderr, __VA_ARGS__);                                    \
            std::fprintf(stderr, "\n");                                           \
            return false;                                                         \
        }                                                                         \
    } while (0)

// Where panel pixel (x, y) is for the user, written out per transform
// (wl_output_transform turns the panel counter-clockwise, after a flip).
PointF expected(Transform t, double x, double y)
{
    const double w = kPanel.width - 1, h = kPanel.height - 1;
    switch (t) {
    case Transform::normal: return {x, y};
    case Transform::rotate_90: return {h - y, x};
    case Transform::rotate_180: return {w - x, h - y};
    case Transform::rotate_270: return {y, w - x};
    case Transform::flipped: return {w - x, y};
    case Transform::flipped_90: return {y, x};
    case Transform::flipped_180: return {x, h - y};
    case Transform::flipped_270: return {h - y, w - x};
    }
    return {};
}

struct Check {
    EventLoop& loop;
    SeatInput& input;
    InputRecorder& recorder;

    // The number of the device named `name`, once added (0 if it never is).
    uint32_t wait_added(const std::string& name, DeviceCapabilities* caps)
    {
        uint32_t number = 0;
        recorder.wait([&](const std::vector<InputEvent>& events) {
            for (const auto& [e, added] : events_of<DeviceAdded>(events)) {
                if (added.name == name) {
                    number = e.device;
                    *caps = added.capabilities;
                }
            }
            return number != 0;
        });
        return number;
    }
    bool wait_count(size_t from, size_t n, const std::function<bool(const InputEvent&)>& match)
    {
        return recorder.wait([&](const std::vector<InputEvent>& events) {
            size_t found = 0;
            for (size_t i = from; i < events.size(); ++i)
                found += match(events[i]);
            return found >= n;
        }, 20s);
    }
    template <class T>
    bool wait_for(size_t from, size_t n = 1)
    {
        return wait_count(from, n, [](const InputEvent& e) { return std::holds_alternative<T>(e.what); });
    }
    bool wait_key(size_t from, uint32_t key, bool pressed, bool repeat = false, size_t n = 1)
    {
        return wait_count(from, n, [&](const InputEvent& e) {
            const auto* k = std::get_if<KeyEvent>(&e.what);
            return k && k->key == key && k->pressed == pressed && k->repeat == repeat;
        });
    }
    void set_transform(Transform t)
    {
        on_loop(loop, [&] { input.set_geometry({kPanel, t}); });
    }
    std::optional<uint32_t> repeating() { return on_loop(loop, [&] { return input.repeating_key(); }); }

    bool keyboard();
    bool mouse();
    bool tablet();
    bool touch();
};

bool Check::keyboard()
{
    auto kbd = UinputDevice::keyboard("udefio-test-keyboard");
    CHECK(kbd, "cannot create a uinput keyboard");
    DeviceCapabilities caps;
    const uint32_t id = wait_added(kbd->name(), &caps);
    CHECK(id && caps.keyboard && !caps.touch, "keyboard not added as one");

    // Text, Shift, and what a console program reads.
    size_t from = recorder.size();
    kbd->key(KEY_A, 1), kbd->key(KEY_A, 0);
    kbd->key(KEY_LEFTSHIFT, 1), kbd->key(KEY_A, 1), kbd->key(KEY_A, 0), kbd->key(KEY_LEFTSHIFT, 0);
    kbd->key(KEY_UP, 1), kbd->key(KEY_UP, 0);
    CHECK(wait_for<KeyEvent>(from, 8), "8 key events expected");
    auto keys = events_of<KeyEvent>(recorder.events(), from);
    CHECK(keys[0].second.utf8 == "a" && keys[0].second.pressed && keys[0].first.device == id, "a");
    CHECK(!keys[1].second.pressed && keys[1].second.utf8.empty(), "release of a");
    CHECK(keys[3].second.utf8 == "A" && keys[3].second.mods.shift, "Shift+a typed '%s'", keys[3].second.utf8.c_str());
    struct Tty final : TtyListener {
        std::string bytes;
        void on_tty_bytes(std::string_view b) override { bytes += b; }
    } tty;
    TtyInput tty_input(tty);
    for (const auto& [e, key] : keys)
        tty_input.on_input(e);
    CHECK(tty.bytes == "aA\x1b[A", "tty bytes: %zu of them", tty.bytes.size());

    // Key repeat: a held key repeats until released, then stops.
    from = recorder.size();
    kbd->key(KEY_B, 1);
    CHECK(wait_key(from, KEY_B, true, true, 3), "no 3 repeats of a held key");
    kbd->key(KEY_B, 0);
    CHECK(wait_key(from, KEY_B, false), "release of the repeating key");
    CHECK(!repeating(), "still repeating after the release");
    for (const auto& [e, key] : events_of<KeyEvent>(recorder.events(), from)) {
        if (key.repeat)
            CHECK(key.utf8 == "b" && e.device == id, "a repeat typed '%s'", key.utf8.c_str());
    }

    // A storm of the kernel's own repeats (EV_KEY value 2), in bursts the
    // evdev buffer holds, each ended by a marker key that proves the
    // burst was read: none becomes a press.
    from = recorder.size();
    kbd->key(KEY_C, 1);
    for (int burst = 0; burst < 100; ++burst) {
        const size_t before = recorder.size();
        for (int i = 0; i < 20; ++i)
            kbd->key(KEY_C, 2);
        kbd->key(KEY_1, 1), kbd->key(KEY_1, 0);
        CHECK(wait_key(before, KEY_1, false), "marker after burst %d", burst);
    }
    kbd->key(KEY_C, 0);
    CHECK(wait_key(from, KEY_C, false), "release after the storm");
    size_t presses = 0, releases = 0, repeats = 0;
    for (const auto& [e, key] : events_of<KeyEvent>(recorder.events(), from)) {
        if (key.key == KEY_C)
            (key.repeat ? repeats : key.pressed ? presses : releases)++;
    }
    CHECK(presses == 1 && releases == 1, "2000 kernel repeats: %zu presses, %zu releases", presses, releases);
    std::printf("input_check: 2000 kernel repeats of a held key: 1 press, 1 release, %zu repeats of udefio's own\n",
                repeats);

    // A storm of presses: 500 taps, every one delivered, in order.
    from = recorder.size();
    for (int burst = 0; burst < 50; ++burst) {
        const size_t before = recorder.size();
        for (int i = 0; i < 10; ++i)
            kbd->key(KEY_D, 1), kbd->key(KEY_D, 0);
        CHECK(wait_key(before, KEY_D, false, false, 10), "burst %d of taps", burst);
    }
    keys = events_of<KeyEvent>(recorder.events(), from);
    size_t taps = 0;
    for (size_t i = 0; i + 1 < keys.size(); i += 2)
        taps += keys[i].second.pressed && !keys[i + 1].second.pressed && keys[i].second.key == KEY_D;
    CHECK(keys.size() == 1000 && taps == 500, "500 taps: %zu key events, %zu taps in order", keys.size(), taps);

    // The keyboard goes in the middle of an event while a key repeats. The
    // kernel ends the half event itself (unregistering a device releases
    // its keys, with a SYN_REPORT): whatever was delivered of the device,
    // every key pressed is released by its removal, and the repeat stops.
    from = recorder.size();
    kbd->key(KEY_E, 1);
    CHECK(wait_key(from, KEY_E, true, true), "repeat before the removal");
    kbd->write(EV_KEY, KEY_F, 1);  // no SYN_REPORT
    kbd.reset();
    CHECK(wait_for<DeviceRemoved>(from), "keyboard not removed");
    std::map<uint32_t, int> held;
    for (const auto& [e, key] : events_of<KeyEvent>(recorder.events())) {
        if (e.device == id && !key.repeat)
            held[key.key] += key.pressed ? 1 : -1;
    }
    for (const auto& [key, count] : held)
        CHECK(count == 0, "key %u of the removed keyboard left %s", key, count > 0 ? "pressed" : "released twice");
    CHECK(held[KEY_E] == 0 && held.count(KEY_E), "the held key was not seen");
    CHECK(!repeating(), "a key of a removed keyboard still repeats");
    const bool half_delivered = held.count(KEY_F) != 0;
    std::printf("input_check: keyboard ok (text, Shift, tty bytes, repeat, 2000-repeat storm, 500 taps, removal "
                "mid-event: keys released, the half event %s)\n",
                half_delivered ? "completed by the kernel with its release" : "dropped");
    return true;
}

bool Check::mouse()
{
    auto mouse = UinputDevice::mouse("udefio-test-mouse");
    CHECK(mouse, "cannot create a uinput mouse");
    DeviceCapabilities caps;
    CHECK(wait_added(mouse->name(), &caps) && caps.pointer && !caps.keyboard, "mouse not added as a pointer");
    for (Transform t : kTransforms) {
        set_transform(t);
        const Size logical = transformed_size(t, kPanel);
        // A click says where the cursor is (libinput may hold a release
        // back a little, to tell a click from a bouncing switch).
        size_t from = recorder.size();
        mouse->key(BTN_LEFT, 1), mouse->key(BTN_LEFT, 0);
        CHECK(wait_for<PointerButton>(from, 2), "left click");
        const auto buttons = events_of<PointerButton>(recorder.events(), from);
        CHECK(buttons[0].second.button == BTN_LEFT && buttons[0].second.pressed && !buttons[1].second.pressed,
              "left click: button %u", buttons[0].second.button);
        from = recorder.size();
        mouse->write(EV_REL, REL_X, 20), mouse->sync();
        mouse->write(EV_REL, REL_Y, 15), mouse->sync();
        CHECK(wait_for<PointerMotion>(from, 2), "%s: motion", std::string(transform_name(t)).c_str());
        const auto motions = events_of<PointerMotion>(recorder.events(), from);
        const PointF p0 = buttons[1].second.position;
        const PointerMotion& m1 = motions[0].second;
        const PointerMotion& m2 = motions[1].second;
        // Relative motion is the user's, in the picture they see: not turned.
        CHECK(!m1.absolute && m1.delta.x > 0 && m1.delta.y == 0, "%s: REL_X moved by (%g, %g)",
              std::string(transform_name(t)).c_str(), m1.delta.x, m1.delta.y);
        CHECK(m2.delta.x == 0 && m2.delta.y > 0, "REL_Y moved by (%g, %g)", m2.delta.x, m2.delta.y);
        CHECK(m1.position.x == std::min(p0.x + m1.delta.x, logical.width - 1.0) && m1.position.y == p0.y,
              "position (%g, %g) after (%g, %g) + (%g, 0)", m1.position.x, m1.position.y, p0.x, p0.y, m1.delta.x);
        // The cursor stays on the output.
        from = recorder.size();
        mouse->write(EV_REL, REL_X, -10000), mouse->sync();
        mouse->write(EV_REL, REL_Y, 10000), mouse->sync();
        CHECK(wait_for<PointerMotion>(from, 2), "far motion");
        const PointF corner = events_of<PointerMotion>(recorder.events(), from)[1].second.position;
        CHECK(corner.x == 0 && corner.y == logical.height - 1, "%s: clamped to (%g, %g), not (0, %d)",
              std::string(transform_name(t)).c_str(), corner.x, corner.y, logical.height - 1);
    }
    size_t from = recorder.size();
    mouse->write(EV_REL, REL_WHEEL, 1), mouse->sync();
    mouse->write(EV_REL, REL_HWHEEL, 1), mouse->sync();
    CHECK(wait_for<PointerAxis>(from, 2), "wheel");
    mouse->key(BTN_RIGHT, 1), mouse->key(BTN_RIGHT, 0);
    CHECK(wait_for<PointerButton>(from, 2), "right button");
    const auto axes = events_of<PointerAxis>(recorder.events(), from);
    CHECK(axes[0].second.source == AxisSource::wheel && axes[0].second.vertical_v120 == -120 &&
              axes[0].second.vertical < 0, "wheel up: v120 %d, value %g", axes[0].second.vertical_v120,
          axes[0].second.vertical);
    CHECK(axes[1].second.horizontal_v120 == 120, "wheel right: v120 %d", axes[1].second.horizontal_v120);
    CHECK(events_of<PointerButton>(recorder.events(), from)[0].second.button == BTN_RIGHT, "right button");
    std::printf("input_check: mouse ok (relative motion unturned for 8 transforms, clamped, buttons, wheel)\n");
    return true;
}

bool Check::tablet()
{
    auto tablet = UinputDevice::tablet("udefio-test-tablet", kPanel.width, kPanel.height);
    CHECK(tablet, "cannot create a uinput tablet");
    DeviceCapabilities caps;
    CHECK(wait_added(tablet->name(), &caps) && caps.pointer && !caps.touch, "tablet not added as a pointer");
    int round = 0;
    for (Transform t : kTransforms) {
        set_transform(t);
        const int x = 100 + 7 * round, y = 50 + 5 * round;
        ++round;
        const size_t from = recorder.size();
        tablet->write(EV_ABS, ABS_X, x), tablet->write(EV_ABS, ABS_Y, y), tablet->sync();
        CHECK(wait_for<PointerMotion>(from), "tablet motion");
        tablet->key(BTN_LEFT, 1), tablet->key(BTN_LEFT, 0);
        CHECK(wait_for<PointerButton>(from, 2), "tablet click");
        const auto motion = events_of<PointerMotion>(recorder.events(), from);
        const PointF want = expected(t, x, y);
        CHECK(motion.size() == 1 && motion[0].second.absolute && motion[0].second.position == want,
              "%s: panel (%d, %d) delivered at (%g, %g), expected (%g, %g)", std::string(transform_name(t)).c_str(),
              x, y, motion[0].second.position.x, motion[0].second.position.y, want.x, want.y);
        CHECK(events_of<PointerButton>(recorder.events(), from)[0].second.position == want, "click position");
    }
    std::printf("input_check: tablet ok (absolute positions mapped for 8 transforms)\n");
    return true;
}

bool Check::touch()
{
    auto screen = UinputDevice::touchscreen("udefio-test-touch", kPanel.width, kPanel.height);
    CHECK(screen, "cannot create a uinput touch screen");
    DeviceCapabilities caps;
    CHECK(wait_added(screen->name(), &caps) && caps.touch && !caps.pointer, "touch screen not added as touch");
    int round = 0, tracking = 1;
    for (Transform t : kTransforms) {
        const std::string name(transform_name(t));
        set_transform(t);
        auto point = [&](int slot) { return std::pair{20 + 60 * slot + round, 10 + 45 * slot + round}; };
        // Ten fingers at once, in one frame.
        size_t from = recorder.size();
        for (int s = 0; s < UinputDevice::kTouchSlots; ++s) {
            screen->write(EV_ABS, ABS_MT_SLOT, s);
            screen->write(EV_ABS, ABS_MT_TRACKING_ID, tracking++);
            screen->write(EV_ABS, ABS_MT_POSITION_X, point(s).first);
            screen->write(EV_ABS, ABS_MT_POSITION_Y, point(s).second);
        }
        screen->write(EV_KEY, BTN_TOUCH, 1);
        screen->write(EV_ABS, ABS_X, point(0).first), screen->write(EV_ABS, ABS_Y, point(0).second);
        screen->sync();
        CHECK(wait_for<TouchDown>(from, 10) && wait_for<TouchFrame>(from), "%s: 10 touch downs", name.c_str());
        const auto downs = events_of<TouchDown>(recorder.events(), from);
        std::set<int32_t> ids;
        int32_t id_of_3 = -1;
        for (int s = 0; s < UinputDevice::kTouchSlots; ++s) {
            const PointF want = expected(t, point(s).first, point(s).second);
            int found = 0;
            for (const auto& [e, down] : downs) {
                if (down.position == want) {
                    ++found;
                    if (s == 3)
                        id_of_3 = down.id;
                }
            }
            CHECK(found == 1, "%s: finger %d at panel (%d, %d) not delivered at (%g, %g)", name.c_str(), s,
                  point(s).first, point(s).second, want.x, want.y);
        }
        for (const auto& [e, down] : downs)
            ids.insert(down.id);
        CHECK(downs.size() == 10 && ids.size() == 10, "%s: %zu downs, %zu distinct ids", name.c_str(), downs.size(),
              ids.size());
        // One finger moves.
        from = recorder.size();
        screen->write(EV_ABS, ABS_MT_SLOT, 3);
        screen->write(EV_ABS, ABS_MT_POSITION_X, point(3).first + 5);
        screen->sync();
        CHECK(wait_for<TouchMotion>(from), "%s: motion", name.c_str());
        const auto motion = events_of<TouchMotion>(recorder.events(), from);
        const PointF moved = expected(t, point(3).first + 5, point(3).second);
        CHECK(motion.size() == 1 && motion[0].second.id == id_of_3 && motion[0].second.position == moved,
              "%s: finger 3 moved to (%g, %g), expected id %d at (%g, %g)", name.c_str(),
              motion[0].second.position.x, motion[0].second.position.y, id_of_3, moved.x, moved.y);
        // All lift.
        from = recorder.size();
        for (int s = 0; s < UinputDevice::kTouchSlots; ++s) {
            screen->write(EV_ABS, ABS_MT_SLOT, s);
            screen->write(EV_ABS, ABS_MT_TRACKING_ID, -1);
        }
        screen->write(EV_KEY, BTN_TOUCH, 0);
        screen->sync();
        CHECK(wait_for<TouchUp>(from, 10) && wait_for<TouchFrame>(from), "%s: 10 touch ups", name.c_str());
        std::set<int32_t> up_ids;
        for (const auto& [e, up] : events_of<TouchUp>(recorder.events(), from))
            up_ids.insert(up.id);
        CHECK(up_ids == ids, "%s: the ups are not the downs", name.c_str());
        ++round;
    }

    // Two fingers down, then the screen goes in the middle of an event:
    // every point that went down ends (up, or a cancel of all) before the
    // device is removed.
    size_t from = recorder.size();
    for (int s = 0; s < 2; ++s) {
        screen->write(EV_ABS, ABS_MT_SLOT, s);
        screen->write(EV_ABS, ABS_MT_TRACKING_ID, tracking++);
        screen->write(EV_ABS, ABS_MT_POSITION_X, 300 + 10 * s);
        screen->write(EV_ABS, ABS_MT_POSITION_Y, 200);
    }
    screen->write(EV_KEY, BTN_TOUCH, 1);
    screen->sync();
    CHECK(wait_for<TouchDown>(from, 2) && wait_for<TouchFrame>(from), "two fingers down");
    screen->write(EV_ABS, ABS_MT_SLOT, 0);
    screen->write(EV_ABS, ABS_MT_POSITION_X, 400);  // no SYN_REPORT
    screen.reset();
    CHECK(wait_for<DeviceRemoved>(from), "touch screen not removed");
    std::set<int32_t> down;
    for (const auto& e : recorder.events()) {
        if (const auto* d = std::get_if<TouchDown>(&e.what))
            down.insert(d->id);
        else if (const auto* u = std::get_if<TouchUp>(&e.what))
            down.erase(u->id);
        else if (std::holds_alternative<TouchCancel>(e.what))
            down.clear();
    }
    CHECK(down.empty(), "%zu touch points of the removed screen never ended", down.size());
    std::printf("input_check: touch ok (10 points mapped for 8 transforms, motion, up; removal mid-event: every "
                "point ended)\n");
    return true;
}

}  // namespace

int main()
{
    auto loop = EventLoop::create();
    if (!loop)
        return std::fprintf(stderr, "input_check: %s\n", loop.error().message().c_str()), 1;
    std::unique_ptr<SeatSession> seat;
    if (auto session = SeatSession::open(**loop))
        seat = std::move(session).value();
    else
        std::printf("input_check: no seat (%s): devices opened directly\n", session.error().message().c_str());
    InputRecorder recorder;
    InputConfig config;
    config.keyboard.rules = "evdev", config.keyboard.model = "pc105", config.keyboard.layout = "us";
    config.keyboard.repeat_delay = 150ms;
    config.keyboard.repeat_rate = 40;
    auto input = SeatInput::create(**loop, seat.get(), config, recorder);
    if (!input)
        return std::fprintf(stderr, "input_check: %s\n", input.error().message().c_str()), 1;
    std::printf("input_check: input layer up on seat %s, %zu devices at start\n",
                seat ? seat->name().c_str() : "seat0 (no session)", (*input)->devices());
    std::thread loop_thread([&] { (*loop)->run(); });
    Check check{**loop, **input, recorder};
    const bool ok = check.keyboard() && check.mouse() && check.tablet() && check.touch();
    (*loop)->stop();
    loop_thread.join();
    std::printf("input_check: %s (%zu events)\n", ok ? "ok" : "FAILED", recorder.size());
    return ok ? 0 : 1;
}
