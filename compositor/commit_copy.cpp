#include "compositor/commit_copy.hpp"

#include <algorithm>

#include "util/log.hpp"

namespace udefio {
namespace {

// The part of `damage` in rows [first, first + rows).
Damage rows_of(const Damage& damage, uint32_t first, uint32_t rows)
{
    Damage band;
    const int32_t y0 = int32_t(first), y1 = int32_t(first + rows);
    for (const Rect& r : damage.rects()) {  // at most kMaxKeptRects
        const int32_t top = std::max(r.y, y0), bottom = std::min(r.y + r.height, y1);
        if (top < bottom)
            band.add({r.x, top, r.width, bottom - top});
    }
    return band;
}

}  // namespace

CommitCopy::CommitCopy(uint32_t surface, uint32_t output, uint32_t serial, Damage told, std::vector<LeaseRef> leases)
    : surface_(surface), output_(output), serial_(serial), told_(std::move(told)), leases_(std::move(leases))
{
}

void CommitCopy::next_lease()
{
    ++lease_;
    row_ = 0;
    started_ = false;
    damage_.reset();
}

std::optional<Damage> CommitCopy::damage_of(ClientLease& entry, uint32_t lease_id)
{
    const BufferLayout& layout = entry.lease->buffer().layout();
    Damage damage;
    if (!told_.empty()) {
        damage = told_;
        damage.translate(0, -int32_t(entry.lease->place().first_row));
    } else if (entry.pagemap) {
        auto pages = entry.pagemap->written();
        if (pages) {
            damage.add_page_indices(*pages, layout);
        } else {
            UDEFIO_LOG(warn, "lease %u: %s; back to shadow compare", lease_id, pages.error().message().c_str());
            entry.pagemap.reset();
            damage = Damage::full(layout);  // what it wrote since the last scan is not known
        }
    } else {
        return std::nullopt;
    }
    damage.clip_to(layout);
    damage.collapse_past();
    return damage;
}

CommitCopy::Progress CommitCopy::step(ClientLeases& leases, MemoryBudget& shadows, size_t budget)
{
    Progress progress;
    while (lease_ < leases_.size() && (progress.bytes < budget || progress.bytes == 0)) {
        auto it = leases.find(leases_[lease_].id);
        if (it == leases.end() || it->second.generation != leases_[lease_].generation ||
            it->second.output != output_ || it->second.lease->revoked()) {
            next_lease();
            continue;
        }
        ClientLease& entry = it->second;
        Lease& lease = *entry.lease;
        const BufferLayout& layout = lease.buffer().layout();
        if (!started_) {
            damage_ = damage_of(entry, it->first);
            started_ = true;
            if (damage_ && damage_->empty()) {
                next_lease();
                continue;
            }
        }
        const size_t left = budget > progress.bytes ? budget - progress.bytes : 0;
        Damage band;
        uint32_t rows;
        if (damage_) {
            // Skip to the damage, and take as many rows of it as the budget allows.
            const Rect extents = damage_->extents();
            row_ = std::max(row_, uint32_t(extents.y));
            const size_t row_bytes = size_t(extents.width) * kBytesPerPixel;
            rows = uint32_t(std::clamp<size_t>(left / row_bytes, 1, size_t(extents.y + extents.height) - row_));
            band = rows_of(*damage_, row_, rows);
            progress.bytes += size_t(band.area()) * kBytesPerPixel;
        } else {
            if (!entry.shadow) {
                entry.shadow = shadows.reserve(lease.buffer().size());
                if (!entry.shadow) {
                    progress.fault = Fault{wire::ErrorCode::no_memory,
                                           "lease " + std::to_string(it->first) + ": no room for its shadow (the " +
                                               std::to_string(shadows.limit() >> 10) +
                                               " KiB for all clients' shadows are taken): send damage with "
                                               "commits"};
                    return progress;
                }
            }
            rows = uint32_t(std::clamp<size_t>(left / layout.stride, 1, layout.height - row_));
            auto changed = lease.find_changes(row_, rows);
            if (!changed) {
                if (!lease.revoked())
                    progress.fault = Fault{wire::ErrorCode::bad_fd,
                                           "lease " + std::to_string(it->first) + ": " + changed.error().message()};
                if (progress.fault)
                    return progress;
                next_lease();
                continue;
            }
            band = std::move(changed).value();
            band.collapse_past();
            progress.bytes += size_t(rows) * layout.stride + size_t(band.area()) * kBytesPerPixel;
        }
        if (!band.empty()) {
            if (auto r = lease.commit(band); !r && !lease.revoked()) {
                progress.fault = Fault{wire::ErrorCode::bad_fd, "lease " + std::to_string(it->first) + ": " +
                                                                    r.error().message()};
                return progress;
            }
        }
        row_ += rows;
        const uint32_t end = damage_ ? uint32_t(damage_->extents().y + damage_->extents().height) : layout.height;
        if (row_ >= end)
            next_lease();
    }
    progress.done = lease_ >= leases_.size();
    return progress;
}

}  // namespace udefio
