// The pages another process wrote in its mapping of a lease, found through
// its pagemap (compositor/process_memory.hpp): the client registered that
// mapping with a write-protect-async userfaultfd (libudefio-client does), and
// PAGEMAP_SCAN with PM_SCAN_WP_MATCHING reports the written pages and
// write-protects them again, in the client's page tables, without reading a
// byte of the lease.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "compositor/process_memory.hpp"
#include "util/result.hpp"

namespace udefio {

class PagemapWatch {
public:
    // Fails if the kernel has no PAGEMAP_SCAN or the range is not registered
    // as said. The caller checked that the range is the client's mapping of the lease.
    static Result<PagemapWatch> open(std::shared_ptr<const ProcessMemory> memory, uint64_t address, uint64_t length);

    // Page indexes (from the start of the range) written since the last call.
    Result<std::vector<uint32_t>> written();

private:
    PagemapWatch(std::shared_ptr<const ProcessMemory> memory, uint64_t address, uint64_t length)
        : memory_(std::move(memory)), address_(address), length_(length)
    {
    }

    std::shared_ptr<const ProcessMemory> memory_;
    uint64_t address_;
    uint64_t length_;
    std::vector<uint32_t> pending_;  // found by open()'s check scan: the client may have drawn already
};

}  // namespace udefio
