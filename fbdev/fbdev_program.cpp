#include "fbdev/fbdev_program.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "fbdev/open_paths.hpp"
#include "fbdev/seccomp_filter.hpp"
#include "fbdev/syscall_injector.hpp"
#include "fbdev/proc_task.hpp"
#include "util/log.hpp"
#include "util/scm_rights.hpp"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

namespace udefio::fbdev {
namespace {


bool syscall_failed(long result) { return result < 0 && result > -4096; }

}  // namespace

Result<std::unique_ptr<FbdevProgram>> FbdevProgram::create(EventLoop& loop, Screen& screen, FbdevOptions options)
{
    if (auto notifying = check_user_notification(); !notifying)
        return notifying.error();
    auto program = std::make_unique<FbdevProgram>(loop, screen, std::move(options));
    FbdevProgram& p = *program;

    std::shared_ptr<RemoteWrites> writes;
    auto fb = Framebuffer::create(
        screen,
        [&](std::span<std::byte> memory, int memfd) -> Result<std::unique_ptr<Tracker>> {
            auto made = RemoteWrites::create(memory, memfd);
            if (!made)
                return made.error();
            writes = std::move(made).value();
            return std::unique_ptr<Tracker>(std::make_unique<RemoteWritesTracker>(writes));
        },
        p.options_.delay);
    if (!fb)
        return fb.error();
    p.fb_ = std::move(fb).value();
    p.writes_ = std::move(writes);
    if (!p.options_.track_in_program)
        p.writes_->add_untracked_mapping("tracking inside the program is turned off");
    struct stat st {};
    if (::fstat(p.fb_->memfd(), &st) != 0)
        return errno_error("fstat of the framebuffer memfd");
    p.fb_dev_ = st.st_dev;
    p.fb_ino_ = st.st_ino;

    auto console = VtConsole::create(loop);
    if (!console)
        return console.error();
    p.console_ = std::move(console).value();

    auto filter = build_fbdev_filter();
    if (!filter)
        return filter.error();
    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0)
        return errno_error("socketpair for the program's seccomp listener");
    p.handover_.reset(sockets[0]);
    p.handover_child_.reset(sockets[1]);

    if (p.options_.private_dev) {
        auto overlay = DevOverlay::prepare(p.options_.framebuffer_env);
        if (overlay)
            p.overlay_.emplace(std::move(overlay).value());
        else
            UDEFIO_LOG(warn, "fbdev: no private /dev for the program (%s): stat of /dev/fb0 will fail in it",
                       overlay.error().message().c_str());
    }
    auto plan = std::make_shared<ChildPlan>();
    plan->filter = std::move(filter).value();
    plan->handover_fd = p.handover_child_.get();
    plan->console_fd = p.console_->slave_fd();
    plan->overlay = p.overlay_ ? &*p.overlay_ : nullptr;
    // Loading a filter without CAP_SYS_ADMIN needs no_new_privs.
    plan->no_new_privs = ::geteuid() != 0;
    p.plan_ = std::move(plan);
    return program;
}

FbdevProgram::FbdevProgram(EventLoop& loop, Screen& screen, FbdevOptions options)
    : loop_(loop), screen_(screen), options_(std::move(options)), alive_(std::make_shared<int>(0))
{
}

FbdevProgram::~FbdevProgram()
{
    // Closing the listener fails the program's pending and future notified
    // calls with ENOSYS; the framebuffer then detaches (SIGBUS on access).
    listener_watch_ = EventSource();
    listener_.reset();
}

std::function<int()> FbdevProgram::child_setup() const { return make_child_setup(plan_); }

Result<void> FbdevProgram::start(pid_t pid)
{
    child_pid_ = pid;
    // Without our copy, the child's end closes when the child does: a child
    // that dies before sending its listener cannot leave us waiting.
    handover_child_.reset();
    auto watch = loop_.watch_readable(handover_.get(), [this] { receive_listener(); });
    if (!watch)
        return watch.error();
    handover_watch_ = std::move(watch).value();
    return {};
}

void FbdevProgram::receive_listener()
{
    if (!handover_)
        return;
    uint8_t status = 0;
    ReceivedPacket packet = receive_with_fds(handover_.get(), std::as_writable_bytes(std::span(&status, 1)), 1);
    handover_watch_.disarm();  // one message, once
    handover_.reset();
    if (packet.bytes == 1 && packet.fds_truncated) {
        // The kernel drops an fd it cannot install; the program's filtered
        // calls then fail (ENOSYS) and it ends.
        UDEFIO_LOG(error, "fbdev: the program's seccomp listener was lost: udefio is at its limit of open files "
                   "(RLIMIT_NOFILE)");
        return;
    }
    if (packet.bytes != 1 || packet.fds.empty()) {
        UDEFIO_LOG(error, "fbdev: the program ended before its seccomp filter was set up");
        return;
    }
    private_dev_ = overlay_ && status == kChildReady;
    if (overlay_ && !private_dev_)
        UDEFIO_LOG(warn, "fbdev: the program's private /dev could not be mounted: stat of /dev/fb0 fails in it");
    auto listener = SeccompListener::adopt(std::move(packet.fds.front()));
    if (!listener) {
        UDEFIO_LOG(error, "fbdev: %s", listener.error().message().c_str());
        return;
    }
    listener_.emplace(std::move(listener).value());
    auto watch = loop_.watch_readable(listener_->fd(), [this] { on_notification(); });
    if (!watch) {
        UDEFIO_LOG(error, "fbdev: %s", watch.error().message().c_str());
        return;
    }
    listener_watch_ = std::move(watch).value();
}

std::string FbdevProgram::tracking() const { return writes_->describe(); }

FbdevStats FbdevProgram::stats() const
{
    FbdevStats stats = stats_;
    stats.write_faults = writes_->faults();
    return stats;
}

void FbdevProgram::on_notification()
{
    auto received = listener_->receive();
    if (!received) {
        // Every task of the program is gone once the listener hangs up.
        pollfd p{listener_->fd(), POLLIN, 0};
        if (::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP))
            listener_watch_.disarm();
        return;
    }
    const seccomp_notif n = **received;
    ++stats_.notifications;
    switch (n.data.nr) {
    case __NR_open:
    case __NR_openat:
    case __NR_openat2:
    case __NR_creat:
        handle_open(n);
        break;
    case __NR_ioctl:
        handle_ioctl(n);
        break;
    case __NR_mmap:
        handle_mmap(n);
        break;
    case __NR_ftruncate:
    case __NR_fallocate:
        handle_resize(n);
        break;
    default:
        listener_->reply_continue(n.id);
    }
}

FbdevProgram::FdKind FbdevProgram::fd_kind(pid_t tid, int fd) const
{
    struct stat st {};
    const std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
    if (fd < 0 || ::stat(link.c_str(), &st) != 0)
        return FdKind::other;
    if (st.st_dev == fb_dev_ && st.st_ino == fb_ino_)
        return FdKind::framebuffer;
    if (console_->is_console(st.st_rdev, st.st_mode))
        return FdKind::console;
    return FdKind::other;
}

void FbdevProgram::handle_open(const seccomp_notif& n)
{
    int dirfd = AT_FDCWD;
    uint64_t path_address = n.data.args[0];
    uint64_t flags = n.data.args[1];
    ProcessMemory memory(static_cast<pid_t>(n.pid));
    switch (n.data.nr) {
    case __NR_openat:
        dirfd = static_cast<int>(n.data.args[0]);
        path_address = n.data.args[1];
        flags = n.data.args[2];
        break;
    case __NR_openat2: {
        dirfd = static_cast<int>(n.data.args[0]);
        path_address = n.data.args[1];
        open_how how{};
        if (n.data.args[3] < sizeof how.flags || memory.read(n.data.args[2], &how.flags, sizeof how.flags) != 0) {
            listener_->reply_continue(n.id);  // the kernel gives the error
            return;
        }
        flags = how.flags;
        break;
    }
    case __NR_creat:
        flags = O_CREAT | O_WRONLY | O_TRUNC;
        break;
    default:
        break;
    }
    int error = 0;
    const auto path = memory.read_string(path_address, PATH_MAX, error);
    // Answered from what we read only if the task that asked still waits.
    if (!path || !listener_->still_waiting(n.id)) {
        listener_->reply_continue(n.id);
        return;
    }
    const auto absolute = absolute_path(static_cast<pid_t>(n.pid), dirfd, *path);
    const OpenTarget target = absolute ? classify_path(*absolute, options_.framebuffer_env) : OpenTarget::other;
    const bool cloexec = flags & O_CLOEXEC;
    switch (target) {
    case OpenTarget::other:
        listener_->reply_continue(n.id);
        return;
    case OpenTarget::missing_framebuffer:
        listener_->reply_error(n.id, ENOENT);
        return;
    case OpenTarget::console: {
        auto fd = console_->open_for_program(static_cast<int>(flags));
        if (!fd) {
            listener_->reply_error(n.id, fd.error().code ? fd.error().code : EIO);
            return;
        }
        ++stats_.console_opens;
        listener_->reply_fd(n.id, fd->get(), cloexec);
        return;
    }
    case OpenTarget::framebuffer:
        break;
    }
    if (flags & O_PATH) {
        listener_->reply_continue(n.id);  // a path fd of the node (in the private /dev)
        return;
    }
    int refusal = 0;
    if (fb_->revoked())
        refusal = ENODEV;  // as for a framebuffer that was unregistered
    else if (flags & O_DIRECTORY)
        refusal = ENOTDIR;
    else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        refusal = EEXIST;
    if (refusal != 0) {
        listener_->reply_error(n.id, refusal);
        return;
    }
    // A new open file of the memory: its own offset and flags, as each open
    // of /dev/fb0 has. O_TRUNC means nothing to a character device.
    const std::string self = "/proc/self/fd/" + std::to_string(fb_->memfd());
    UniqueFd fd(::open(self.c_str(), static_cast<int>(flags & (O_ACCMODE | O_NONBLOCK)) | O_CLOEXEC));
    if (!fd) {
        listener_->reply_error(n.id, errno);
        return;
    }
    ++stats_.framebuffer_opens;
    fb_->show();
    listener_->reply_fd(n.id, fd.get(), cloexec);
}

void FbdevProgram::answer(uint64_t id, const IoctlOutcome& outcome)
{
    if (outcome.error != 0 || outcome.wait == Deferral::none) {
        listener_->reply_error(id, outcome.error);
        return;
    }
    // The task waits in its ioctl; nothing else does.
    auto done = [this, id, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired() && listener_)
            listener_->reply_value(id, 0);  // ENOENT if it was killed meanwhile: nothing to do
    };
    if (outcome.wait == Deferral::next_vblank)
        screen_.wait_vblank(std::move(done));
    else
        console_->when_active(std::move(done));
}

void FbdevProgram::handle_ioctl(const seccomp_notif& n)
{
    const auto tid = static_cast<pid_t>(n.pid);
    const int fd = static_cast<int>(n.data.args[0]);
    const auto cmd = static_cast<unsigned long>(static_cast<uint32_t>(n.data.args[1]));
    const FdKind kind = fd_kind(tid, fd);
    if (kind == FdKind::other) {
        listener_->reply_continue(n.id);
        return;
    }
    ++stats_.ioctls;
    ProcessMemory memory(tid, [this, id = n.id] { return listener_->still_waiting(id); });
    if (kind == FdKind::framebuffer) {
        answer(n.id, fb_->ioctl(cmd, n.data.args[2], memory));
        return;
    }
    if (_IOC_TYPE(cmd) == 'F') {
        listener_->reply_error(n.id, ENOTTY);  // a pty knows no fb ioctls
        return;
    }
    answer(n.id, console_->ioctl(tid, cmd, n.data.args[2], memory));
}

void FbdevProgram::handle_resize(const seccomp_notif& n)
{
    if (fd_kind(static_cast<pid_t>(n.pid), static_cast<int>(n.data.args[0])) != FdKind::framebuffer) {
        listener_->reply_continue(n.id);
        return;
    }
    // What a character device answers (do_sys_ftruncate, vfs_fallocate); the
    // memory must keep its size, or udefio's own reads of it would fault.
    listener_->reply_error(n.id, n.data.nr == __NR_ftruncate ? EINVAL : ENODEV);
}

void FbdevProgram::handle_mmap(const seccomp_notif& n)
{
    const auto tid = static_cast<pid_t>(n.pid);
    if (fd_kind(tid, static_cast<int>(n.data.args[4])) != FdKind::framebuffer) {
        listener_->reply_continue(n.id);
        return;
    }
    if (fb_->revoked()) {
        listener_->reply_error(n.id, ENODEV);
        return;
    }
    // A memfd given at the spawn (UDEFIO_BUFFER_FD) is mapped without an open.
    fb_->show();
    // The memory maps natively; beyond smem_len it raises SIGBUS on access,
    // as fb_deferred_io_fault does. What we add is the tracking.
    if (!options_.track_in_program || untrackable_threads_.count(tid) || !replay_tracked_mmap(n)) {
        ++stats_.mappings_untracked;
        listener_->reply_continue(n.id);
    }
}

Result<void> FbdevProgram::create_userfaultfd(SyscallInjector& injector, pid_t tgid)
{
    auto uffd = injector.call(__NR_userfaultfd, {O_CLOEXEC | O_NONBLOCK});
    if (uffd && *uffd == -EPERM) {
        // Without CAP_SYS_PTRACE (vm.unprivileged_userfaultfd=0): faults of
        // the kernel's own accesses (read() into the mapping) then fail.
        UDEFIO_LOG(warn, "fbdev: userfaultfd in process %d handles user-mode faults only: a read() into its "
                         "framebuffer mapping fails with EFAULT", int(tgid));
        uffd = injector.call(__NR_userfaultfd, {O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY});
    }
    if (!uffd)
        return uffd.error();
    if (syscall_failed(*uffd))
        return Error{static_cast<int>(-*uffd), "userfaultfd() in process " + std::to_string(tgid)};
    const int target_fd = static_cast<int>(*uffd);
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0)));
    UniqueFd ours(pidfd ? static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), target_fd, 0)) : -1);
    const int getfd_errno = errno;
    // The program never sees it.
    if (auto closed = injector.call(__NR_close, {static_cast<uint64_t>(target_fd)}); !closed)
        return closed.error();
    if (!ours)
        return Error{getfd_errno, "pidfd_getfd of the program's userfaultfd"};
    return writes_->adopt(tgid, std::move(ours));
}

bool FbdevProgram::replay_tracked_mmap(const seccomp_notif& n)
{
    const auto tid = static_cast<pid_t>(n.pid);
    const pid_t tgid = thread_group_of(tid);
    auto injector = SyscallInjector::attach(tid, child_pid_);
    if (!injector) {
        // If the interrupt got through, the call restarts: it must then just run.
        untrackable_threads_.insert(tid);
        writes_->add_untracked_mapping("the program's mmap of /dev/fb0 could not be taken over (" +
                                       injector.error().message() + ")");
        return false;
    }
    // From here the notification is withdrawn: the thread is ours until the
    // injector detaches, restarting its mmap or returning our result.
    if (injector->interrupted_syscall() != __NR_mmap)
        return true;
    std::array<uint64_t, 6> args;
    std::copy(std::begin(n.data.args), std::end(n.data.args), args.begin());
    args[3] |= kReplayedMmapFlag;
    if (!writes_->has_context(tgid)) {
        if (auto made = create_userfaultfd(*injector, tgid); !made)
            UDEFIO_LOG(warn, "fbdev: %s", made.error().message().c_str());
    }
    auto mapped = injector->call(__NR_mmap, args);
    if (!mapped)
        return true;  // the thread died
    injector->return_value(*mapped);
    if (syscall_failed(*mapped))
        return true;  // its own mmap's error
    auto tracked = writes_->track(tgid, static_cast<uint64_t>(*mapped), n.data.args[1], n.data.args[5]);
    if (!tracked) {
        // A userfaultfd of its mm before exec: make a new one.
        if (create_userfaultfd(*injector, tgid))
            tracked = writes_->track(tgid, static_cast<uint64_t>(*mapped), n.data.args[1], n.data.args[5]);
    }
    if (tracked) {
        ++stats_.mappings_tracked;
    } else {
        ++stats_.mappings_untracked;
        writes_->add_untracked_mapping(tracked.error().message());
    }
    return true;
}

}  // namespace udefio::fbdev
