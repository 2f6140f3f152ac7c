#include "defio/trackers/protect_doorbell.hpp"

#include <sys/mman.h>

#include <memory>


namespace udefio {

Result<std::unique_ptr<ProtectDoorbell>> ProtectDoorbell::create(std::span<std::byte> range)
{
    auto doorbell = Doorbell::create();
    if (!doorbell)
        return doorbell.error();
    auto bell = std::make_unique<ProtectDoorbell>(range, std::move(doorbell).value());
    if (auto added = add_write_fault_range(range, *bell); !added)
        return added.error();
    bell->registered_ = true;
    return bell;
}

ProtectDoorbell::ProtectDoorbell(std::span<std::byte> range, Doorbell doorbell)
    : range_(range), doorbell_(std::move(doorbell))
{
}

ProtectDoorbell::~ProtectDoorbell()
{
    if (registered_)
        remove_write_fault_range(range_, *this);
}

Result<void> ProtectDoorbell::arm()
{
    if (::mprotect(range_.data(), range_.size(), PROT_READ) != 0)
        return errno_error("mprotect(PROT_READ) to arm the write doorbell");
    return {};
}

void ProtectDoorbell::on_write_fault(std::byte*) noexcept
{
    // Several threads may fault at once: each reopens the range (idempotent)
    // and rings; the flush worker drains all rings with one read.
    ::mprotect(range_.data(), range_.size(), PROT_READ | PROT_WRITE);
    doorbell_.ring();
}

}  // namespace udefio
