// A client process's memory as udefio may look at it: its /proc/PID/pagemap
// and /proc/PID/maps, opened once, through the /proc directory of the very
// process that connected (PeerProcess::open_proc_dir), and kept: both hold
// that process's mm from the open on, whatever its pid names later. Where a
// client says it mapped a lease (track_lease), maps says whether that is
// true before the pagemap is scanned there.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "compositor/peer_process.hpp"
#include "defio/shared_buffer.hpp"

namespace udefio {

class ProcessMemory {
public:
    // Fails when the process is gone, or does not run wholly as the peer's user.
    static Result<std::shared_ptr<ProcessMemory>> open(const PeerProcess& peer);

    int pagemap() const { return pagemap_.get(); }

    enum class Placement {
        lease,      // one shared mapping of the lease's memfd, from its start, covers the range
        elsewhere,  // something else is there, or nothing (unmapped, or not a user address): the client lied
        unknown,    // the kernel cannot say (no PROCMAP_QUERY before Linux 6.11, and maps did not parse)
    };
    struct Where {
        Placement placement;
        std::string what;  // for the log or the client's error
    };
    // What is at [address, address + length) of the process.
    Where find(uint64_t address, uint64_t length, const SharedBuffer& lease) const;

    ProcessMemory(UniqueFd pagemap, UniqueFd maps) : pagemap_(std::move(pagemap)), maps_(std::move(maps)) {}

private:
    struct Vma {
        uint64_t start, end, offset, inode;
        uint32_t dev_major, dev_minor;
        bool shared;
    };
    // The mapping that covers `address`, or nullopt if none does. Errors: the kernel cannot say.
    Result<std::optional<Vma>> query(uint64_t address) const;
    Result<std::optional<Vma>> parse_maps(uint64_t address) const;  // before PROCMAP_QUERY

    UniqueFd pagemap_;
    UniqueFd maps_;
};

}  // namespace udefio
