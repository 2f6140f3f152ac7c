#include "compositor/lease.hpp"

#include <algorithm>
#include <cstring>

#include "defio/pixel_copy.hpp"
#include "util/log.hpp"
#include "defio/sigbus_guard.hpp"

namespace udefio {

Result<std::unique_ptr<Lease>> Lease::create(LeaseTarget& target, LeasePlace place)
{
    const BufferLayout& frame = target.state().layout();
    if (place.rows == 0 || place.first_row + place.rows > frame.height)
        return plain_error("lease rows " + std::to_string(place.first_row) + "+" + std::to_string(place.rows) +
                           " do not fit the output's " + std::to_string(frame.height) + " rows");
    auto layout = BufferLayout::make(frame.width, place.rows, frame.stride, frame.format);
    if (!layout)
        return layout.error();
    auto buffer = SharedBuffer::create(*layout, "udefio-lease");
    if (!buffer)
        return buffer.error();
    return std::make_unique<Lease>(target, place, std::move(buffer).value());
}

Lease::Lease(LeaseTarget& target, LeasePlace place, SharedBuffer buffer)
    : place_(place), buffer_(std::move(buffer)), target_(&target)
{
}

Result<void> Lease::use(const Use& use)
{
    std::unique_lock resv(resv_);  // 1
    if (revoked_)
        return plain_error("the lease was revoked");
    LeaseTarget* target = target_;
    if (!target->try_get_registration())  // 2
        return plain_error("the lease's output is going away");
    resv.unlock();  // 3
    bool used = false;
    {
        std::lock_guard memory(target->memory_lock());  // 4
        if (!revoked_) {
            use(*target, buffer_);
            used = true;
        }
    }
    target->put_registration();  // 5
    return used ? Result<void>() : plain_error("the lease was revoked");
}

Result<void> Lease::commit(const Damage& damage)
{
    bool copied = true;
    auto used = use([&](LeaseTarget& target, const SharedBuffer& lease) {
        const uint32_t stride = lease.layout().stride;
        std::byte* place = target.pixels() + size_t(place_.first_row) * stride;
        const std::vector<Rect> rects = damage.rects();
        // The client may have truncated its memfd: that SIGBUS ends the copy, not us.
        copied = run_guarding_sigbus([&] {
            for (const Rect& r : rects)
                copy_rect(place, stride, lease.data(), stride, r);
        });
        for (const Rect& r : rects)
            target.state().add_damage({r.x, int32_t(place_.first_row) + r.y, r.width, r.height});
    });
    if (!used)
        return used;
    if (!copied)
        return plain_error("the client truncated its lease's memory while it was read");
    return {};
}

Result<Damage> Lease::find_changes(uint32_t first_row, uint32_t rows)
{
    Damage changed;
    bool read = true;
    auto used = use([&](LeaseTarget&, const SharedBuffer& lease) {
        const uint32_t stride = lease.layout().stride;
        const uint32_t end = std::min(first_row + rows, lease.layout().height);
        if (shadow_.size() != lease.size())
            shadow_.assign(lease.size(), std::byte{0});  // a fresh lease is zeros, as its memfd
        std::vector<uint32_t> changed_rows;
        changed_rows.reserve(end > first_row ? end - first_row : 0);
        read = run_guarding_sigbus([&] {
            for (uint32_t y = first_row; y < end; ++y) {
                const size_t at = size_t(y) * stride;
                if (std::memcmp(shadow_.data() + at, lease.data() + at, stride) != 0) {
                    std::memcpy(shadow_.data() + at, lease.data() + at, stride);
                    changed_rows.push_back(y);
                }
            }
        });
        for (uint32_t y : changed_rows)
            changed.add({0, int32_t(y), int32_t(lease.layout().width), 1});
    });
    if (!used)
        return used.error();
    if (!read)
        return plain_error("the client truncated its lease's memory while it was read");
    return changed;
}

void Lease::revoke()
{
    LeaseTarget* target;
    {
        std::lock_guard resv(resv_);
        target = target_;
    }
    if (!target)
        return;  // already revoked
    std::lock_guard memory(target->memory_lock());
    std::lock_guard resv(resv_);
    if (revoked_)
        return;
    revoked_ = true;
    target_ = nullptr;
    shadow_ = {};  // no compare runs now: it holds the memory lock
    if (auto r = buffer_.revoke(); !r)
        UDEFIO_LOG(error, "revoking a lease: %s; its client keeps a stale mapping", r.error().message().c_str());
}

bool Lease::revoked() const
{
    std::lock_guard resv(resv_);
    return revoked_;
}

}  // namespace udefio
