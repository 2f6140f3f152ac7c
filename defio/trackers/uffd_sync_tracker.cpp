#include "defio/trackers/uffd_sync_tracker.hpp"

#include <poll.h>
#include <unistd.h>

#include <cstring>

#include "defio/buffer_layout.hpp"
#include "util/log.hpp"
#include "defio/uapi.hpp"

namespace udefio {

Result<std::unique_ptr<Tracker>> UffdSyncTracker::create(std::span<std::byte> range)
{
    auto uffd = Userfaultfd::open_for_write_protect(range, 0);
    if (!uffd)
        return uffd.error();
    auto written = WrittenPages::create(range.size() / page_size());
    if (!written)
        return written.error();
    auto stop = Doorbell::create();
    if (!stop)
        return stop.error();
    return std::unique_ptr<Tracker>(std::make_unique<UffdSyncTracker>(
        range, std::move(uffd).value(), std::move(written).value(), std::move(stop).value()));
}

UffdSyncTracker::UffdSyncTracker(std::span<std::byte> range, Userfaultfd uffd, WrittenPages written, Doorbell stop)
    : range_(range),
      page_size_(page_size()),
      uffd_(std::move(uffd)),
      written_(std::move(written)),
      open_(uint32_t(written_.pages())),
      stop_(std::move(stop)),
      fault_thread_([this] { run_fault_thread(); })
{
}

UffdSyncTracker::~UffdSyncTracker()
{
    stop_.ring();
    fault_thread_.join();
    // Unprotect, so that writers blocked on a page nobody will serve wake up.
    if (auto r = uffd_.write_protect(0, written_.pages(), false); !r)
        UDEFIO_LOG(error, "%s", r.error().message().c_str());
}

void UffdSyncTracker::run_fault_thread()
{
    pollfd fds[2] = {{uffd_.fd(), POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
    for (;;) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            UDEFIO_LOG(error, "poll() on the userfaultfd failed: %s; write tracking stops", std::strerror(errno));
            return;
        }
        if (fds[1].revents)
            return;
        uffd_msg msgs[16];
        const ssize_t n = ::read(uffd_.fd(), msgs, sizeof msgs);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            UDEFIO_LOG(error, "read() from the userfaultfd failed: %s; write tracking stops", std::strerror(errno));
            return;
        }
        for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(uffd_msg); ++i) {
            if (msgs[i].event != UFFD_EVENT_PAGEFAULT)
                continue;
            const auto address = static_cast<uintptr_t>(msgs[i].arg.pagefault.address);
            const size_t page = (address - reinterpret_cast<uintptr_t>(range_.data())) / page_size_;
            // Marked before the writer wakes, so a collect after the write
            // sees it. Mark and unprotect are one step for collect: a collect
            // between them would re-protect the page we then open, and its
            // later writes would be lost.
            const std::lock_guard lock(protection_lock_);
            written_.mark(page);
            if (auto r = uffd_.write_protect(page, 1, false); !r)
                UDEFIO_LOG(error, "%s", r.error().message().c_str());
        }
    }
}

Result<NextLook> UffdSyncTracker::collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open)
{
    const std::lock_guard lock(protection_lock_);
    const std::span<const uint32_t> taken = written_.take();
    auto rearm = [&](uint32_t first, uint32_t count) { return uffd_.write_protect(first, count, true); };
    auto open_all = [&] { return uffd_.write_protect(0, written_.pages(), false); };
    if (auto settled = open_.settle(taken, keep_open, written_pages, rearm, open_all); !settled)
        return settled.error();
    return open_.any() ? NextLook::after_delay : NextLook::when_told;
}

}  // namespace udefio
