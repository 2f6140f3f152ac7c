#include "backends/kms/seat_session.hpp"

extern "C" {  // libseat.h of Debian bookworm (0.7) has no C++ guards
#include <libseat.h>
}

#include <cerrno>

#include "util/log.hpp"

namespace udefio {

void SeatSession::on_enable(libseat*, void* self)
{
    static_cast<SeatSession*>(self)->active_ = true;
}

void SeatSession::on_disable(libseat* seat, void* self)
{
    // A VT switch away: acknowledge it; commits fail (not master) until we are back.
    static_cast<SeatSession*>(self)->active_ = false;
    UDEFIO_LOG(warn, "seat disabled (switched away): the display does not update until it comes back");
    libseat_disable_seat(seat);
}

Result<std::unique_ptr<SeatSession>> SeatSession::open(EventLoop& loop)
{
    static libseat_seat_listener listener{on_enable, on_disable};
    libseat_set_log_level(LIBSEAT_LOG_LEVEL_SILENT);
    auto session = std::make_unique<SeatSession>();
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
    auto watch = loop.watch_readable(libseat_get_fd(session->seat_),
                                     [s = session.get()] { libseat_dispatch(s->seat_, 0); });
    if (!watch)
        return watch.error();
    session->watch_ = std::move(watch).value();
    return session;
}

SeatSession::~SeatSession()
{
    watch_ = EventSource();
    if (!seat_)
        return;
    for (int id : device_ids_)
        libseat_close_device(seat_, id);
    libseat_close_seat(seat_);
}

std::string SeatSession::name() const
{
    const char* name = seat_ ? libseat_seat_name(seat_) : nullptr;
    return name ? name : "?";
}

Result<UniqueFd> SeatSession::open_device(const std::string& path)
{
    int fd = -1;
    const int id = libseat_open_device(seat_, path.c_str(), &fd);
    if (id < 0)
        return errno_error("libseat_open_device(" + path + ") on seat " + name());
    device_ids_.push_back(id);
    return UniqueFd(fd);
}

}  // namespace udefio
