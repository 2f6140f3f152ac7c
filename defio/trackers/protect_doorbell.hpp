// Zero wakeups while idle for trackers that can only be polled (uffd-async):
// arm() makes the whole range read-only; the first write after it faults
// once, the handler makes the range writable again and rings the doorbell,
// and the write proceeds into the tracker proper. Arming and the fault each
// cost a pass over the page table of the range, so it is armed only when the
// client went idle: one fault per burst of drawing, not one per frame.
#pragma once

#include <atomic>
#include <memory>
#include <span>

#include "util/doorbell.hpp"
#include "util/result.hpp"
#include "defio/trackers/write_fault_router.hpp"

namespace udefio {

class ProtectDoorbell final : private WriteFaultClient {
public:
    static Result<std::unique_ptr<ProtectDoorbell>> create(std::span<std::byte> range);
    ~ProtectDoorbell();

    int fd() const { return doorbell_.fd(); }
    Result<void> arm();

    ProtectDoorbell(std::span<std::byte> range, Doorbell doorbell);

private:
    void on_write_fault(std::byte* address) noexcept override;

    std::span<std::byte> range_;
    Doorbell doorbell_;
    bool registered_ = false;
};

}  // namespace udefio
