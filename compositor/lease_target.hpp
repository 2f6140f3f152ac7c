// What a lease is a lease *of*: an output's composed frame (the vfio_device
// of "vfio/pci: mmap of BAR sub-ranges through revocable DMABUFs"). Leases
// keep a registration on it while they use it, so it is not torn down under
// them; its memory lock serialises every use of its memory with revocation.
// Teardown (the output unplugged, its mode changed, udefio exiting) comes
// after the server revoked the leases that point at it, and waits until no
// registration is left.
//
// Commits copy into the frame through a mapping of its own, not the one the
// frame's tracker watches: a lease's damage enters the frame once, as the
// explicit damage the commit adds, not a second time as tracked writes.
#pragma once

#include <condition_variable>
#include <mutex>

#include "defio/deferred_io_state.hpp"
#include "util/mapping.hpp"

namespace udefio {

class LeaseTarget {
public:
    static Result<std::unique_ptr<LeaseTarget>> create(std::shared_ptr<DeferredIoState> output_state);
    ~LeaseTarget();
    LeaseTarget(const LeaseTarget&) = delete;
    LeaseTarget& operator=(const LeaseTarget&) = delete;

    // vfio_device_try_get_registration: fails once teardown started.
    bool try_get_registration();
    void put_registration();
    // Stops new registrations and waits for the ones held to go.
    void unregister();

    // Serialises use of the output's memory with revocation (vdev->memory_lock).
    std::mutex& memory_lock() { return memory_lock_; }
    // The output's frame: copy a lease's pixels into pixels(), then add
    // damage to the state. Under memory_lock() with a registration held.
    DeferredIoState& state() { return *state_; }
    std::byte* pixels() const { return pixels_.data(); }

    LeaseTarget(std::shared_ptr<DeferredIoState> output_state, Mapping pixels);

private:
    const std::shared_ptr<DeferredIoState> state_;
    const Mapping pixels_;  // the compositor's own mapping of the frame, untracked
    std::mutex memory_lock_;  // see memory_lock(); taken by lease users and by revoke, never while taking a lease's resv lock

    std::mutex registration_mutex_;  // protects registrations_ and unregistering_; a leaf lock
    std::condition_variable no_registrations_;
    unsigned registrations_ = 0;
    bool unregistering_ = false;
};

}  // namespace udefio
