#include "fence/fence.hpp"

#include <linux/sync_file.h>
#include <poll.h>
#include <sys/ioctl.h>

#include "util/clock.hpp"

namespace udefio {
namespace {

struct SyncFileStatus {
    int status = 0;  // 1 signalled, 0 active, < 0 error
    std::chrono::nanoseconds timestamp{};  // the latest of its fences' signal times
};

Result<SyncFileStatus> query_sync_file(int fd)
{
    sync_file_info info{};
    if (::ioctl(fd, SYNC_IOC_FILE_INFO, &info) != 0)
        return errno_error("SYNC_IOC_FILE_INFO on fd " + std::to_string(fd) + " (is it a sync_file?)");
    std::vector<sync_fence_info> fences(info.num_fences);
    if (!fences.empty()) {
        info.sync_fence_info = reinterpret_cast<uintptr_t>(fences.data());
        if (::ioctl(fd, SYNC_IOC_FILE_INFO, &info) != 0)
            return errno_error("SYNC_IOC_FILE_INFO with " + std::to_string(fences.size()) + " fences");
    }
    SyncFileStatus status{info.status, {}};
    for (const sync_fence_info& f : fences)
        status.timestamp = std::max(status.timestamp, std::chrono::nanoseconds(f.timestamp_ns));
    return status;
}

}  // namespace

Result<std::shared_ptr<Fence>> Fence::adopt_sync_file(UniqueFd fd)
{
    if (auto status = query_sync_file(fd.get()); !status)
        return status.error();
    return std::make_shared<Fence>(Key{}, std::move(fd), nullptr, 0, std::nullopt);
}

Result<std::shared_ptr<Fence>> Fence::create_software(FenceOwner& owner, uint64_t seqno)
{
    auto bell = Doorbell::create();
    if (!bell)
        return bell.error();
    return std::make_shared<Fence>(Key{}, UniqueFd(), &owner, seqno, std::move(bell).value());
}

Fence::Fence(Key, UniqueFd sync_file, FenceOwner* owner, uint64_t seqno, std::optional<Doorbell> bell)
    : sync_file_(std::move(sync_file)), seqno_(seqno), bell_(std::move(bell)), owner_(owner)
{
}

int Fence::poll_fd() const
{
    return bell_ ? bell_->fd() : sync_file_.get();
}

bool Fence::signalled() const
{
    std::lock_guard lock(lock_);
    return signalled_;
}

std::optional<std::chrono::nanoseconds> Fence::signalled_at() const
{
    std::lock_guard lock(lock_);
    if (!signalled_)
        return std::nullopt;
    return signalled_at_;
}

Result<void> Fence::add_callback(Callback callback)
{
    std::lock_guard lock(lock_);
    if (signalled_)
        return plain_error("fence " + std::to_string(seqno_) + ": already signalled");
    callbacks_.push_back(std::move(callback));
    return {};
}

bool Fence::signal(std::chrono::nanoseconds at)
{
    std::vector<Callback> callbacks;
    {
        std::unique_lock lock(lock_);
        if (signalled_)
            return false;
        signalled_ = true;
        signalled_at_ = at;
        owner_ = nullptr;  // no new call into the owner starts from here
        // The synchronisation point the owner relies on: calls already inside
        // it finish before signal() returns ("dma-fence: Fix races of fence callbacks versus destructors by locking"). They run unlocked, so
        // waiting here holds nobody up but the signaller.
        owner_idle_.wait(lock, [this] { return owner_calls_ == 0; });
        callbacks.swap(callbacks_);
    }
    if (bell_)
        bell_->ring();
    for (Callback& callback : callbacks)
        callback(at);
    return true;
}

bool Fence::check_sync_file()
{
    if (!sync_file_)
        return signalled();
    pollfd p{sync_file_.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) != 1)
        return signalled();
    auto status = query_sync_file(sync_file_.get());
    // An error status (the driver failed the work) still ends the wait.
    signal(status && status->timestamp.count() ? status->timestamp : monotonic_now());
    return true;
}

FenceOwner* Fence::begin_owner_call() const
{
    std::lock_guard lock(lock_);
    if (!owner_)
        return nullptr;
    ++owner_calls_;
    return owner_;
}

void Fence::end_owner_call() const
{
    std::lock_guard lock(lock_);
    if (--owner_calls_ == 0)
        owner_idle_.notify_all();
}

std::string Fence::timeline_name() const
{
    FenceOwner* owner = begin_owner_call();
    if (!owner)
        return sync_file_ ? "sync_file" : "signalled-timeline";
    std::string name = owner->timeline_name();
    end_owner_call();
    return name;
}

void Fence::set_deadline(std::chrono::nanoseconds deadline)
{
    FenceOwner* owner = begin_owner_call();
    if (!owner)
        return;
    owner->set_deadline(seqno_, deadline);
    end_owner_call();
}

}  // namespace udefio
