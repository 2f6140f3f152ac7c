#include "input/seat_input.hpp"

#include <libinput.h>
#include <time.h>

#include "util/log.hpp"

namespace udefio {
namespace {

std::chrono::microseconds now()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::microseconds(ts.tv_nsec / 1000);
}

uint32_t device_number(libinput_device* device)
{
    return uint32_t(reinterpret_cast<uintptr_t>(libinput_device_get_user_data(device)));
}

}  // namespace

Result<std::unique_ptr<SeatInput>> SeatInput::create(EventLoop& loop, SeatSession* seat, const InputConfig& config,
                                                     InputListener& listener)
{
    auto input = std::make_unique<SeatInput>(Key{}, seat, listener);
    auto keyboard = Keyboard::create(config.keyboard);
    if (!keyboard)
        return keyboard.error();
    input->keyboard_ = std::move(keyboard).value();
    auto repeat = KeyRepeat::create(loop, config.keyboard.repeat_delay, config.keyboard.repeat_rate,
                                    [i = input.get()](uint32_t key) { i->on_repeat(key); });
    if (!repeat)
        return repeat.error();
    input->repeat_ = std::move(repeat).value();
    auto context = LibinputContext::create(loop, seat, *input);
    if (!context)
        return context.error();
    input->libinput_ = std::move(context).value();
    if (seat)
        seat->add_listener(*input);
    input->libinput_->dispatch();  // the devices there now
    if (input->devices_.empty())
        UDEFIO_LOG(info, "no input devices yet on seat %s (libinput uses only those udev tagged: is udevd "
                         "running?); devices plugged in later are added", seat ? seat->name().c_str() : "seat0");
    return input;
}

SeatInput::~SeatInput()
{
    if (seat_)
        seat_->remove_listener(*this);
}

void SeatInput::set_geometry(const OutputGeometry& geometry)
{
    geometry_ = geometry;
    cursor_.set_space(geometry.logical());
}

void SeatInput::on_seat_disabled()
{
    // libinput releases what the devices held (key and touch up events) and
    // removes them; the release of the repeating key stops its repeat.
    libinput_->suspend();
    repeat_->stop();
}

void SeatInput::on_seat_enabled() { libinput_->resume(); }

void SeatInput::on_libinput_event(libinput_event* event)
{
    switch (libinput_event_get_type(event)) {
    case LIBINPUT_EVENT_DEVICE_ADDED:
        return on_device_added(libinput_event_get_device(event));
    case LIBINPUT_EVENT_DEVICE_REMOVED:
        return on_device_removed(libinput_event_get_device(event));
    case LIBINPUT_EVENT_KEYBOARD_KEY:
        return on_key(libinput_event_get_keyboard_event(event));
    case LIBINPUT_EVENT_POINTER_MOTION:
        return on_pointer_motion(libinput_event_get_pointer_event(event));
    case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE:
        return on_pointer_motion_absolute(libinput_event_get_pointer_event(event));
    case LIBINPUT_EVENT_POINTER_BUTTON:
        return on_pointer_button(libinput_event_get_pointer_event(event));
    // LIBINPUT_EVENT_POINTER_AXIS carries the same scrolls the old way; the
    // three below replace it (libinput.h says to ignore it then).
    case LIBINPUT_EVENT_POINTER_SCROLL_WHEEL:
        return on_pointer_scroll(libinput_event_get_pointer_event(event), AxisSource::wheel);
    case LIBINPUT_EVENT_POINTER_SCROLL_FINGER:
        return on_pointer_scroll(libinput_event_get_pointer_event(event), AxisSource::finger);
    case LIBINPUT_EVENT_POINTER_SCROLL_CONTINUOUS:
        return on_pointer_scroll(libinput_event_get_pointer_event(event), AxisSource::continuous);
    case LIBINPUT_EVENT_TOUCH_DOWN:
    case LIBINPUT_EVENT_TOUCH_UP:
    case LIBINPUT_EVENT_TOUCH_MOTION:
    case LIBINPUT_EVENT_TOUCH_CANCEL:
    case LIBINPUT_EVENT_TOUCH_FRAME:
        return on_touch(event);
    default:
        return;  // tablet tools, gestures, switches: not handled yet
    }
}

void SeatInput::on_device_added(libinput_device* device)
{
    const uint32_t number = next_device_++;
    libinput_device_set_user_data(device, reinterpret_cast<void*>(uintptr_t(number)));
    DeviceAdded added{libinput_device_get_name(device),
                      {libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_KEYBOARD) != 0,
                       libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_POINTER) != 0,
                       libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_TOUCH) != 0}};
    UDEFIO_LOG(info, "input device %u added: %s (%s%s%s%s)", number, added.name.c_str(),
               libinput_device_get_sysname(device), added.capabilities.keyboard ? ", keyboard" : "",
               added.capabilities.pointer ? ", pointer" : "", added.capabilities.touch ? ", touch" : "");
    devices_[number] = added.name;
    listener_.on_input({now(), number, std::move(added)});
}

void SeatInput::on_device_removed(libinput_device* device)
{
    const uint32_t number = device_number(device);
    auto it = devices_.find(number);
    if (it == devices_.end())
        return;
    UDEFIO_LOG(info, "input device %u removed: %s", number, it->second.c_str());
    if (repeat_device_ == number)
        repeat_->stop();  // libinput released its keys already; this is for certain
    DeviceRemoved removed{std::move(it->second)};
    devices_.erase(it);
    listener_.on_input({now(), number, std::move(removed)});
}

void SeatInput::on_key(libinput_event_keyboard* event)
{
    const uint32_t key = libinput_event_keyboard_get_key(event);
    const bool pressed = libinput_event_keyboard_get_key_state(event) == LIBINPUT_KEY_STATE_PRESSED;
    // The seat's key state changes with the first press and the last
    // release of a key over all keyboards; the others change nothing.
    const uint32_t count = libinput_event_keyboard_get_seat_key_count(event);
    if (pressed ? count != 1 : count != 0)
        return;
    const uint32_t device = device_number(libinput_event_get_device(libinput_event_keyboard_get_base_event(event)));
    KeyEvent e = keyboard_->key(key, pressed);
    if (pressed && keyboard_->repeats(key)) {
        repeat_->press(key);
        repeat_device_ = device;
    } else if (!pressed) {
        repeat_->release(key);
    }
    listener_.on_input({std::chrono::microseconds(libinput_event_keyboard_get_time_usec(event)), device, std::move(e)});
}

void SeatInput::on_repeat(uint32_t key) { listener_.on_input({now(), repeat_device_, keyboard_->repeat(key)}); }

void SeatInput::on_pointer_motion(libinput_event_pointer* event)
{
    const PointF delta{libinput_event_pointer_get_dx(event), libinput_event_pointer_get_dy(event)};
    const PointF position = cursor_.move_by(delta);
    listener_.on_input({std::chrono::microseconds(libinput_event_pointer_get_time_usec(event)),
                        device_number(libinput_event_get_device(libinput_event_pointer_get_base_event(event))),
                        PointerMotion{position, delta, false}});
}

PointF SeatInput::panel_position(double x, double y) const { return geometry_.panel_to_logical({x, y}); }

void SeatInput::on_pointer_motion_absolute(libinput_event_pointer* event)
{
    const PointF before = cursor_.position();
    const PointF position = cursor_.move_to(
        panel_position(libinput_event_pointer_get_absolute_x_transformed(event, uint32_t(geometry_.panel.width)),
                       libinput_event_pointer_get_absolute_y_transformed(event, uint32_t(geometry_.panel.height))));
    listener_.on_input({std::chrono::microseconds(libinput_event_pointer_get_time_usec(event)),
                        device_number(libinput_event_get_device(libinput_event_pointer_get_base_event(event))),
                        PointerMotion{position, {position.x - before.x, position.y - before.y}, true}});
}

void SeatInput::on_pointer_button(libinput_event_pointer* event)
{
    const bool pressed = libinput_event_pointer_get_button_state(event) == LIBINPUT_BUTTON_STATE_PRESSED;
    const uint32_t count = libinput_event_pointer_get_seat_button_count(event);
    if (pressed ? count != 1 : count != 0)
        return;  // as for keys: the seat's button changed only with the first press and last release
    listener_.on_input({std::chrono::microseconds(libinput_event_pointer_get_time_usec(event)),
                        device_number(libinput_event_get_device(libinput_event_pointer_get_base_event(event))),
                        PointerButton{libinput_event_pointer_get_button(event), pressed, cursor_.position()}});
}

void SeatInput::on_pointer_scroll(libinput_event_pointer* event, AxisSource source)
{
    PointerAxis axis{source, 0, 0, 0, 0, cursor_.position()};
    const auto vertical = LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL;
    const auto horizontal = LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL;
    if (libinput_event_pointer_has_axis(event, vertical)) {
        axis.vertical = libinput_event_pointer_get_scroll_value(event, vertical);
        if (source == AxisSource::wheel)
            axis.vertical_v120 = int32_t(libinput_event_pointer_get_scroll_value_v120(event, vertical));
    }
    if (libinput_event_pointer_has_axis(event, horizontal)) {
        axis.horizontal = libinput_event_pointer_get_scroll_value(event, horizontal);
        if (source == AxisSource::wheel)
            axis.horizontal_v120 = int32_t(libinput_event_pointer_get_scroll_value_v120(event, horizontal));
    }
    listener_.on_input({std::chrono::microseconds(libinput_event_pointer_get_time_usec(event)),
                        device_number(libinput_event_get_device(libinput_event_pointer_get_base_event(event))),
                        axis});
}

void SeatInput::on_touch(libinput_event* base)
{
    libinput_event_touch* event = libinput_event_get_touch_event(base);
    InputEvent e{std::chrono::microseconds(libinput_event_touch_get_time_usec(event)),
                 device_number(libinput_event_get_device(base)), TouchFrame{}};
    const auto position = [&] {
        return panel_position(libinput_event_touch_get_x_transformed(event, uint32_t(geometry_.panel.width)),
                              libinput_event_touch_get_y_transformed(event, uint32_t(geometry_.panel.height)));
    };
    switch (libinput_event_get_type(base)) {
    case LIBINPUT_EVENT_TOUCH_DOWN:
        e.what = TouchDown{libinput_event_touch_get_seat_slot(event), position()};
        break;
    case LIBINPUT_EVENT_TOUCH_MOTION:
        e.what = TouchMotion{libinput_event_touch_get_seat_slot(event), position()};
        break;
    case LIBINPUT_EVENT_TOUCH_UP:
        e.what = TouchUp{libinput_event_touch_get_seat_slot(event)};
        break;
    case LIBINPUT_EVENT_TOUCH_CANCEL:
        e.what = TouchCancel{};
        break;
    default:
        break;  // the frame
    }
    listener_.on_input(e);
}

}  // namespace udefio
