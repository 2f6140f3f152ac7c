// A point at which some work completes: a dma_fence seen from userspace.
// Either a kernel sync_file (KMS OUT_FENCE_PTR, a client's IN_FENCE_FD) or a
// software fence whose owner (a SoftwareTimeline) signals it.
//
// The rules of the dma-fence thread "dma-fence: Fix races of fence callbacks versus destructors by locking":
// - lock_ guards the signalling state only (signalled_, the callbacks, the
//   owner pointer and the count of calls into the owner), never the owner's
//   own state, and is never held while calling out;
// - signal() is the owner's synchronisation point: once it returns, no call
//   into the owner is running or will start, so the owner may free itself;
// - a callback added after signal is refused ("already signalled").
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/doorbell.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

// The signalling side of software fences (dma_fence_ops). Called only while
// the fence is unsignalled, never with the fence's lock held; must not signal
// the fence it is called for from inside the call.
class FenceOwner {
public:
    virtual std::string timeline_name() const = 0;
    // Someone needs the fence by `deadline` (CLOCK_MONOTONIC): a hint.
    virtual void set_deadline(uint64_t seqno, std::chrono::nanoseconds deadline) = 0;

protected:
    ~FenceOwner() = default;
};

class Fence {
public:
    using Callback = std::function<void(std::chrono::nanoseconds signalled_at)>;

    // Takes a sync_file fd; fails if `fd` is not one.
    static Result<std::shared_ptr<Fence>> adopt_sync_file(UniqueFd fd);
    static Result<std::shared_ptr<Fence>> create_software(FenceOwner& owner, uint64_t seqno);

    bool is_sync_file() const { return sync_file_.valid(); }
    // The sync_file (for IN_FENCE_FD); invalid for software fences.
    const UniqueFd& sync_file() const { return sync_file_; }
    // Readable once signalled (the sync_file, or the software fence's eventfd):
    // what the event loop waits on.
    int poll_fd() const;
    uint64_t seqno() const { return seqno_; }

    bool signalled() const;
    // CLOCK_MONOTONIC; for a sync_file, the kernel's signal timestamp.
    std::optional<std::chrono::nanoseconds> signalled_at() const;

    // Runs `callback` once when the fence signals, on the signalling thread,
    // without the fence lock. Refused with "already signalled" afterwards.
    Result<void> add_callback(Callback callback);

    // Software fences: marks the fence signalled, waits for calls into the
    // owner that are running, then runs the callbacks. False if it already was.
    bool signal(std::chrono::nanoseconds at);
    // Sync_file fences: if the kernel signalled it (poll, never blocks), takes
    // the kernel's timestamp and signals. Returns signalled().
    bool check_sync_file();

    // Calls into the owner while unsignalled; afterwards the kernel's answers
    // for a signalled fence ("signalled-timeline", deadline ignored).
    std::string timeline_name() const;
    void set_deadline(std::chrono::nanoseconds deadline);

    struct Key {
        explicit Key() = default;
    };
    Fence(Key, UniqueFd sync_file, FenceOwner* owner, uint64_t seqno, std::optional<Doorbell> bell);

private:
    // Returns the owner with a call counted, or nullptr once signalled.
    FenceOwner* begin_owner_call() const;
    void end_owner_call() const;

    const UniqueFd sync_file_;
    const uint64_t seqno_;
    const std::optional<Doorbell> bell_;  // software fences: rung at signal

    mutable std::mutex lock_;  // see the header comment; any thread, never held while calling out
    mutable std::condition_variable owner_idle_;
    bool signalled_ = false;
    std::chrono::nanoseconds signalled_at_{};
    FenceOwner* owner_;               // nullptr once signalled
    mutable unsigned owner_calls_ = 0;  // calls into owner_ running now
    std::vector<Callback> callbacks_;
};

}  // namespace udefio
