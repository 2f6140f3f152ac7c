// One KMS pipe (connector → CRTC → primary plane) showing a DeferredIoState.
// Two dumb buffers: a flush copies this frame's damage plus what the back
// buffer missed into the back buffer and commits it (atomic with
// FB_DAMAGE_CLIPS, or legacy DirtyFB + page flip); at most one commit is in
// flight. Where the CRTC has a real vblank, flushes start shortly before the
// vblank they can catch (VblankClock), so they find no commit in flight; a
// flush that still finds one waits for its page flip (damage written
// meanwhile accumulates in the tracker and goes into the next commit).
//
// A transform is done by the plane (its `rotation` property, the buffers
// the frame's turned size) where the driver takes it for this format and
// mode, else by the flush copy onto buffers of the panel's size. While the
// seat is away (suspend) nothing is copied or committed; resume sets the
// mode again and redraws the whole frame. Blanked, the CRTC is inactive.
#pragma once

#include <array>
#include <functional>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "backends/damage_ring.hpp"
#include "backends/frame_copy.hpp"
#include "backends/kms/drm_device.hpp"
#include "backends/kms/drm_properties.hpp"
#include "backends/kms/kms_pipe.hpp"
#include "backends/kms/scanout_buffer.hpp"
#include "backends/vblank_clock.hpp"
#include "backends/output.hpp"
#include "loop/event_loop.hpp"
#include "fence/fence_wait.hpp"
#include "util/unique_fd.hpp"
#include "util/weak_self.hpp"

namespace udefio {

// What only a KMS output counts (OutputCounters has commits, flips as
// `presented`, bytes and signalled fences).
struct KmsCounters {
    uint64_t damage_clips = 0;  // FB_DAMAGE_CLIPS rectangles sent (0 if the plane has none)
    uint64_t out_fences = 0;    // commits that returned an OUT_FENCE_PTR fence
    uint64_t in_fences = 0;     // commits that waited on a client's IN_FENCE_FD
};

// Sets the CRTC back to what it showed before udefio took it, when destroyed
// (after the output's state was detached: no commit runs then).
class CrtcRestore {
public:
    CrtcRestore(int fd, uint32_t crtc_id, uint32_t connector_id, std::string name);
    ~CrtcRestore();
    CrtcRestore(const CrtcRestore&) = delete;
    CrtcRestore& operator=(const CrtcRestore&) = delete;
    // The device was unplugged: nothing to restore.
    void forget() { forgotten_ = true; }

private:
    const int fd_;
    const uint32_t crtc_id_;
    const uint32_t connector_id_;
    const std::string name_;
    std::unique_ptr<drmModeCrtc, void (*)(drmModeCrtc*)> saved_;
    bool forgotten_ = false;
};

// How the output shows its frame on the panel.
struct KmsOutputOptions {
    Transform transform = Transform::normal;
    bool plane_rotation = true;  // false: the flush copy turns the frame even where the plane could
};

class KmsOutput final : public Output {
public:
    // Makes a scanout buffer of the given size (dumb or GBM).
    using Allocator = std::function<Result<std::unique_ptr<ScanoutBuffer>>(uint32_t width, uint32_t height)>;

    // Sets the mode (blocking) and shows a black buffer.
    static Result<std::unique_ptr<KmsOutput>> create(EventLoop& loop, const DrmDevice& device, const KmsPipe& pipe,
                                                     const Allocator& allocate, const KmsOutputOptions& options = {});
    // Restores the CRTC as it was before create(). Loop thread.
    ~KmsOutput() override;

    std::string name() const override { return pipe_.name; }
    OutputMode mode() const override;
    // Its counters: commits are atomic or legacy page-flip commits; presented, their page flips.
    VblankTiming vblank_timing() const override;
    // The CRTC's vblank grid, once a flip placed it.
    std::chrono::nanoseconds next_vblank(std::chrono::nanoseconds now) const override;
    KmsCounters kms_counters() const;
    bool damage_clips_supported() const { return damage_clips_prop_.has_value(); }
    uint32_t crtc_id() const { return pipe_.crtc_id; }
    uint32_t connector_id() const { return pipe_.connector_id; }
    const KmsPipe& pipe() const { return pipe_; }
    // The device was unplugged: the destructor does not try to restore the CRTC.
    void forget_device() { restore_.forget(); }
    // Whether the plane turns the frame (else the flush copy does, if it is turned at all).
    bool plane_turns() const { return plane_rotation_.has_value(); }

    // The seat is going (DRM master is gone): nothing is copied or
    // committed until resume(). Loop thread.
    void suspend();
    // The seat is back: the mode is set again (the previous master left the
    // CRTC as it liked) showing the last frame committed, then the whole
    // frame is flushed again. Loop thread.
    Result<void> resume();

    Result<void> set_blanked(bool blanked) override;
    Result<void> hold_blanked(bool held) override;
    bool blanked() const override;

    // Flush worker thread.
    FlushResult flush(const SharedBuffer& src, std::span<PageRef* const> pages,
                      const Damage& damage, std::chrono::nanoseconds due) override;
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

    KmsOutput(EventLoop& loop, const DrmDevice& device, const KmsPipe& pipe, Transform transform,
              std::optional<uint64_t> plane_rotation, std::array<std::unique_ptr<ScanoutBuffer>, 2> buffers);

private:
    SinkBinding& binding() override { return binding_; }
    // The whole pipe (blocking): mode, connector, the plane on the front
    // buffer, ACTIVE unless blanked. Under mutex_ or before the output is shared.
    Result<void> set_mode();
    // The CRTC on or off (blocking). Under mutex_.
    Result<void> set_active(bool active);
    // The CRTC as blanked_ and held_ are to become: off if either is. Under mutex_.
    Result<void> switch_off(bool blanked, bool held);
    // The whole frame goes out again with the next flush. Not under mutex_
    // (a flush holds the state's lock, then mutex_).
    void redraw_all();
    // `due`: when the flush was meant to start (Sink::flush).
    Result<void> commit(ScanoutBuffer& buffer, const Damage& damage, std::chrono::nanoseconds due);
    Result<void> commit_atomic(ScanoutBuffer& buffer, const std::vector<Rect>& clips, std::chrono::nanoseconds due);
    Result<void> commit_legacy(ScanoutBuffer& buffer, const std::vector<Rect>& clips, std::chrono::nanoseconds due);
    void wait_in_fence_here();
    void adopt_out_fence(int fd, uint64_t token, std::chrono::nanoseconds issued);

    EventLoop& loop_;
    const int fd_;
    const bool atomic_;
    const KmsPipe pipe_;
    DrmProperties connector_props_;
    DrmProperties crtc_props_;
    DrmProperties plane_props_;
    std::optional<uint32_t> damage_clips_prop_;
    const DamageShape shape_;  // from the driver's name
    // The plane's rotation value when the plane turns the frame (the buffers
    // are then of the frame's size); nullopt: the copy turns it, if at all.
    const std::optional<uint64_t> plane_rotation_;
    const FrameCopy copy_;
    // Set in create() when the CRTC has a real vblank, then never replaced.
    std::optional<VblankClock> vblank_;

    // Protects buffers_' content, ages_, front_, in_flight_, closing_,
    // suspended_, blanked_, the fences, in_flight_token_ and
    // in_flight_issued_. Taken by flush() (flush worker, under the state
    // lock; it commits while holding it, and records the commit in the
    // profiler, whose lock nests inside, as does the cursor's), by
    // on_page_flip(), suspend(), resume() and set_blanked() (loop), by the
    // fence accessors and by the destructor; never held while calling back
    // into the state or the presented callback.
    mutable std::mutex mutex_;
    std::condition_variable flipped_;
    std::array<std::unique_ptr<ScanoutBuffer>, 2> buffers_;
    DamageRing ages_;  // what each buffer missed while the other was shown
    int front_ = 0;
    bool in_flight_ = false;
    bool closing_ = false;
    bool suspended_ = false;  // the seat is away: no master, no commits
    bool blanked_ = false;    // the CRTC is inactive until something is drawn (set_blanked)
    bool held_ = false;       // the CRTC is inactive until hold_blanked(false); nothing is drawn meanwhile
    std::shared_ptr<Fence> out_fence_;  // the last commit's OUT_FENCE_PTR fence, or null
    std::shared_ptr<Fence> in_fence_;   // for the next commit, or null
    uint64_t in_flight_token_ = 0;      // the profiler's token of the commit in flight
    std::chrono::nanoseconds in_flight_issued_{};  // and when it was issued

    // Loop thread only: the wait for the last out fence.
    std::unique_ptr<FenceWait> out_fence_wait_;

    std::atomic<uint64_t> damage_clips_{0};
    std::atomic<uint64_t> out_fences_{0};
    std::atomic<uint64_t> in_fences_{0};

    // After the state is detached, while the buffers still exist: sets the CRTC back.
    CrtcRestore restore_;
    WeakSelf<KmsOutput> self_{*this};  // posted callbacks find the output gone after this
    SinkBinding binding_{*this};       // last: detaches the state first
};

}  // namespace udefio
