// The soft-dirty bits of one range, with the process's one owner of
// /proc/self/clear_refs behind them. Writing "4" there clears the bit of
// every page of the process, so two ranges tracked that way would clear each
// other's bits: like write_fault_router for SIGSEGV, one registry makes every
// clear, and before it clears it reads the bits of every registered range and
// keeps them for that range's next take(). Known limit of the mechanism: the
// clear is not atomic with the read, so a write to a page made between the
// two is missed (the probe prefers every other kernel mechanism).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "defio/page_set.hpp"
#include "util/result.hpp"

namespace udefio {

class SoftDirtyPages {
public:
    // Registers `range` (page aligned); its pages start clean.
    static Result<std::unique_ptr<SoftDirtyPages>> track(std::span<std::byte> range);
    ~SoftDirtyPages();
    SoftDirtyPages(const SoftDirtyPages&) = delete;
    SoftDirtyPages& operator=(const SoftDirtyPages&) = delete;

    // Appends, in order, the pages of this range written since the last take.
    Result<void> take(std::vector<uint32_t>& pages);

    explicit SoftDirtyPages(std::span<std::byte> range);

private:
    friend struct SoftDirtyRegistry;
    // Under the registry's mutex: reads this range's pagemap entries and
    // keeps the soft-dirty ones in pending_.
    Result<void> read_bits(int pagemap_fd);

    std::span<std::byte> range_;
    PageSet pending_;               // read before a clear, not yet taken; the registry's mutex guards it
    std::vector<uint64_t> entries_; // read_bits' scratch
};

}  // namespace udefio
