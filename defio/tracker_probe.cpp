#include "defio/tracker_probe.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>

#include "defio/buffer_layout.hpp"
#include "util/log.hpp"
#include "defio/shared_buffer.hpp"

namespace udefio {
namespace {

// How each mechanism works when it does; shown by `udefio info`.
const char* how_it_works(TrackerKind kind)
{
    switch (kind) {
    case TrackerKind::uffd_async: return "userfaultfd WP_ASYNC + PAGEMAP_SCAN: kernel-resolved faults, one ioctl per collect";
    case TrackerKind::uffd_sync: return "userfaultfd write-protect served by a fault thread";
    case TrackerKind::mprotect: return "read-only pages and a SIGSEGV handler";
    case TrackerKind::soft_dirty: return "pagemap soft-dirty bits, polled (a write racing collect can be missed)";
    case TrackerKind::shadow: return "page compare against a copy, polled: costs a full read per collect";
    case TrackerKind::explicit_damage: return "the client reports damage; only when forced";
    }
    return "";
}

bool doorbell_rang(int fd)
{
    // uffd-sync rings from its fault thread, a moment after the write.
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 1000) == 1;
}

// The best of two rounds of first stores to 32 armed pages; 0 for the
// mechanisms that do not fault.
double fault_ns(TrackerKind kind)
{
    if (kind != TrackerKind::uffd_async && kind != TrackerKind::uffd_sync && kind != TrackerKind::mprotect)
        return 0;
    constexpr uint32_t kPages = 32;
    const size_t page = page_size();
    auto layout = BufferLayout::make(static_cast<uint32_t>(page / 4), kPages);
    auto buffer = layout ? SharedBuffer::create(*layout, "udefio-probe") : Result<SharedBuffer>(layout.error());
    auto tracker = buffer ? make_tracker(kind, buffer->bytes()) : Result<std::unique_ptr<Tracker>>(buffer.error());
    if (!tracker)
        return 0;
    std::vector<uint32_t> pages;
    std::memset(buffer->data(), 0, buffer->size());  // allocated now: what is timed is the fault alone
    (void)(*tracker)->collect(pages);
    double best = 0;
    for (int round = 0; round < 2; ++round) {
        // A page written first keeps uffd-async's doorbell unarmed: what is
        // timed is the per-page fault, not the doorbell's one per burst.
        buffer->data()[0] = std::byte{1};
        pages.clear();
        (void)(*tracker)->collect(pages);
        const auto t0 = std::chrono::steady_clock::now();
        for (uint32_t p = 1; p < kPages; ++p)
            *reinterpret_cast<volatile std::byte*>(buffer->data() + p * page) = std::byte{uint8_t(round + 1)};
        const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        pages.clear();
        (void)(*tracker)->collect(pages);
        best = round == 0 ? ns : std::min(best, ns);
    }
    return best / (kPages - 1);
}

// Writes page 2 of a 4-page scratch buffer twice, with a collect in between,
// and wants exactly {2} each time and {} after: this catches a mechanism whose
// interface exists but does nothing (soft-dirty compiled out) or does not re-arm.
TrackerProbeResult probe(TrackerKind kind)
{
    TrackerProbeResult result{kind, false, ""};
    if (kind == TrackerKind::explicit_damage) {
        result.works = true;
        result.reason = how_it_works(kind);
        return result;
    }
    const size_t page = page_size();
    auto layout = BufferLayout::make(static_cast<uint32_t>(page / 4), 4);
    auto buffer = layout ? SharedBuffer::create(*layout, "udefio-probe") : Result<SharedBuffer>(layout.error());
    if (!buffer) {
        result.reason = buffer.error().message();
        return result;
    }
    auto tracker = make_tracker(kind, buffer->bytes());
    if (!tracker) {
        result.reason = tracker.error().message();
        return result;
    }
    std::vector<uint32_t> pages;
    for (int round = 0; round < 2; ++round) {
        pages.clear();
        if (auto r = (*tracker)->collect(pages); !r) {
            result.reason = r.error().message();
            return result;
        }
        buffer->data()[2 * page + 8 + static_cast<size_t>(round)] = std::byte{0x5a};
        const int doorbell = (*tracker)->write_doorbell_fd();
        if (doorbell >= 0 && !doorbell_rang(doorbell)) {
            result.reason = "a write did not ring the tracker's doorbell";
            return result;
        }
        pages.clear();
        if (auto r = (*tracker)->collect(pages); !r) {
            result.reason = r.error().message();
            return result;
        }
        if (pages != std::vector<uint32_t>{2}) {
            result.reason = pages.empty() ? "a written page was not reported (the kernel accepts the interface but "
                                            "does not track: e.g. CONFIG_MEM_SOFT_DIRTY is off)"
                                          : "pages other than the written one were reported";
            return result;
        }
    }
    result.works = true;
    result.reason = how_it_works(kind);
    result.fault_ns = fault_ns(kind);
    return result;
}

}  // namespace

const std::vector<TrackerProbeResult>& probe_trackers()
{
    static std::once_flag once;
    static std::vector<TrackerProbeResult> results;
    std::call_once(once, [] {
        for (TrackerKind kind : kAllTrackers)
            results.push_back(probe(kind));
    });
    return results;
}

Result<std::unique_ptr<Tracker>> make_best_tracker(std::span<std::byte> range, std::optional<TrackerKind> forced)
{
    const auto& results = probe_trackers();
    if (forced) {
        for (const auto& r : results) {
            if (r.kind == *forced && !r.works)
                return plain_error("tracker " + std::string(tracker_name(r.kind)) + " does not work here: " + r.reason);
        }
        return make_tracker(*forced, range);
    }
    for (const auto& r : results) {
        if (r.kind == TrackerKind::explicit_damage)
            continue;
        if (!r.works) {
            UDEFIO_LOG(info, "tracker %s skipped: %s", std::string(tracker_name(r.kind)).c_str(), r.reason.c_str());
            continue;
        }
        auto tracker = make_tracker(r.kind, range);
        if (tracker) {
            UDEFIO_LOG(info, "tracking writes with %s", std::string(tracker_name(r.kind)).c_str());
            return tracker;
        }
        UDEFIO_LOG(warn, "tracker %s failed on this buffer: %s", std::string(tracker_name(r.kind)).c_str(),
                   tracker.error().message().c_str());
    }
    return plain_error("no write tracker works here");
}

}  // namespace udefio
