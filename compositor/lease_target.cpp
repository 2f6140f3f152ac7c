#include "compositor/lease_target.hpp"

namespace udefio {

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
