// A client's lease of a sub-range of an output's frame, as "vfio/pci: Support
// mmap() of a VFIO DMABUF" leases a BAR sub-range as a revocable, mmap'able
// DMABUF. The client maps its own memfd; the compositor
// copies what it committed into the output's frame at the lease's place. The
// lease can be revoked at any time (the client died, the lease expired, the
// output went away, udefio was told to): the memfd is truncated, so the
// client's next access raises SIGBUS, and what it committed before stays on
// screen.
//
// Every use of the lease (commit, flush, scanout) follows that thread's order:
//   1. lock the lease's reservation lock; revoked? stop;
//   2. take a registration on the target (it cannot be torn down now);
//   3. unlock the reservation lock (a racing revoke may now run);
//   4. lock the target's memory lock and check revoked again: a revoke holds
//      both locks to change it, so under the memory lock it cannot change;
//   5. use, unlock, put the registration.
#pragma once

#include <functional>
#include <mutex>

#include "compositor/lease_target.hpp"
#include "defio/shared_buffer.hpp"

namespace udefio {

// Where a lease lands in the target's frame: rows [first_row, first_row + rows).
struct LeasePlace {
    uint32_t first_row = 0;
    uint32_t rows = 0;
};

class Lease {
public:
    // A memfd of the place's size, laid out like the target's rows.
    static Result<std::unique_ptr<Lease>> create(LeaseTarget& target, LeasePlace place);

    // The client's memory (mapped here too; the fd goes to the client).
    const SharedBuffer& buffer() const { return buffer_; }
    LeasePlace place() const { return place_; }

    using Use = std::function<void(LeaseTarget& target, const SharedBuffer& lease)>;
    // Runs `use` under the target's memory lock if the lease still stands
    // (steps 1-5 above); an error says it was revoked.
    Result<void> use(const Use& use);

    // Copies the rows of `damage` (lease coordinates) into the target's frame
    // and adds them as damage there: a commit.
    Result<void> commit(const Damage& damage);
    // For a client that says nothing of what it drew: the rows among
    // [first_row, first_row + rows) that differ from what the last look at
    // them saw (a shadow compare of the lease, lease coordinates). The
    // shadow is the lease's size, allocated at the first call.
    Result<Damage> find_changes(uint32_t first_row, uint32_t rows);

    // Revokes: no use starts after this returns, none is running, and the
    // client's mapping raises SIGBUS on its next access. Idempotent. On the
    // thread that owns the leases and their target (the event loop): the
    // target's teardown revokes its leases there too, so the two never race.
    void revoke();
    bool revoked() const;

    Lease(LeaseTarget& target, LeasePlace place, SharedBuffer buffer);

private:
    const LeasePlace place_;
    SharedBuffer buffer_;
    std::vector<std::byte> shadow_;  // find_changes(): the lease as last compared; under the memory lock; freed by revoke

    // resv_ (the DMABUF's reservation lock) protects target_ and revoked_.
    // revoked_ is written only with both resv_ and the target's memory lock
    // held, so either lock is enough to read it. Lock order: memory lock,
    // then resv_ (revoke); a user takes resv_ alone, drops it, then takes the
    // memory lock, never both.
    mutable std::mutex resv_;
    LeaseTarget* target_;  // null once revoked
    bool revoked_ = false;
};

}  // namespace udefio
