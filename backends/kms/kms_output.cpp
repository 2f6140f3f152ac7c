#include "backends/kms/kms_output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <xf86drm.h>

#include <algorithm>
#include <cstring>

#include "defio/pixel_copy.hpp"
#include "defio/sigbus_guard.hpp"
#include "backends/kms/kms_damage_shape.hpp"
#include "backends/png_file.hpp"
#include "defio/client_reads.hpp"
#include "util/clock.hpp"
#include "util/log.hpp"

namespace udefio {
namespace {

// Longer than any refresh period: a flip that takes longer is lost.
constexpr auto kFlipTimeout = std::chrono::milliseconds(200);

// When a commit issued at `issued` reached the screen, from the time the
// kernel stamped its flip event or fence with. vkms stamps a vblank with its
// timer's expiry but latches commits until the timer's handler runs, later: a
// commit issued in between is shown at that vblank, stamped before it was
// issued. It cannot have been on screen before it was issued.
std::chrono::nanoseconds shown_at(std::chrono::nanoseconds stamp, std::chrono::nanoseconds issued)
{
    return std::max(stamp, issued);
}

// The plane's rotation value for `t` (wl_output_transform numbering: the
// panel turned by t is what the user sees, so the plane turns the frame by
// t's inverse onto the panel, counter-clockwise in DRM's terms, as
// drm_rect_rotate() says): a reflection about the vertical axis is
// REFLECT_X before the rotation, or REFLECT_Y before the opposite one.
// nullopt when the plane offers neither.
std::optional<uint64_t> plane_rotation(int fd, const DrmProperties& plane, Transform t)
{
    const auto id = plane.id("rotation");
    if (!id)
        return std::nullopt;
    uint64_t offered = 0;
    if (drmModePropertyRes* prop = drmModeGetProperty(fd, *id)) {
        if (prop->flags & DRM_MODE_PROP_BITMASK)
            for (int i = 0; i < prop->count_enums; ++i)
                offered |= 1ull << prop->enums[i].value;
        drmModeFreeProperty(prop);
    }
    static constexpr uint64_t kRotate[4] = {DRM_MODE_ROTATE_0, DRM_MODE_ROTATE_90, DRM_MODE_ROTATE_180,
                                            DRM_MODE_ROTATE_270};
    const unsigned turn = unsigned(t) & 3;
    std::vector<uint64_t> candidates{kRotate[turn]};
    if (unsigned(t) & 4)
        candidates = {kRotate[turn] | DRM_MODE_REFLECT_X, kRotate[(turn + 2) & 3] | DRM_MODE_REFLECT_Y};
    for (uint64_t wanted : candidates)
        if ((wanted & ~offered) == 0)
            return wanted;
    return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<KmsOutput>> KmsOutput::create(EventLoop& loop, const DrmDevice& device, const KmsPipe& pipe,
                                                     const Allocator& allocate, const KmsOutputOptions& options)
{
    const OutputGeometry geometry{{int32_t(pipe.mode.hdisplay), int32_t(pipe.mode.vdisplay)}, options.transform};
    std::optional<uint64_t> rotation;
    if (options.transform != Transform::normal && options.plane_rotation && device.atomic())
        rotation = plane_rotation(device.fd(), DrmProperties::read(device.fd(), pipe.plane_id, DRM_MODE_OBJECT_PLANE),
                                  options.transform);
    auto make = [&](std::optional<uint64_t> plane_turns) -> Result<std::unique_ptr<KmsOutput>> {
        // The plane scans the frame out turned: its buffers are the frame's size.
        const Size size = plane_turns ? geometry.logical() : geometry.panel;
        std::array<std::unique_ptr<ScanoutBuffer>, 2> buffers;
        for (auto& b : buffers) {
            auto made = allocate(uint32_t(size.width), uint32_t(size.height));
            if (!made)
                return Error{made.error().code, device.path() + ": " + made.error().what};
            b = std::move(made).value();
        }
        auto output =
            std::make_unique<KmsOutput>(loop, device, pipe, options.transform, plane_turns, std::move(buffers));
        if (auto r = output->set_mode(); !r)
            return Error{r.error().code, device.path() + " " + pipe.name + ": " + r.error().what};
        return output;
    };
    auto output = make(rotation);
    if (!output && rotation) {
        // The check of the modeset is the driver's word on this rotation for this format and mode.
        UDEFIO_LOG(info, "%s: the plane refused rotation %s (%s); the flush copy turns the frame", pipe.name.c_str(),
                   std::string(transform_name(options.transform)).c_str(), output.error().message().c_str());
        output = make(std::nullopt);
    }
    if (!output)
        return output.error();
    if (options.transform != Transform::normal)
        UDEFIO_LOG(info, "%s: turned %s by %s", pipe.name.c_str(), std::string(transform_name(options.transform)).c_str(),
                   (*output)->plane_turns()               ? "the plane's rotation property"
                   : !options.plane_rotation              ? "the flush copy (--no-plane-rotation)"
                   : !device.atomic()                     ? "the flush copy (legacy modesetting has no plane rotation)"
                                                          : "the flush copy (the plane offers no such rotation)");
    // A vblank counter exists only where the driver has real vblanks; page
    // flips of the others complete at once and have no grid to aim at.
    uint64_t sequence = 0, ns = 0;
    if (drmCrtcGetSequence(device.fd(), pipe.crtc_id, &sequence, &ns) == 0)
        (*output)->vblank_.emplace((*output)->mode().refresh_period());
    else
        UDEFIO_LOG(info, "%s: no vblank counter (%s): flushes run when ready, not aimed at a vblank",
                   pipe.name.c_str(), std::strerror(errno));
    return output;
}

KmsOutput::KmsOutput(EventLoop& loop, const DrmDevice& device, const KmsPipe& pipe, Transform transform,
                     std::optional<uint64_t> plane_rotation, std::array<std::unique_ptr<ScanoutBuffer>, 2> buffers)
    : Output(transform),
      loop_(loop),
      fd_(device.fd()),
      atomic_(device.atomic()),
      pipe_(pipe),
      connector_props_(DrmProperties::read(fd_, pipe.connector_id, DRM_MODE_OBJECT_CONNECTOR)),
      crtc_props_(DrmProperties::read(fd_, pipe.crtc_id, DRM_MODE_OBJECT_CRTC)),
      plane_props_(DrmProperties::read(fd_, pipe.plane_id, DRM_MODE_OBJECT_PLANE)),
      damage_clips_prop_(plane_props_.id("FB_DAMAGE_CLIPS")),
      shape_(kms_damage_shape(drm_driver_name(fd_))),
      plane_rotation_(plane_rotation),
      copy_(plane_rotation ? OutputGeometry{frame_size(), Transform::normal} : geometry()),
      buffers_(std::move(buffers)),
      ages_(2, Rect{0, 0, frame_size().width, frame_size().height}),
      restore_(device.fd(), pipe.crtc_id, pipe.connector_id, pipe.name)
{
}

KmsOutput::~KmsOutput()
{
    {
        std::lock_guard lock(mutex_);
        closing_ = true;  // a flush waiting for a flip gives up: the loop will not deliver it now
    }
    flipped_.notify_all();
    // Then binding_ detaches the state (waiting for a running flush), and
    // restore_ sets the CRTC back before the buffers go.
}

CrtcRestore::CrtcRestore(int fd, uint32_t crtc_id, uint32_t connector_id, std::string name)
    : fd_(fd),
      crtc_id_(crtc_id),
      connector_id_(connector_id),
      name_(std::move(name)),
      saved_(drmModeGetCrtc(fd, crtc_id), drmModeFreeCrtc)
{
}

CrtcRestore::~CrtcRestore()
{
    if (forgotten_)
        return;
    const drmModeCrtc* s = saved_.get();
    uint32_t connector = connector_id_;
    const int r = s && s->buffer_id
                      ? drmModeSetCrtc(fd_, s->crtc_id, s->buffer_id, s->x, s->y, &connector, 1,
                                       const_cast<drmModeModeInfo*>(&s->mode))
                      : drmModeSetCrtc(fd_, crtc_id_, 0, 0, 0, nullptr, 0, nullptr);
    if (r != 0)
        UDEFIO_LOG(warn, "%s: restoring the CRTC failed: %s", name_.c_str(), std::strerror(errno));
}

OutputMode KmsOutput::mode() const
{
    const drmModeModeInfo& m = pipe_.mode;
    const uint64_t mhz = m.htotal && m.vtotal ? uint64_t(m.clock) * 1'000'000 / (uint64_t(m.htotal) * m.vtotal)
                                              : uint64_t(m.vrefresh) * 1000;
    return {m.hdisplay, m.vdisplay, uint32_t(mhz ? mhz : 60'000)};
}

Result<void> KmsOutput::set_mode()
{
    ScanoutBuffer& shown = *buffers_[front_];
    if (!atomic_) {
        uint32_t connector = pipe_.connector_id;
        drmModeModeInfo mode = pipe_.mode;
        if (drmModeSetCrtc(fd_, pipe_.crtc_id, shown.fb_id(), 0, 0, &connector, 1, &mode) != 0)
            return errno_error("drmModeSetCrtc");
        return blanked_ || held_ ? set_active(false) : Result<void>();
    }
    uint32_t mode_blob = 0;
    if (drmModeCreatePropertyBlob(fd_, &pipe_.mode, sizeof pipe_.mode, &mode_blob) != 0)
        return errno_error("drmModeCreatePropertyBlob(mode)");
    drmModeAtomicReq* req = drmModeAtomicAlloc();
    const uint32_t w = pipe_.mode.hdisplay, h = pipe_.mode.vdisplay;
    const Size source = copy_.buffer().panel;  // the buffer: the frame's size when the plane turns it
    auto add = [&](uint32_t object, const DrmProperties& props, const char* name, uint64_t value) {
        if (auto id = props.id(name))
            drmModeAtomicAddProperty(req, object, *id, value);
    };
    add(pipe_.connector_id, connector_props_, "CRTC_ID", pipe_.crtc_id);
    add(pipe_.crtc_id, crtc_props_, "MODE_ID", mode_blob);
    add(pipe_.crtc_id, crtc_props_, "ACTIVE", blanked_ || held_ ? 0 : 1);
    add(pipe_.plane_id, plane_props_, "FB_ID", shown.fb_id());
    add(pipe_.plane_id, plane_props_, "CRTC_ID", pipe_.crtc_id);
    add(pipe_.plane_id, plane_props_, "SRC_X", 0);
    add(pipe_.plane_id, plane_props_, "SRC_Y", 0);
    add(pipe_.plane_id, plane_props_, "SRC_W", uint64_t(source.width) << 16);
    add(pipe_.plane_id, plane_props_, "SRC_H", uint64_t(source.height) << 16);
    add(pipe_.plane_id, plane_props_, "CRTC_X", 0);
    add(pipe_.plane_id, plane_props_, "CRTC_Y", 0);
    add(pipe_.plane_id, plane_props_, "CRTC_W", w);
    add(pipe_.plane_id, plane_props_, "CRTC_H", h);
    // Set even when upright: the previous master may have left the plane turned.
    add(pipe_.plane_id, plane_props_, "rotation", plane_rotation_.value_or(DRM_MODE_ROTATE_0));
    const int r = drmModeAtomicCommit(fd_, req, DRM_MODE_ATOMIC_ALLOW_MODESET, nullptr);
    const int err = errno;
    drmModeAtomicFree(req);
    drmModeDestroyPropertyBlob(fd_, mode_blob);
    if (r != 0)
        return Error{err, "atomic modeset commit"};
    return {};
}

Result<void> KmsOutput::set_active(bool active)
{
    if (!atomic_) {
        const auto dpms = connector_props_.id("DPMS");
        if (!dpms)
            return plain_error("connector " + pipe_.name + " has no DPMS property");
        if (drmModeConnectorSetProperty(fd_, pipe_.connector_id, *dpms,
                                        active ? DRM_MODE_DPMS_ON : DRM_MODE_DPMS_OFF) != 0)
            return errno_error(std::string("DPMS ") + (active ? "on" : "off"));
        return {};
    }
    // Blocking: it waits for a commit in flight. ACTIVE alone keeps the
    // mode, the connector and the plane: switching on shows what was shown.
    drmModeAtomicReq* req = drmModeAtomicAlloc();
    drmModeAtomicAddProperty(req, pipe_.crtc_id, *crtc_props_.id("ACTIVE"), active ? 1 : 0);
    const int r = drmModeAtomicCommit(fd_, req, DRM_MODE_ATOMIC_ALLOW_MODESET, nullptr);
    const int err = errno;
    drmModeAtomicFree(req);
    if (r != 0)
        return Error{err, std::string("atomic commit of CRTC ACTIVE ") + (active ? "1" : "0")};
    return {};
}

Result<void> KmsOutput::switch_off(bool blanked, bool held)
{
    const bool off = blanked || held;
    if (off != (blanked_ || held_) && !suspended_) {  // else resume() sets the mode with it
        if (auto r = set_active(!off); !r)
            return Error{r.error().code, pipe_.name + ": " + r.error().what};
        if (!off && vblank_)
            vblank_->restart();
    }
    blanked_ = blanked;
    held_ = held;
    return {};
}

Result<void> KmsOutput::set_blanked(bool blanked)
{
    std::lock_guard lock(mutex_);
    return switch_off(blanked, held_);
}

Result<void> KmsOutput::hold_blanked(bool held)
{
    bool released;
    {
        std::lock_guard lock(mutex_);
        released = held_ && !held;
        if (auto r = switch_off(blanked_, held); !r)
            return r;
    }
    if (released)
        redraw_all();  // nothing was drawn while it was held off
    return {};
}

void KmsOutput::redraw_all()
{
    if (const auto& shown = state()) {
        const Size frame = frame_size();
        shown->add_damage({0, 0, frame.width, frame.height});
    }
}

bool KmsOutput::blanked() const
{
    std::lock_guard lock(mutex_);
    return blanked_ || held_;
}

void KmsOutput::suspend()
{
    std::lock_guard lock(mutex_);
    suspended_ = true;
}

Result<void> KmsOutput::resume()
{
    {
        std::lock_guard lock(mutex_);
        suspended_ = false;
        // Our last commit completed while the other master had the CRTC.
        in_flight_ = false;
        if (auto r = set_mode(); !r)
            return Error{r.error().code, pipe_.name + ": " + r.error().what};
        if (vblank_)
            vblank_->restart();
    }
    flipped_.notify_all();
    redraw_all();  // what was drawn while away is in the frame
    return {};
}

FlushResult KmsOutput::flush(const SharedBuffer& src, std::span<PageRef* const>,
                             const Damage& damage, std::chrono::nanoseconds due)
{
    std::unique_lock lock(mutex_);
    if (suspended_)
        return {};  // resume() redraws the whole frame
    if (!flipped_.wait_for(lock, kFlipTimeout, [&] { return !in_flight_ || closing_ || suspended_; })) {
        UDEFIO_LOG(warn, "%s: no page flip event for %lld ms; committing anyway", pipe_.name.c_str(),
                   static_cast<long long>(kFlipTimeout.count()));
        in_flight_ = false;
    }
    if (closing_ || suspended_ || held_)
        return {};  // held off: hold_blanked(false) redraws the whole frame
    if (blanked_) {
        // Something drew: the panel comes on, showing what it showed, and then this frame.
        if (auto r = set_active(true); !r) {
            UDEFIO_LOG(warn, "%s: switching on: %s", pipe_.name.c_str(), r.error().message().c_str());
            return {};
        }
        blanked_ = false;
        if (vblank_)
            vblank_->restart();
    }
    const size_t back_index = size_t(1 - front_);
    ScanoutBuffer& back = *buffers_[back_index];
    const Damage todo = ages_.for_buffer(back_index, damage);
    uint64_t bytes = 0;
    const std::vector<Rect> rects = todo.rects();
    const bool copied =
        read_client_pixels_guarding_sigbus(
            [&] { bytes = copy_.copy(back.data(), back.pitch(), src, rects, cursor_placement()); });
    if (!copied) {
        // The device memory is gone: unplugged. The udev event removes this output soon.
        UDEFIO_LOG(warn, "%s: the dumb buffer raised SIGBUS (device unplugged?); not flushing",
                   pipe_.name.c_str());
        closing_ = true;
        return {bytes};
    }
    ages_.rendered(back_index, damage);
    if (auto r = commit(back, damage, due); !r) {
        const int code = r.error().code;
        if (code == ENODEV) {
            // Unplugged: the udev event removes this output soon; say it once.
            UDEFIO_LOG(warn, "%s: the device is gone; no more flushes", pipe_.name.c_str());
            closing_ = true;
            return {bytes};
        }
        if (code == EACCES || code == EPERM)
            // The seat daemon dropped our DRM master before it tells the
            // seat's listeners (suspend): not an error; resume redraws it all.
            UDEFIO_LOG(debug, "%s: not DRM master (the seat is being switched away): not shown",
                       pipe_.name.c_str());
        else
            UDEFIO_LOG(error, "%s: %s", pipe_.name.c_str(), r.error().message().c_str());
        ages_.missed(back_index, todo);  // not shown: copy it again next time
    } else {
        front_ = 1 - front_;
        in_flight_ = true;
        count_commit();
    }
    count_bytes(bytes);
    return {bytes};
}

Result<void> KmsOutput::commit(ScanoutBuffer& buffer, const Damage& damage, std::chrono::nanoseconds due)
{
    const std::vector<Rect> clips = copy_.clips(damage, shape_.max_rects);
    return atomic_ ? commit_atomic(buffer, clips, due) : commit_legacy(buffer, clips, due);
}

Result<void> KmsOutput::commit_atomic(ScanoutBuffer& buffer, const std::vector<Rect>& clips,
                                       std::chrono::nanoseconds due)
{
    drmModeAtomicReq* req = drmModeAtomicAlloc();
    drmModeAtomicAddProperty(req, pipe_.plane_id, *plane_props_.id("FB_ID"), buffer.fb_id());
    uint32_t clips_blob = 0;
    if (damage_clips_prop_ && !clips.empty()) {
        std::vector<drm_mode_rect> rects;
        for (const Rect& r : clips)
            rects.push_back({r.x, r.y, r.x + r.width, r.y + r.height});
        if (drmModeCreatePropertyBlob(fd_, rects.data(), rects.size() * sizeof(drm_mode_rect), &clips_blob) == 0) {
            drmModeAtomicAddProperty(req, pipe_.plane_id, *damage_clips_prop_, clips_blob);
            damage_clips_.fetch_add(rects.size(), std::memory_order_relaxed);
        }
    }
    const auto in_fence_prop = plane_props_.id("IN_FENCE_FD");
    if (in_fence_ && in_fence_->is_sync_file() && in_fence_prop) {
        drmModeAtomicAddProperty(req, pipe_.plane_id, *in_fence_prop, uint64_t(in_fence_->sync_file().get()));
        in_fences_.fetch_add(1, std::memory_order_relaxed);
    } else if (in_fence_) {
        wait_in_fence_here();
    }
    // The kernel writes the fence fd here when the commit is accepted.
    int32_t out_fence = -1;
    if (auto prop = crtc_props_.id("OUT_FENCE_PTR"))
        drmModeAtomicAddProperty(req, pipe_.crtc_id, *prop, uint64_t(uintptr_t(&out_fence)));
    // The commit's time is when it was issued: the flip (and its vblank
    // timestamp) may complete before the ioctl returns.
    const auto issued = monotonic_now();
    const int r = drmModeAtomicCommit(fd_, req, DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_NONBLOCK,
                                      reinterpret_cast<void*>(uintptr_t(pipe_.crtc_id)));
    const int err = errno;
    drmModeAtomicFree(req);
    if (clips_blob)
        drmModeDestroyPropertyBlob(fd_, clips_blob);  // the commit holds its own reference
    in_fence_.reset();  // the commit holds its own reference
    if (r != 0)
        return Error{err, "atomic page flip commit"};
    const uint64_t token = notify_committed(issued);
    in_flight_token_ = token;
    in_flight_issued_ = issued;
    if (vblank_)
        vblank_->committed(issued, due);
    if (out_fence >= 0)
        adopt_out_fence(out_fence, token, issued);
    return {};
}

void KmsOutput::adopt_out_fence(int fd, uint64_t token, std::chrono::nanoseconds issued)
{
    auto fence = Fence::adopt_sync_file(UniqueFd(fd));
    if (!fence) {
        UDEFIO_LOG(warn, "%s: OUT_FENCE_PTR: %s", pipe_.name.c_str(), fence.error().message().c_str());
        return;
    }
    out_fences_.fetch_add(1, std::memory_order_relaxed);
    // Runs once, on the loop thread (its wait or the flip), never after this
    // output is gone: both are members and die with it.
    (void)(*fence)->add_callback([this, token, issued](std::chrono::nanoseconds at) {
        count_fence_signalled();
        notify_fence_signalled(token, shown_at(at, issued));  // the fence carries the flip's stamp
    });
    out_fence_ = *fence;
    loop_.post(self_.bind([fence = *fence](KmsOutput& self) {
        auto wait = FenceWait::start(self.loop_, fence, [](std::chrono::nanoseconds) {});
        if (wait)
            self.out_fence_wait_ = std::move(wait).value();
    }));
}

void KmsOutput::wait_in_fence_here()
{
    // On the flush worker, never on the loop; bounded like a flip.
    pollfd p{in_fence_->poll_fd(), POLLIN, 0};
    if (::poll(&p, 1, int(kFlipTimeout.count())) != 1)
        UDEFIO_LOG(warn, "%s: a client's fence did not signal in %lld ms; showing anyway", pipe_.name.c_str(),
                   static_cast<long long>(kFlipTimeout.count()));
    in_fence_->check_sync_file();
    in_fence_.reset();
    in_fences_.fetch_add(1, std::memory_order_relaxed);
}

Result<void> KmsOutput::commit_legacy(ScanoutBuffer& buffer, const std::vector<Rect>& clips,
                                       std::chrono::nanoseconds due)
{
    if (in_fence_)
        wait_in_fence_here();  // no IN_FENCE_FD without atomic
    std::vector<drmModeClip> dirty;
    for (const Rect& r : clips)
        dirty.push_back({uint16_t(r.x), uint16_t(r.y), uint16_t(r.x + r.width), uint16_t(r.y + r.height)});
    // Drivers without a dirty hook answer ENOSYS: they scan out from memory directly.
    if (drmModeDirtyFB(fd_, buffer.fb_id(), dirty.data(), uint32_t(dirty.size())) != 0 && errno != ENOSYS)
        UDEFIO_LOG(warn, "%s: drmModeDirtyFB: %s", pipe_.name.c_str(), std::strerror(errno));
    const auto issued = monotonic_now();
    if (drmModePageFlip(fd_, pipe_.crtc_id, buffer.fb_id(), DRM_MODE_PAGE_FLIP_EVENT,
                        reinterpret_cast<void*>(uintptr_t(pipe_.crtc_id))) != 0)
        return errno_error("drmModePageFlip");
    in_flight_token_ = notify_committed(issued);
    in_flight_issued_ = issued;
    if (vblank_)
        vblank_->committed(issued, due);
    return {};
}

void KmsOutput::on_page_flip(uint64_t sequence, std::chrono::nanoseconds timestamp)
{
    std::shared_ptr<Fence> fence;
    uint64_t token = 0;
    std::chrono::nanoseconds issued{};
    {
        std::lock_guard lock(mutex_);
        in_flight_ = false;
        if (vblank_)
            vblank_->flipped(sequence, timestamp);  // the kernel's stamp: it places the vblank grid
        fence = out_fence_;
        token = in_flight_token_;
        issued = in_flight_issued_;
    }
    // The flip is done, so its fence has signalled (a sync_file polls
    // readable then): take it now if the loop's wait has not yet.
    if (fence)
        fence->check_sync_file();
    flipped_.notify_all();
    count_presented();
    notify_presented({sequence, shown_at(timestamp, issued)}, token);
}

Result<void> KmsOutput::snapshot_png(const std::string& path) const
{
    Image image{pipe_.mode.hdisplay, pipe_.mode.vdisplay, {}};
    image.pixels.resize(size_t(image.width) * image.height);
    {
        std::lock_guard lock(mutex_);
        const ScanoutBuffer& shown = *buffers_[front_];
        // The panel's pixels: turned here when the plane turns the buffer.
        const Size buffer = copy_.buffer().panel;
        copy_rect_transformed(reinterpret_cast<std::byte*>(image.pixels.data()), size_t(image.width) * 4,
                              shown.data(), shown.pitch(), Rect{0, 0, buffer.width, buffer.height},
                              plane_turns() ? geometry() : OutputGeometry{buffer, Transform::normal});
    }
    return write_png(path, image);
}

void KmsOutput::set_in_fence(std::shared_ptr<Fence> fence)
{
    std::lock_guard lock(mutex_);
    in_fence_ = std::move(fence);
}

std::shared_ptr<Fence> KmsOutput::out_fence() const
{
    std::lock_guard lock(mutex_);
    return out_fence_;
}

std::chrono::nanoseconds KmsOutput::flush_time(std::chrono::nanoseconds now, std::chrono::nanoseconds ready) const
{
    return vblank_ ? vblank_->flush_time(now, ready) : ready;
}

std::chrono::nanoseconds KmsOutput::next_vblank(std::chrono::nanoseconds now) const
{
    if (auto grid = vblank_ ? vblank_->next_vblank(now) : std::nullopt)
        return *grid;
    return Output::next_vblank(now);
}

VblankTiming KmsOutput::vblank_timing() const
{
    if (!vblank_)
        return {};
    return {true, vblank_->margin(), vblank_->misses()};
}

KmsCounters KmsOutput::kms_counters() const
{
    return {damage_clips_.load(std::memory_order_relaxed), out_fences_.load(std::memory_order_relaxed),
            in_fences_.load(std::memory_order_relaxed)};
}

}  // namespace udefio
