// The pages another process wrote in its mapping of a lease, found through
// /proc/PID/pagemap: the client registered that mapping with a
// write-protect-async userfaultfd (libudefio-client does), and PAGEMAP_SCAN
// with PM_SCAN_WP_MATCHING reports the written pages and write-protects them
// again, in the client's page tables, without reading a byte of the lease.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class PagemapWatch {
public:
    // Fails if /proc/PID/pagemap cannot be opened (another user's process) or
    // the kernel has no PAGEMAP_SCAN, or the range is not registered as said.
    static Result<PagemapWatch> open(pid_t pid, uint64_t address, uint64_t length);

    // Page indexes (from the start of the range) written since the last call.
    Result<std::vector<uint32_t>> written();

private:
    PagemapWatch(UniqueFd pagemap, uint64_t address, uint64_t length)
        : pagemap_(std::move(pagemap)), address_(address), length_(length)
    {
    }

    UniqueFd pagemap_;
    uint64_t address_;
    uint64_t length_;
    std::vector<uint32_t> pending_;  // found by open()'s check scan: the client may have drawn already
};

}  // namespace udefio
