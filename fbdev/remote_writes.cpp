#include "fbdev/remote_writes.hpp"

#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>

#include "fbdev/proc_task.hpp"
#include "util/log.hpp"
#include "util/mapping.hpp"

namespace udefio::fbdev {
namespace {

constexpr uint64_t kFeatures =
    UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_THREAD_ID;
// How often the shadow compare looks, when it has to.
constexpr int kShadowPollMs = 16;
// A write fault opens the aligned block of this many pages around it (64 KiB,
// 16 rows at 1024 px): a frame drawn into pages that were closed takes one
// fault per block, not per page. Each fault is a round trip through our fault
// thread; one per page let a 64x64 square appear in 8 pictures over 1.4 s in
// the vkms guest (tools/bench/fbdev_side_by_side.cpp), the kernel's in one.
constexpr uint64_t kFaultAroundPages = 16;

int write_protect(int uffd, uint64_t start, uint64_t length, bool protect)
{
    uffdio_writeprotect wp{};
    wp.range.start = start;
    wp.range.len = length;
    wp.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
    return ::ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) == 0 ? 0 : errno;
}

bool readable_now(int fd)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

// A write-protect call on `ctx` failed with `error`: whether its mm is gone
// (ESRCH, or its process ended; a forked child not yet known by its pid
// cannot be asked, and counts as gone).
bool mm_gone(const RemoteWrites::Context& ctx, int error)
{
    return error == ESRCH || !ctx.pidfd || readable_now(ctx.pidfd.get());
}

// Cuts [start, end) out of `ranges`; returns the parts cut, in order.
std::vector<RemoteWrites::Range> cut(std::vector<RemoteWrites::Range>& ranges, uint64_t start, uint64_t end,
                                      size_t page)
{
    std::vector<RemoteWrites::Range> kept, taken;
    for (const RemoteWrites::Range& r : ranges) {
        const uint64_t r_end = r.start + r.length;
        if (r_end <= start || r.start >= end) {
            kept.push_back(r);
            continue;
        }
        if (r.start < start)
            kept.push_back({r.start, start - r.start, r.first_page});
        const uint64_t lo = std::max(r.start, start), hi = std::min(r_end, end);
        taken.push_back({lo, hi - lo, r.first_page + (lo - r.start) / page});
        if (r_end > end)
            kept.push_back({end, r_end - end, r.first_page + (end - r.start) / page});
    }
    ranges = std::move(kept);
    return taken;
}

}  // namespace

Result<std::shared_ptr<RemoteWrites>> RemoteWrites::create(std::span<std::byte> memory, int memfd)
{
    UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify)
        return errno_error("inotify_init1 for the framebuffer's write() watch");
    const std::string self = "/proc/self/fd/" + std::to_string(memfd);
    if (::inotify_add_watch(inotify.get(), self.c_str(), IN_MODIFY) < 0)
        return errno_error("inotify_add_watch(" + self + ", IN_MODIFY)");
    auto doorbell = Doorbell::create();
    auto stop = Doorbell::create();
    auto changed = Doorbell::create();
    if (!doorbell || !stop || !changed)
        return errno_error("eventfd for the framebuffer's write tracking");
    return std::make_shared<RemoteWrites>(memory, std::move(inotify), std::move(doorbell).value(),
                                          std::move(stop).value(), std::move(changed).value());
}

RemoteWrites::RemoteWrites(std::span<std::byte> memory, UniqueFd inotify, Doorbell doorbell, Doorbell stop,
                           Doorbell changed)
    : memory_(memory),
      pages_(memory.size() / page_size()),
      inotify_(std::move(inotify)),
      doorbell_(std::move(doorbell)),
      stop_(std::move(stop)),
      changed_(std::move(changed)),
      marks_((pages_ + 63) / 64, 0),
      open_(static_cast<uint32_t>(pages_)),
      fault_thread_([this] { run_fault_thread(); })
{
}

RemoteWrites::~RemoteWrites()
{
    stop_.ring();
    fault_thread_.join();
    // Writers blocked on a page nobody serves any more wake up.
    for (const auto& ctx : contexts_) {
        for (const Range& r : ctx->ranges)
            write_protect(ctx->uffd.get(), r.start, r.length, false);
    }
}

RemoteWrites::Context* RemoteWrites::find(pid_t tgid)
{
    for (const auto& ctx : contexts_) {
        if (ctx->tgid == tgid)
            return ctx.get();
    }
    return nullptr;
}

bool RemoteWrites::has_context(pid_t tgid) const
{
    const std::lock_guard lock(lock_);
    return const_cast<RemoteWrites*>(this)->find(tgid) != nullptr;
}

size_t RemoteWrites::contexts() const
{
    const std::lock_guard lock(lock_);
    return contexts_.size();
}

Result<void> RemoteWrites::adopt(pid_t tgid, UniqueFd uffd)
{
    uffdio_api api{};
    api.api = UFFD_API;
    api.features = kFeatures;
    if (::ioctl(uffd.get(), UFFDIO_API, &api) != 0)
        return errno_error("UFFDIO_API on the program's userfaultfd (fork events need CAP_SYS_PTRACE)");
    auto ctx = std::make_unique<Context>();
    ctx->tgid = tgid;
    ctx->uffd = std::move(uffd);
    ctx->pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0)));
    {
        const std::lock_guard lock(lock_);
        // One mm per process: a context of its former mm (before exec) is dead.
        drop_contexts([&](const Context& c) { return c.tgid == tgid; });
        contexts_.push_back(std::move(ctx));
    }
    changed_.ring();
    return {};
}

Result<void> RemoteWrites::track(pid_t tgid, uint64_t start, uint64_t length, uint64_t file_offset)
{
    const size_t page = page_size();
    length = (length + page - 1) / page * page;
    const std::lock_guard lock(lock_);
    Context* ctx = find(tgid);
    if (!ctx)
        return plain_error("no userfaultfd in process " + std::to_string(tgid));
    uffdio_register reg{};
    reg.range.start = start;
    reg.range.len = length;
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (::ioctl(ctx->uffd.get(), UFFDIO_REGISTER, &reg) != 0) {
        // EPERM: a mapping that can never be written (fd opened read-only,
        // no VM_MAYWRITE): nothing to track.
        if (errno == EPERM)
            return {};
        return errno_error("UFFDIO_REGISTER(MODE_WP) of the program's framebuffer mapping");
    }
    if (int error = write_protect(ctx->uffd.get(), start, length, true); error != 0)
        return Error{error, "UFFDIO_WRITEPROTECT of the program's framebuffer mapping"};
    const uint64_t first_page = file_offset / page;
    ctx->ranges.push_back({start, length, first_page});
    // What the process (or an earlier one) drew before this: shown once.
    for (uint64_t p = first_page; p < first_page + length / page && p < pages_; ++p)
        mark(p);
    return {};
}

void RemoteWrites::add_untracked_mapping(const std::string& why)
{
    {
        const std::lock_guard lock(lock_);
        if (shadow_on_.load(std::memory_order_relaxed))
            return;
        shadow_reason_ = why;
    }
    UDEFIO_LOG(warn, "fbdev: %s; this program's stores are found by comparing the framebuffer with a copy "
                     "%d times a second from now on", why.c_str(), 1000 / kShadowPollMs);
    shadow_on_.store(true, std::memory_order_release);
    changed_.ring();
}

std::string RemoteWrites::describe() const
{
    const std::lock_guard lock(lock_);
    std::string out = "userfaultfd write-protect in " + std::to_string(contexts_.size()) + " process(es)";
    if (shadow_on_.load(std::memory_order_acquire))
        out += ", and a shadow compare (" + shadow_reason_ + ")";
    return out;
}

void RemoteWrites::mark(uint64_t page)
{
    marks_[page / 64] |= uint64_t{1} << (page % 64);
    if (!rung_) {
        rung_ = true;
        doorbell_.ring();
    }
}

std::optional<uint64_t> RemoteWrites::file_page_of(const Context& ctx, uint64_t address) const
{
    for (const Range& r : ctx.ranges) {
        if (address >= r.start && address < r.start + r.length) {
            const uint64_t file_page = r.first_page + (address - r.start) / page_size();
            if (file_page < pages_)
                return file_page;
            return std::nullopt;
        }
    }
    return std::nullopt;
}

void RemoteWrites::drop_contexts(const std::function<bool(const Context&)>& which)
{
    std::erase_if(contexts_, [&](const auto& c) { return which(*c); });
}

void RemoteWrites::learn_tgid(Context& ctx, pid_t tid)
{
    const pid_t tgid = thread_group_of(tid);
    if (tgid <= 0)
        return;
    // A context of the same process with another mm is of its life before exec.
    drop_contexts([&](const Context& c) { return &c != &ctx && c.tgid == tgid; });
    ctx.tgid = tgid;
    ctx.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0)));
}

void RemoteWrites::sweep_dead_contexts()
{
    // A forked child that never wrote has no known pid: probe its mm. A dead
    // mm refuses write-protection; a live one takes it (the page was
    // protected already, or faults once more).
    drop_contexts([](const Context& c) {
        if (c.tgid != 0 || c.ranges.empty())
            return false;
        const Range& r = c.ranges.front();
        return write_protect(c.uffd.get(), r.start, page_size(), true) != 0 && !readable_now(c.uffd.get());
    });
}

void RemoteWrites::handle_messages(Context& ctx, std::vector<std::unique_ptr<Context>>& born)
{
    const size_t page = page_size();
    uffd_msg msgs[16];
    for (;;) {
        const ssize_t n = ::read(ctx.uffd.get(), msgs, sizeof msgs);
        if (n <= 0)
            return;
        for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(uffd_msg); ++i) {
            const uffd_msg& msg = msgs[i];
            switch (msg.event) {
            case UFFD_EVENT_PAGEFAULT: {
                const uint64_t address = msg.arg.pagefault.address & ~uint64_t(page - 1);
                open_around(ctx, address);
                faults_.fetch_add(1, std::memory_order_relaxed);
                if (ctx.tgid == 0 && msg.arg.pagefault.feat.ptid)
                    learn_tgid(ctx, static_cast<pid_t>(msg.arg.pagefault.feat.ptid));
                break;
            }
            case UFFD_EVENT_FORK: {
                auto child = std::make_unique<Context>();
                child->uffd.reset(static_cast<int>(msg.arg.fork.ufd));
                child->ranges = ctx.ranges;  // with their protection: what is open in the parent is in the child
                born.push_back(std::move(child));
                break;
            }
            case UFFD_EVENT_REMAP: {
                const uint64_t from = msg.arg.remap.from, to = msg.arg.remap.to, len = msg.arg.remap.len;
                for (Range r : cut(ctx.ranges, from, from + len, page)) {
                    r.start = r.start - from + to;
                    ctx.ranges.push_back(r);
                }
                break;
            }
            case UFFD_EVENT_UNMAP: {
                const uint64_t start = msg.arg.remove.start, end = msg.arg.remove.end;
                cut(ctx.ranges, start, end, page);
                break;
            }
            default:
                break;
            }
        }
    }
}

void RemoteWrites::run_fault_thread()
{
    for (;;) {
        std::vector<pollfd> fds = {{stop_.fd(), POLLIN, 0}, {changed_.fd(), POLLIN, 0}, {inotify_.get(), POLLIN, 0}};
        {
            const std::lock_guard lock(lock_);
            for (const auto& ctx : contexts_) {
                fds.push_back({ctx->uffd.get(), POLLIN, 0});
                if (ctx->pidfd)
                    fds.push_back({ctx->pidfd.get(), POLLIN, 0});
            }
        }
        const int timeout = shadow_on_.load(std::memory_order_acquire) ? kShadowPollMs : -1;
        const int ready = ::poll(fds.data(), fds.size(), timeout);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            UDEFIO_LOG(error, "fbdev: poll() on the program's userfaultfds: %s; write tracking stops",
                       std::strerror(errno));
            return;
        }
        if (fds[0].revents)
            return;
        if (ready == 0) {
            doorbell_.ring();  // the shadow compare's turn
            continue;
        }
        if (fds[1].revents)
            changed_.drain();
        const std::lock_guard lock(lock_);
        if (fds[2].revents) {
            // Which bytes a write() changed is not said: all of them, once.
            char events[4096];
            while (::read(inotify_.get(), events, sizeof events) > 0) {
            }
            for (uint64_t p = 0; p < pages_; ++p)
                mark(p);
        }
        std::vector<std::unique_ptr<Context>> born;
        for (size_t i = 3; i < fds.size(); ++i) {
            if (!fds[i].revents)
                continue;
            for (auto it = contexts_.begin(); it != contexts_.end(); ++it) {
                Context& ctx = **it;
                if (ctx.uffd.get() == fds[i].fd) {
                    handle_messages(ctx, born);
                    break;
                }
                if (ctx.pidfd && ctx.pidfd.get() == fds[i].fd) {
                    // The process ended: its mm is gone.
                    drop_contexts([&](const Context& c) { return &c == &ctx; });
                    break;
                }
            }
        }
        if (!born.empty()) {
            sweep_dead_contexts();
            for (auto& child : born)
                contexts_.push_back(std::move(child));
        }
    }
}

void RemoteWrites::open_around(Context& ctx, uint64_t address)
{
    const uint64_t page = page_size();
    const auto range = std::find_if(ctx.ranges.begin(), ctx.ranges.end(), [&](const Range& r) {
        return address >= r.start && address < r.start + r.length;
    });
    uint64_t start = address, end = address + page;
    if (range != ctx.ranges.end() && fault_around_) {
        const uint64_t block = kFaultAroundPages * page;
        start = std::max(range->start, address / block * block);
        end = std::min(range->start + range->length, start + block);
    }
    // Open pages are reported (their stores are not seen): the block, with
    // the faulted page, is marked before the writer wakes, so a collect after
    // its store sees it.
    for (uint64_t a = start; a < end; a += page) {
        if (const auto p = file_page_of(ctx, a))
            mark(*p);
    }
    if (int error = write_protect(ctx.uffd.get(), start, end - start, false); error != 0)
        UDEFIO_LOG(error, "fbdev: resolving a write fault of the program: %s", std::strerror(error));
}

void RemoteWrites::set_protection(uint64_t first_page, uint64_t end_page, bool on)
{
    const uint64_t page = page_size();
    for (auto it = contexts_.begin(); it != contexts_.end();) {
        Context& ctx = **it;
        int error = 0;
        for (const Range& r : ctx.ranges) {
            const uint64_t lo = std::max(r.first_page, first_page);
            const uint64_t hi = std::min(r.first_page + r.length / page, end_page);
            if (lo < hi && error == 0)
                error = write_protect(ctx.uffd.get(), r.start + (lo - r.first_page) * page, (hi - lo) * page, on);
        }
        if (error != 0 && mm_gone(ctx, error)) {
            // What it stored is in the memory, and reported by this collect.
            it = contexts_.erase(it);
            continue;
        }
        // EAGAIN: an event of its mm is being handled.
        if (error != 0 && error != EAGAIN)
            UDEFIO_LOG(error, "fbdev: %s the program's framebuffer mapping: %s",
                       on ? "write-protecting pages of" : "opening", std::strerror(error));
        // Still writable there: reported again by the next collect, which
        // re-arms them. (A page left protected by a failed open just faults.)
        if (error != 0 && on) {
            for (uint64_t p = first_page; p < end_page; ++p)
                mark(p);
        }
        ++it;
    }
}

Result<bool> RemoteWrites::collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open)
{
    const size_t first = written_pages.size();
    bool left_open = false;
    {
        const std::lock_guard lock(lock_);
        // What faulted (or was marked otherwise) since the last collect.
        std::vector<uint32_t> taken;
        for (size_t w = 0; w < marks_.size(); ++w) {
            for (uint64_t bits = std::exchange(marks_[w], 0); bits; bits &= bits - 1)
                taken.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
        }
        rung_ = false;
        auto settled = open_.settle(
            taken, keep_open, written_pages,
            [&](uint32_t page, uint32_t count) {
                set_protection(page, uint64_t{page} + count, true);
                return Result<void>{};
            },
            [&] {
                set_protection(0, std::numeric_limits<uint64_t>::max(), false);  // full-copy mode
                return Result<void>{};
            });
        if (!settled)
            return settled.error();
        if (keep_open.all())
            fault_around_ = false;
        else if (keep_open.empty())
            fault_around_ = true;
        left_open = open_.any();
    }
    if (shadow_on_.load(std::memory_order_acquire)) {
        if (!shadow_) {
            auto shadow = make_tracker(TrackerKind::shadow, memory_);
            if (!shadow)
                return shadow.error();
            shadow_ = std::move(shadow).value();
            // Until now nothing was compared: everything may have changed.
            for (uint32_t p = 0; p < pages_; ++p)
                written_pages.push_back(p);
        } else if (auto r = shadow_->collect(written_pages); !r) {
            // The fault thread rings the doorbell for it kShadowPollMs apart.
            return r.error();
        }
        // Each page once, in order, with what the userfaultfds found.
        std::sort(written_pages.begin() + first, written_pages.end());
        written_pages.erase(std::unique(written_pages.begin() + first, written_pages.end()), written_pages.end());
    }
    return left_open;
}

}  // namespace udefio::fbdev
