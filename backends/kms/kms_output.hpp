// One KMS pipe (connector → CRTC → primary plane) showing a DeferredIoState.
// Two dumb buffers: a flush copies this frame's damage plus what the back
// buffer missed into the back buffer and commits it (atomic with
// FB_DAMAGE_CLIPS, or legacy DirtyFB + page flip); at most one commit is in
// flight. Where the CRTC has a real vblank, flushes start shortly before the
// vblank they can catch (VblankClock), so they find no commit in flight; a
// flush that still finds one waits for its page flip (damage written
// meanwhile accumulates in the tracker and goes into the next commit).
#pragma once

#include <array>
#include <functional>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "backends/kms/drm_device.hpp"
#include "backends/kms/drm_properties.hpp"
#include "backends/kms/kms_pipe.hpp"
#include "backends/kms/scanout_buffer.hpp"
#include "backends/vblank_clock.hpp"
#include "backends/output.hpp"
#include "loop/event_loop.hpp"
#include "fence/fence_wait.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

struct KmsCounters {
    uint64_t commits = 0;
    uint64_t flips = 0;
    uint64_t bytes_copied = 0;
    uint64_t damage_clips = 0;  // FB_DAMAGE_CLIPS rectangles sent (0 if the plane has none)
    uint64_t out_fences = 0;    // commits that returned an OUT_FENCE_PTR fence
    uint64_t fences_signalled = 0;  // of those, seen signalled (by the loop's wait or at their flip)
    uint64_t in_fences = 0;         // commits that waited on a client's IN_FENCE_FD
    bool vblank_timed = false;      // flushes aim at the vblank grid (the CRTC has a real vblank)
    std::chrono::nanoseconds latch_margin{};  // how long before a vblank they start
    uint64_t missed_vblanks = 0;    // commits that landed a vblank later than the one they aimed at
};

class KmsOutput final : public Output {
public:
    // Makes a scanout buffer of the given size (dumb or GBM).
    using Allocator = std::function<Result<std::unique_ptr<ScanoutBuffer>>(uint32_t width, uint32_t height)>;

    // Sets the mode (blocking) and shows a black buffer.
    static Result<std::unique_ptr<KmsOutput>> create(EventLoop& loop, const DrmDevice& device, const KmsPipe& pipe,
                                                     const Allocator& allocate);
    // Restores the CRTC as it was before create(). Loop thread.
    ~KmsOutput() override;

    std::string name() const override { return pipe_.name; }
    OutputMode mode() const override;
    bool damage_clips_supported() const { return damage_clips_prop_.has_value(); }
    uint32_t crtc_id() const { return pipe_.crtc_id; }
    uint32_t connector_id() const { return pipe_.connector_id; }
    const KmsPipe& pipe() const { return pipe_; }
    // The device was unplugged: the destructor does not try to restore the CRTC.
    void forget_device() { device_gone_ = true; }

    // Flush worker thread.
    FlushResult flush(const SharedBuffer& src, std::span<PageRef* const> pages, const Damage& damage) override;
    // Any thread.
    DamageShape damage_shape() const override { return shape_; }
    std::chrono::nanoseconds flush_time(std::chrono::nanoseconds now, std::chrono::nanoseconds ready) const override;
    // Loop thread, from the backend's DRM event handler.
    void on_page_flip(uint64_t sequence, std::chrono::nanoseconds timestamp);

    Result<void> snapshot_png(const std::string& path) const override;

    // A client's fence the next commit must wait for before it scans out: a
    // sync_file goes to the kernel as IN_FENCE_FD (atomic); otherwise the
    // flush worker waits for it before committing.
    void set_in_fence(std::shared_ptr<Fence> fence);
    // The last commit's OUT_FENCE_PTR fence (signalled when it is on screen), if any.
    std::shared_ptr<Fence> out_fence() const;
    KmsCounters counters() const;

    using SavedCrtc = std::unique_ptr<drmModeCrtc, void (*)(drmModeCrtc*)>;
    KmsOutput(EventLoop& loop, const DrmDevice& device, const KmsPipe& pipe, SavedCrtc saved,
              std::array<std::unique_ptr<ScanoutBuffer>, 2> buffers);

private:
    Result<void> set_mode();
    Result<void> commit(ScanoutBuffer& buffer, const Damage& damage);
    Result<void> commit_atomic(ScanoutBuffer& buffer, const std::vector<Rect>& clips);
    Result<void> commit_legacy(ScanoutBuffer& buffer, const std::vector<Rect>& clips);
    void wait_in_fence_here();
    void adopt_out_fence(int fd, uint64_t token);

    EventLoop& loop_;
    const int fd_;
    const bool atomic_;
    const KmsPipe pipe_;
    SavedCrtc saved_crtc_;
    DrmProperties connector_props_;
    DrmProperties crtc_props_;
    DrmProperties plane_props_;
    std::optional<uint32_t> damage_clips_prop_;
    const DamageShape shape_;  // from the driver's name
    // Set in create() when the CRTC has a real vblank, then never replaced.
    std::optional<VblankClock> vblank_;
    bool device_gone_ = false;  // loop thread only

    // Protects buffers_' content and missed damage, front_, in_flight_,
    // closing_, the fences and in_flight_token_. Taken by flush() (flush
    // worker, under the state lock; it commits while holding it, and records
    // the commit in the profiler, whose lock nests inside), by on_page_flip()
    // (loop), by the fence accessors and by the destructor; never held while
    // calling back into the state or the presented callback.
    mutable std::mutex mutex_;
    std::condition_variable flipped_;
    std::array<std::unique_ptr<ScanoutBuffer>, 2> buffers_;
    int front_ = 0;
    bool in_flight_ = false;
    bool closing_ = false;
    std::shared_ptr<Fence> out_fence_;  // the last commit's OUT_FENCE_PTR fence, or null
    std::shared_ptr<Fence> in_fence_;   // for the next commit, or null
    uint64_t in_flight_token_ = 0;      // the profiler's token of the commit in flight

    // Loop thread only: the wait for the last out fence.
    std::unique_ptr<FenceWait> out_fence_wait_;
    // Posted callbacks hold a weak reference: one that runs after the output
    // is gone finds it expired and does nothing.
    std::shared_ptr<KmsOutput*> self_;

    std::atomic<uint64_t> commits_{0};
    std::atomic<uint64_t> flips_{0};
    std::atomic<uint64_t> bytes_copied_{0};
    std::atomic<uint64_t> damage_clips_{0};
    std::atomic<uint64_t> out_fences_{0};
    std::atomic<uint64_t> fences_signalled_{0};
    std::atomic<uint64_t> in_fences_{0};
};

}  // namespace udefio
