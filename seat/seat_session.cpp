#include "seat/seat_session.hpp"

extern "C" {  // libseat.h of Debian bookworm (0.7) has no C++ guards
#include <libseat.h>
}

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/log.hpp"

namespace udefio {

void SeatDevice::close()
{
    if (seat_ && id_ >= 0)
        seat_->close_device(id_);
    seat_ = nullptr;
    id_ = -1;
    fd_.reset();
}

void SeatSession::on_enable(libseat*, void* self)
{
    auto* session = static_cast<SeatSession*>(self);
    session->active_ = true;
    if (!session->opened_) {
        session->opened_ = true;  // the seat being opened, not a switch back
        return;
    }
    ++session->enables_;
    UDEFIO_LOG(info, "seat %s enabled again (switched back)", session->name().c_str());
    session->notify(&SeatListener::on_seat_enabled);
}

void SeatSession::on_disable(libseat* seat, void* self)
{
    // A VT switch away or another session taking the seat: our devices are
    // being revoked. Everyone stops using them, then we acknowledge.
    auto* session = static_cast<SeatSession*>(self);
    session->active_ = false;
    ++session->disables_;
    UDEFIO_LOG(warn, "seat %s disabled (switched away): no commits and no input until it comes back",
               session->name().c_str());
    session->notify(&SeatListener::on_seat_disabled);
    libseat_disable_seat(seat);
}

Result<std::unique_ptr<SeatSession>> SeatSession::open(EventLoop& loop)
{
    static libseat_seat_listener listener{on_enable, on_disable};
    libseat_set_log_level(LIBSEAT_LOG_LEVEL_SILENT);
    auto session = std::make_unique<SeatSession>(Key{});
    session->seat_ = libseat_open_seat(&listener, session.get());
    if (!session->seat_)
        return errno_error("libseat_open_seat (no seatd or logind session, and the builtin backend needs root)");
    // The seat is enabled asynchronously (within milliseconds when it is ours);
    // wait for it briefly before opening devices.
    for (int i = 0; i < 10 && !session->active_; ++i) {
        if (libseat_dispatch(session->seat_, 100) < 0)
            return errno_error("libseat_dispatch");
    }
    if (!session->active_)
        return plain_error("seat " + session->name() + " was not enabled within 1 s (another session is active, or not ours to take)");
    auto watch = loop.watch_readable(libseat_get_fd(session->seat_), [s = session.get()] { s->dispatch(); });
    if (!watch)
        return watch.error();
    session->watch_ = std::move(watch).value();
    return session;
}

SeatSession::~SeatSession()
{
    watch_ = EventSource();
    if (seat_)
        libseat_close_seat(seat_);
}

void SeatSession::dispatch()
{
    if (libseat_dispatch(seat_, 0) < 0) {
        // The daemon went away: nothing more will come from it; keep the
        // devices we have (their fds stay valid) and stop watching (from
        // the watch's own callback, which uses nothing of it afterwards).
        UDEFIO_LOG(error, "seat %s: libseat_dispatch failed (%s): the seat daemon is gone, seat switches "
                          "are no longer seen", name().c_str(), std::strerror(errno));
        watch_ = EventSource();
    }
}

std::string SeatSession::name() const
{
    const char* name = seat_ ? libseat_seat_name(seat_) : nullptr;
    return name ? name : "?";
}

Result<SeatDevice> SeatSession::open_device(const std::string& path)
{
    int fd = -1;
    const int id = libseat_open_device(seat_, path.c_str(), &fd);
    if (id < 0)
        return errno_error("libseat_open_device(" + path + ") on seat " + name());
    return SeatDevice(this, id, UniqueFd(fd));
}

void SeatSession::close_device(int device_id)
{
    if (libseat_close_device(seat_, device_id) != 0)
        UDEFIO_LOG(debug, "libseat_close_device(%d) on seat %s: %s", device_id, name().c_str(), std::strerror(errno));
}

void SeatSession::notify(void (SeatListener::*handler)())
{
    // A listener may add or remove listeners (itself too): each one still
    // registered when its turn comes is told once.
    const auto listeners = listeners_;
    for (SeatListener* l : listeners) {
        if (std::find(listeners_.begin(), listeners_.end(), l) != listeners_.end())
            (l->*handler)();
    }
}

void SeatSession::add_listener(SeatListener& listener) { listeners_.push_back(&listener); }

void SeatSession::remove_listener(SeatListener& listener)
{
    listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), &listener), listeners_.end());
}

}  // namespace udefio
