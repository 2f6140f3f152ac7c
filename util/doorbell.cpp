#include "util/doorbell.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace udefio {

Result<Doorbell> Doorbell::create()
{
    UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd)
        return errno_error("eventfd() for a doorbell");
    return Doorbell(std::move(fd));
}

void Doorbell::ring() const
{
    const uint64_t one = 1;
    // EAGAIN means the counter is saturated: the bell is already ringing.
    [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

uint64_t Doorbell::drain() const
{
    uint64_t count = 0;
    if (::read(fd_.get(), &count, sizeof count) != sizeof count)
        return 0;
    return count;
}

}  // namespace udefio
