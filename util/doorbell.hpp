// An eventfd that says "something happened" to a thread sleeping in poll().
// ring() is async-signal-safe (a single write(2)), so a SIGSEGV handler may use it.
#pragma once

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class Doorbell {
public:
    static Result<Doorbell> create();

    int fd() const { return fd_.get(); }
    void ring() const;
    // Consumes pending rings; returns how many there were (0 if none).
    uint64_t drain() const;

private:
    explicit Doorbell(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace udefio
