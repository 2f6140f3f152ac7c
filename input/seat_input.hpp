// The input devices of the seat, as one stream of normalised events: libinput
// (devices opened through the seat session, added and removed at run time),
// the seat's keyboard (xkb keymap, key repeat), the pointer's position and
// touch points, mapped into the logical space of the output they act on.
//
// On a seat switch it suspends libinput, which releases what the devices
// held (keys up, touch points up) and removes them; on the way back it
// resumes, and the devices come again as added. Everything runs on the
// loop thread, and its methods are called there.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "input/cursor_position.hpp"
#include "input/input_config.hpp"
#include "input/input_event.hpp"
#include "input/key_repeat.hpp"
#include "input/keyboard.hpp"
#include "input/libinput_context.hpp"

struct libinput_device;
struct libinput_event_keyboard;
struct libinput_event_pointer;
struct libinput_event_touch;

namespace udefio {

class SeatInput final : public SeatListener, private LibinputContext::Handler {
public:
    // `seat` may be null: devices are then opened directly. It must
    // outlive the SeatInput. Events go to `listener`, on the loop thread.
    static Result<std::unique_ptr<SeatInput>> create(EventLoop& loop, SeatSession* seat, const InputConfig& config,
                                                     InputListener& listener);
    ~SeatInput();
    SeatInput(const SeatInput&) = delete;
    SeatInput& operator=(const SeatInput&) = delete;

    // The output that touch screens and absolute pointers are mapped onto,
    // and in whose logical space the cursor moves. Until it is set,
    // positions are 0.
    void set_geometry(const OutputGeometry& geometry);
    const OutputGeometry& geometry() const { return geometry_; }

    // Devices added and not removed (none while the seat is disabled).
    size_t devices() const { return devices_.size(); }
    std::optional<uint32_t> repeating_key() const { return repeat_->repeating(); }

    void on_seat_disabled() override;
    void on_seat_enabled() override;

    struct Key {
        explicit Key() = default;
    };
    SeatInput(Key, SeatSession* seat, InputListener& listener) : seat_(seat), listener_(listener) {}

private:
    void on_libinput_event(libinput_event* event) override;
    void on_device_added(libinput_device* device);
    void on_device_removed(libinput_device* device);
    void on_key(libinput_event_keyboard* event);
    void on_repeat(uint32_t key);
    void on_pointer_motion(libinput_event_pointer* event);
    void on_pointer_motion_absolute(libinput_event_pointer* event);
    void on_pointer_button(libinput_event_pointer* event);
    void on_pointer_scroll(libinput_event_pointer* event, AxisSource source);
    void on_touch(libinput_event* event);
    PointF panel_position(double x, double y) const;  // libinput's [0, panel) to logical

    SeatSession* seat_;
    InputListener& listener_;
    std::unique_ptr<Keyboard> keyboard_;
    std::unique_ptr<KeyRepeat> repeat_;
    uint32_t repeat_device_ = 0;  // the device whose key repeats
    OutputGeometry geometry_;
    CursorPosition cursor_;
    uint32_t next_device_ = 1;
    std::map<uint32_t, std::string> devices_;   // by udefio's number: their names
    std::unique_ptr<LibinputContext> libinput_;  // last: goes first, closing the devices
};

}  // namespace udefio
