// libinput on the seat: a udev context (devices come and go at run time as
// udev reports them) whose devices are opened through the seat session
// (libseat_open_device), or directly when there is no seat. Its fd is
// watched on the event loop; each event goes to the handler.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "loop/event_loop.hpp"
#include "seat/seat_session.hpp"

struct libinput;
struct libinput_event;
struct udev;

namespace udefio {

class LibinputContext {
public:
    class Handler {
    public:
        // Called for every event; libinput owns it (destroyed after return).
        virtual void on_libinput_event(libinput_event* event) = 0;

    protected:
        ~Handler() = default;
    };

    // `seat` null: devices are opened directly (root or the input group).
    // The devices present at start are announced by the first dispatch():
    // call it once the handler is ready.
    static Result<std::unique_ptr<LibinputContext>> create(EventLoop& loop, SeatSession* seat, Handler& handler);
    ~LibinputContext();
    LibinputContext(const LibinputContext&) = delete;
    LibinputContext& operator=(const LibinputContext&) = delete;

    // Reads the kernel's events and hands every queued one to the handler.
    void dispatch();
    // Closes every device (libinput first releases what they held, with
    // events) / opens them again. Both hand the resulting events over.
    void suspend();
    void resume();
    size_t open_devices() const { return devices_.size(); }

    struct Key {
        explicit Key() = default;
    };
    LibinputContext(Key, SeatSession* seat, Handler& handler) : seat_(seat), handler_(handler) {}

private:
    static int open_restricted(const char* path, int flags, void* self);
    static void close_restricted(int fd, void* self);
    void drain();

    SeatSession* seat_;
    Handler& handler_;
    udev* udev_ = nullptr;
    libinput* libinput_ = nullptr;
    std::map<int, SeatDevice> devices_;  // by fd: what close_restricted gives back
    EventSource watch_;
};

}  // namespace udefio
