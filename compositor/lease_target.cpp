#include "compositor/lease_target.hpp"

#include <sys/mman.h>

namespace udefio {

Result<std::unique_ptr<LeaseTarget>> LeaseTarget::create(std::shared_ptr<DeferredIoState> output_state)
{
    const SharedBuffer& frame = output_state->buffer();
    auto pixels = Mapping::map_shared(frame.fd(), frame.size(), PROT_READ | PROT_WRITE);
    if (!pixels)
        return Error{pixels.error().code, "the compositor's mapping of an output's frame: " + pixels.error().what};
    return std::make_unique<LeaseTarget>(std::move(output_state), std::move(pixels).value());
}

LeaseTarget::LeaseTarget(std::shared_ptr<DeferredIoState> output_state, Mapping pixels)
    : state_(std::move(output_state)), pixels_(std::move(pixels))
{
}

LeaseTarget::~LeaseTarget() { unregister(); }

bool LeaseTarget::try_get_registration()
{
    std::lock_guard lock(registration_mutex_);
    if (unregistering_)
        return false;
    ++registrations_;
    return true;
}

void LeaseTarget::put_registration()
{
    std::lock_guard lock(registration_mutex_);
    if (--registrations_ == 0)
        no_registrations_.notify_all();
}

void LeaseTarget::unregister()
{
    std::unique_lock lock(registration_mutex_);
    unregistering_ = true;
    no_registrations_.wait(lock, [this] { return registrations_ == 0; });
}

}  // namespace udefio
