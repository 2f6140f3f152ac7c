// PAGEMAP_SCAN with write-protect matching over a range of a process's
// memory (/proc/self/pagemap, or another process's): the pages written since
// the last scan, write-protected again, without reading them. The uffd-async
// tracker uses it on our own buffer, the compositor on a client's lease.
#pragma once

#include <cstdint>
#include <vector>

#include "util/result.hpp"
#include "defio/uapi.hpp"

namespace udefio {

// Appends the index (from `begin`) of every page written in [begin, begin +
// length) to `pages`, in order, and write-protects them again unless
// `write_protect` is false (then the caller re-arms what it wants itself).
// `regions` is the ioctl's scratch; its size is how many runs one ioctl may return.
Result<void> scan_written_pages(int pagemap_fd, uintptr_t begin, uint64_t length, std::vector<page_region>& regions,
                                std::vector<uint32_t>& pages, bool write_protect = true);

}  // namespace udefio
