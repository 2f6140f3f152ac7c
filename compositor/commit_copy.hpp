// One commit's copy from a client's leases into the output's frame, a band
// of rows at a time: a commit of sixteen full-frame leases is spread over
// several wakeups of the loop instead of holding it (the server gives every
// wakeup one budget of bytes, shared by the clients in turn), so that no
// client delays another by more than that budget's worth of copying.
//
// For each lease of the surface on its output: the client's damage, or,
// when it sent none, the pages its pagemap says it wrote (track_lease), or
// the rows that differ from a shadow of the lease (reserved from the shared
// budget first: past it, the commit fails). At most kMaxKeptRects
// rectangles per lease; more are copied as their extents. Between two bands
// the output may flush a frame with part of the commit: a commit is not
// atomic across its bands, only ordered before the client's next request.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compositor/client_lease.hpp"
#include "protocol/wire.hpp"

namespace udefio {

class CommitCopy {
public:
    struct LeaseRef {
        uint32_t id;
        uint64_t generation;
    };
    // `told`: the client's damage since its last commit, in frame
    // coordinates; empty: find what changed.
    CommitCopy(uint32_t surface, uint32_t output, uint32_t serial, Damage told, std::vector<LeaseRef> leases);

    uint32_t surface() const { return surface_; }
    uint32_t output() const { return output_; }
    uint32_t serial() const { return serial_; }

    struct Fault {
        wire::ErrorCode code;
        std::string why;
    };
    struct Progress {
        size_t bytes = 0;  // read from the leases (compared or copied)
        bool done = false;
        std::optional<Fault> fault;  // the client's: it ends the copy
    };
    // Copies bands until about `budget` bytes were read (at least one band).
    // Leases that went meanwhile (revoked, released, moved) are skipped.
    Progress step(ClientLeases& leases, MemoryBudget& shadows, size_t budget);

private:
    // The current lease's damage to copy (lease coordinates), or nullopt:
    // compared band by band with its shadow.
    std::optional<Damage> damage_of(ClientLease& entry, uint32_t lease_id);
    void next_lease();

    const uint32_t surface_;
    const uint32_t output_;
    const uint32_t serial_;
    const Damage told_;
    const std::vector<LeaseRef> leases_;
    size_t lease_ = 0;         // the one being copied
    uint32_t row_ = 0;         // its next band starts here
    bool started_ = false;     // its damage is known (damage_)
    std::optional<Damage> damage_;
};

}  // namespace udefio
