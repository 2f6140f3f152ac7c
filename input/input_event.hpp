// The input udefio delivers: one normalised event for every device kind, in
// the logical space of the output (after its transform, as clients see it).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

#include "util/transform.hpp"

namespace udefio {

// What a device can do (libinput's capabilities that udefio handles).
struct DeviceCapabilities {
    bool keyboard = false;
    bool pointer = false;
    bool touch = false;
    bool operator==(const DeviceCapabilities&) const = default;
};

struct DeviceAdded {
    std::string name;
    DeviceCapabilities capabilities;
};
// Last event of the device: libinput released its keys, buttons and touch
// points before it (with events of their own).
struct DeviceRemoved {
    std::string name;
};

// The modifiers, as xkb_state_serialize_mods/layout gives them (what a
// Wayland-style client needs to run its own xkb state), and the common ones.
struct Modifiers {
    uint32_t depressed = 0, latched = 0, locked = 0, group = 0;
    bool shift = false;
    bool ctrl = false;
    bool alt = false;
    bool logo = false;
    bool operator==(const Modifiers&) const = default;
};

struct KeyEvent {
    uint32_t key = 0;  // the evdev code (KEY_A); the xkb keycode is key + 8
    bool pressed = false;
    bool repeat = false;  // made by udefio's key repeat while the key is held
    uint32_t keysym = 0;  // xkb keysym under the layout and the modifiers below
    std::string utf8;     // what a press types ("" for none or a release), control characters included
    Modifiers mods;       // in effect for this key (before it changed them)
};

// The cursor moved, to `position` (logical pixels, inside the output).
// Relative devices move it by `delta` in the logical space (the user sees
// the rotated picture); absolute ones (tablets, a VM's pointer) are mapped
// from the panel like touch.
struct PointerMotion {
    PointF position;
    PointF delta;
    bool absolute = false;
};

struct PointerButton {
    uint32_t button = 0;  // BTN_LEFT, ...
    bool pressed = false;
    PointF position;
};

enum class AxisSource : uint8_t { wheel, finger, continuous };

// Scroll amounts in libinput's units (about pixels); `*_v120` counts wheel
// clicks in 120ths (a click is 120), 0 for other sources.
struct PointerAxis {
    AxisSource source = AxisSource::wheel;
    double vertical = 0;
    double horizontal = 0;
    int32_t vertical_v120 = 0;
    int32_t horizontal_v120 = 0;
    PointF position;
};

// Touch points are numbered across the seat (libinput's seat slot); a
// frame ends each set of changes that happened at once.
struct TouchDown {
    int32_t id = 0;
    PointF position;
};
struct TouchMotion {
    int32_t id = 0;
    PointF position;
};
struct TouchUp {
    int32_t id = 0;
};
struct TouchFrame {};
// Every point of the device is gone without an up (the kernel said so).
struct TouchCancel {};

struct InputEvent {
    std::chrono::microseconds time{};  // the kernel's timestamp (CLOCK_MONOTONIC)
    uint32_t device = 0;               // udefio's number for the device, unique while it runs
    std::variant<DeviceAdded, DeviceRemoved, KeyEvent, PointerMotion, PointerButton, PointerAxis, TouchDown,
                 TouchMotion, TouchUp, TouchFrame, TouchCancel>
        what;
};

// Where SeatInput delivers its events. Loop thread.
class InputListener {
public:
    virtual void on_input(const InputEvent& event) = 0;

protected:
    ~InputListener() = default;
};

}  // namespace udefio
