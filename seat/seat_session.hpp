// The libseat session of one udefio: the seat daemon (seatd, logind) or
// libseat's builtin backend opens the DRM and input devices for us, hands
// over DRM master, and takes the seat away on a VT switch or when another
// session is activated, as on a desktop-less kiosk it should.
//
// While the seat is disabled, our device fds are revoked (DRM master dropped,
// evdev fds muted): listeners stop committing and reading, and the session
// acknowledges once they all returned. On enable they take the devices up
// again. When no seat can be opened (no daemon, no permission) the users of
// this layer open their devices directly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "loop/event_loop.hpp"
#include "seat/seat_device.hpp"

struct libseat;

namespace udefio {

// Told when the seat is taken away and given back. Loop thread, from the
// session's dispatch; a listener may open and close devices there.
class SeatListener {
public:
    // The seat is going: stop using its devices. The session acknowledges
    // to the seat daemon after every listener returned.
    virtual void on_seat_disabled() = 0;
    // The seat is ours again: re-open devices, redraw everything (the
    // previous master left KMS in whatever state it liked).
    virtual void on_seat_enabled() = 0;

protected:
    ~SeatListener() = default;
};

class SeatSession {
public:
    static Result<std::unique_ptr<SeatSession>> open(EventLoop& loop);
    ~SeatSession();
    SeatSession(const SeatSession&) = delete;
    SeatSession& operator=(const SeatSession&) = delete;

    std::string name() const;
    bool active() const { return active_; }

    // Opens `path` (a DRM or evdev node) through the seat. Fails while the
    // seat is disabled. The device must be closed before the session ends.
    Result<SeatDevice> open_device(const std::string& path);

    // Listeners are told in the order they were added; each must be removed
    // before it is destroyed.
    void add_listener(SeatListener& listener);
    void remove_listener(SeatListener& listener);

    // The number of disables and enables since open (the first enable is
    // not counted: it is the seat being opened).
    uint64_t disables() const { return disables_; }
    uint64_t enables() const { return enables_; }

    struct Key {
        explicit Key() = default;
    };
    explicit SeatSession(Key) {}

private:
    friend class SeatDevice;
    static void on_enable(libseat* seat, void* self);
    static void on_disable(libseat* seat, void* self);
    void close_device(int device_id);
    void dispatch();
    void notify(void (SeatListener::*handler)());

    libseat* seat_ = nullptr;
    bool active_ = false;  // the seat is ours (not switched away)
    bool opened_ = false;  // the first enable, which open() waits for, has come
    uint64_t disables_ = 0;
    uint64_t enables_ = 0;
    std::vector<SeatListener*> listeners_;
    EventSource watch_;
};

}  // namespace udefio
