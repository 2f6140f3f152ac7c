// A lease as the server keeps it for its client: what it is a lease of (the
// surface and the output, and which lease of that id it is), the lease
// itself, when it expires, and how the client's writes to it are found - its
// pagemap if it registered the lease (track_lease), else a shadow to compare
// with, reserved from the server's budget when first needed.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "compositor/lease.hpp"
#include "compositor/memory_budget.hpp"
#include "compositor/pagemap_watch.hpp"
#include "loop/event_loop.hpp"

namespace udefio {

struct ClientLease {
    uint32_t surface = 0;
    uint32_t output = 0;
    uint64_t generation = 0;  // which lease of this id: an expiry names the one it was armed for
                              // (an expired entry lingers, revoked, until its id is reused)
    std::unique_ptr<Lease> lease;
    EventSource expiry;  // armed when leases have a lifetime
    std::optional<PagemapWatch> pagemap;
    std::optional<MemoryBudget::Reservation> shadow;
};

using ClientLeases = std::map<uint32_t, ClientLease>;  // by the client's lease id

}  // namespace udefio
