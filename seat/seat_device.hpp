// A device fd opened through the seat (or directly, when there is no seat):
// closed through libseat_close_device, so that the seat daemon forgets it,
// and then closed here, exactly once.
#pragma once

#include <utility>

#include "util/unique_fd.hpp"

namespace udefio {

class SeatSession;

class SeatDevice {
public:
    SeatDevice() = default;
    // A device opened without a seat: only the fd to close.
    explicit SeatDevice(UniqueFd fd) : fd_(std::move(fd)) {}
    SeatDevice(SeatDevice&& other) noexcept
        : seat_(std::exchange(other.seat_, nullptr)), id_(std::exchange(other.id_, -1)), fd_(std::move(other.fd_))
    {
    }
    SeatDevice& operator=(SeatDevice&& other) noexcept
    {
        if (this != &other) {
            close();
            seat_ = std::exchange(other.seat_, nullptr);
            id_ = std::exchange(other.id_, -1);
            fd_ = std::move(other.fd_);
        }
        return *this;
    }
    ~SeatDevice() { close(); }

    int fd() const { return fd_.get(); }
    bool valid() const { return fd_.valid(); }

private:
    friend class SeatSession;
    SeatDevice(SeatSession* seat, int id, UniqueFd fd) : seat_(seat), id_(id), fd_(std::move(fd)) {}
    void close();

    SeatSession* seat_ = nullptr;  // null: opened directly
    int id_ = -1;                  // libseat's device id
    UniqueFd fd_;
};

}  // namespace udefio
