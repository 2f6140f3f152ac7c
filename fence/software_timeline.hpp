// A timeline of software fences (the kernel's sw_sync, in userspace): the
// headless output's "scanout done" fences, signalled at its simulated vblank.
// It is the fences' owner; its destructor signals what is pending, and since
// signal() returns only when no call into the owner is running, nothing calls
// into a destroyed timeline (the rules of "dma-fence: Fix races of fence callbacks versus destructors by locking").
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "fence/fence.hpp"

namespace udefio {

class SoftwareTimeline final : public FenceOwner {
public:
    explicit SoftwareTimeline(std::string name) : name_(std::move(name)) {}
    ~SoftwareTimeline();
    SoftwareTimeline(const SoftwareTimeline&) = delete;
    SoftwareTimeline& operator=(const SoftwareTimeline&) = delete;

    // A fence for the next point of the timeline.
    Result<std::shared_ptr<Fence>> create_fence();
    // Signals every pending fence up to and including `seqno`.
    void signal_until(uint64_t seqno, std::chrono::nanoseconds at);
    void signal_all(std::chrono::nanoseconds at);
    uint64_t last_seqno() const;

    // The earliest deadline anyone asked for, if any (cleared by signal_all).
    std::optional<std::chrono::nanoseconds> earliest_deadline() const;

    std::string timeline_name() const override { return name_; }
    void set_deadline(uint64_t seqno, std::chrono::nanoseconds deadline) override;

private:
    const std::string name_;
    // mutex_ protects the timeline's own state: pending_, next_seqno_ and
    // deadline_. Not the fences' signalling state (their own lock does that);
    // never held while signalling, so a fence callback may create the next fence.
    mutable std::mutex mutex_;
    std::deque<std::shared_ptr<Fence>> pending_;
    uint64_t next_seqno_ = 1;
    std::optional<std::chrono::nanoseconds> deadline_;
};

}  // namespace udefio
