// A virtual input device made with uinput (libevdev's helpers), as the KMS
// lane's input checks inject events: a keyboard, a relative mouse, an
// absolute tablet (a VM's pointer) and a 10-point touch screen, with axis
// ranges equal to the panel so that positions are whole pixels.
#pragma once

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace udefio::test {

class UinputDevice {
public:
    static constexpr int kTouchSlots = 10;

    static std::unique_ptr<UinputDevice> keyboard(const std::string& name)
    {
        return make(name, [](libevdev* d) {
            for (unsigned key = KEY_ESC; key <= KEY_MICMUTE; ++key)
                libevdev_enable_event_code(d, EV_KEY, key, nullptr);
        });
    }
    static std::unique_ptr<UinputDevice> mouse(const std::string& name)
    {
        return make(name, [](libevdev* d) {
            for (unsigned code : {REL_X, REL_Y, REL_WHEEL, REL_HWHEEL})
                libevdev_enable_event_code(d, EV_REL, code, nullptr);
            for (unsigned code : {BTN_LEFT, BTN_RIGHT, BTN_MIDDLE})
                libevdev_enable_event_code(d, EV_KEY, code, nullptr);
        });
    }
    // ABS_X/ABS_Y with buttons and no BTN_TOUCH: udev calls it a mouse with
    // absolute axes (QEMU's usb-tablet), libinput an absolute pointer.
    static std::unique_ptr<UinputDevice> tablet(const std::string& name, int width, int height)
    {
        return make(name, [=](libevdev* d) {
            enable_abs(d, ABS_X, width);
            enable_abs(d, ABS_Y, height);
            for (unsigned code : {BTN_LEFT, BTN_RIGHT})
                libevdev_enable_event_code(d, EV_KEY, code, nullptr);
        });
    }
    static std::unique_ptr<UinputDevice> touchscreen(const std::string& name, int width, int height)
    {
        return make(name, [=](libevdev* d) {
            libevdev_enable_property(d, INPUT_PROP_DIRECT);
            libevdev_enable_event_code(d, EV_KEY, BTN_TOUCH, nullptr);
            enable_abs(d, ABS_X, width);
            enable_abs(d, ABS_Y, height);
            enable_abs(d, ABS_MT_POSITION_X, width);
            enable_abs(d, ABS_MT_POSITION_Y, height);
            enable_abs(d, ABS_MT_SLOT, kTouchSlots);
            enable_abs(d, ABS_MT_TRACKING_ID, 65536);
        });
    }

    ~UinputDevice()
    {
        if (uinput_)
            libevdev_uinput_destroy(uinput_);  // the kernel removes the device now
        libevdev_free(dev_);
    }
    UinputDevice(const UinputDevice&) = delete;
    UinputDevice& operator=(const UinputDevice&) = delete;

    const std::string& name() const { return name_; }
    void write(unsigned type, unsigned code, int value) { libevdev_uinput_write_event(uinput_, type, code, value); }
    void sync() { write(EV_SYN, SYN_REPORT, 0); }
    void key(unsigned code, int value)
    {
        write(EV_KEY, code, value);
        sync();
    }

    UinputDevice(std::string name, libevdev* dev, libevdev_uinput* uinput)
        : name_(std::move(name)), dev_(dev), uinput_(uinput)
    {
    }

private:
    // Axis values 0 .. size-1: libinput then maps value v to pixel v.
    static void enable_abs(libevdev* d, unsigned code, int size)
    {
        input_absinfo info{};
        info.maximum = size - 1;
        info.resolution = 10;
        libevdev_enable_event_code(d, EV_ABS, code, &info);
    }

    template <class Setup>
    static std::unique_ptr<UinputDevice> make(const std::string& name, Setup setup)
    {
        libevdev* dev = libevdev_new();
        libevdev_set_name(dev, name.c_str());
        libevdev_set_id_bustype(dev, BUS_VIRTUAL);
        setup(dev);
        libevdev_uinput* uinput = nullptr;
        if (libevdev_uinput_create_from_device(dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &uinput) != 0) {
            libevdev_free(dev);
            return nullptr;
        }
        return std::make_unique<UinputDevice>(name, dev, uinput);
    }

    std::string name_;
    libevdev* dev_;
    libevdev_uinput* uinput_;
};

}  // namespace udefio::test
