// One process-wide SIGSEGV handler that hands write faults on registered
// ranges to their owner (the mprotect tracker, the protect doorbell) and
// passes every other fault to the handler that was installed before ours
// (the default action, or a sanitizer's), so a real crash stays a crash.
#pragma once

#include <cstddef>
#include <span>

#include "util/result.hpp"

namespace udefio {

class WriteFaultClient {
public:
    // Runs in the signal handler on the faulting thread: async-signal-safe
    // code only (mprotect, write to an eventfd, atomics). After return the
    // faulting instruction is retried, so the page must be writable by then.
    virtual void on_write_fault(std::byte* address) noexcept = 0;

protected:
    ~WriteFaultClient() = default;
};

// Routes faults in `range` to `client` until remove_write_fault_range(client).
Result<void> add_write_fault_range(std::span<std::byte> range, WriteFaultClient& client);

// Makes `range` writable again (so that no fault arrives once the handler is
// gone), then stops routing its faults to `client`. After return no handler
// is running for `client` nor will one run again.
void remove_write_fault_range(std::span<std::byte> range, WriteFaultClient& client);

}  // namespace udefio
