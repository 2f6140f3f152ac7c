#include "backends/wayland/wayland_output.hpp"

#include <wayland-client.h>

#include "backends/png_file.hpp"
#include "defio/client_reads.hpp"
#include "defio/pixel_copy.hpp"
#include "util/log.hpp"

namespace udefio {
namespace {

// How long a flush waits for the last commit's frame callback, in refresh
// periods: it comes with the compositor's next repaint unless the window is hidden.
constexpr int kFrameWaitPeriods = 2;

}  // namespace

Result<std::unique_ptr<WaylandOutput>> WaylandOutput::create(EventLoop& loop, WaylandConnection& connection,
                                                             const WaylandOutputOptions& options)
{
    auto window = XdgWindow::create(connection, "udefio", options.fullscreen);
    if (!window)
        return window.error();
    auto output = std::make_unique<WaylandOutput>(loop, connection, std::move(window).value(), options);
    // Double-buffered: the first commit of a buffer carries it (the role's initial commit went without).
    if (output->transform() != Transform::normal)
        wl_surface_set_buffer_transform(output->window_->surface(),
                                        int32_t(buffer_transform(output->transform())));
    auto first = output->window_->wait_for_configure(connection);
    if (!first)
        return first.error();
    if (options.fullscreen && !first->fullscreen)
        UDEFIO_LOG(warn, "wayland %s: the compositor did not make the window fullscreen", connection.name().c_str());
    if (auto r = output->apply_configure(*first); !r)
        return r.error();
    output->configures_.fetch_add(1, std::memory_order_relaxed);
    output->window_->set_configure_callback([o = output.get()] {
        if (auto configure = o->window_->take_configure()) {
            if (auto r = o->apply_configure(*configure); !r)
                UDEFIO_LOG(error, "%s: %s", o->name().c_str(), r.error().message().c_str());
            o->configures_.fetch_add(1, std::memory_order_relaxed);
        }
    });
    return output;
}

WaylandOutput::WaylandOutput(EventLoop& loop, WaylandConnection& connection, std::unique_ptr<XdgWindow> window,
                             const WaylandOutputOptions& options)
    : Output(options.transforms.of(output_name(connection))),
      loop_(loop),
      connection_(connection),
      options_(options),
      window_(std::move(window)),
      feedback_(
          connection,
          [this](const Presentation& p, std::chrono::nanoseconds refresh, uint64_t token) {
              on_presented(p, refresh, token);
          },
          [this] { discarded_.fetch_add(1, std::memory_order_relaxed); })
{
}

WaylandOutput::~WaylandOutput()
{
    {
        std::lock_guard lock(mutex_);
        closing_ = true;  // a flush waiting for a frame callback gives up: the loop will not deliver it now
    }
    writable_.notify_all();
    using ull = unsigned long long;
    const OutputCounters c = counters();
    const WaylandCounters w = wayland_counters();
    UDEFIO_LOG(info,
               "%s: %llu commits, %llu frame callbacks, %llu presented, %llu discarded, %llu deferred, %llu resizes",
               name().c_str(), ull(c.commits), ull(w.frame_callbacks), ull(c.presented), ull(w.discarded),
               ull(w.deferred), ull(w.resizes));
    // binding_, the last member, detaches the state first.
}

OutputMode WaylandOutput::mode() const
{
    std::lock_guard lock(mutex_);
    return mode_;
}

Result<void> WaylandOutput::apply_configure(const WindowConfigure& configure)
{
    const OutputMode old = mode();
    // 0 (in either) leaves the size to us: keep ours, or take the one asked for.
    const uint32_t width = configure.width ? configure.width : old.width ? old.width : options_.width;
    const uint32_t height = configure.height ? configure.height : old.height ? old.height : options_.height;
    if (width == old.width && height == old.height) {
        // A commit of this size is coming for an earlier configure: it acks this one instead
        // (acking the older one after this would be an invalid serial).
        if (pending_ack_) {
            pending_ack_ = configure.serial;
            return {};
        }
        // No new buffer needed: the ack takes effect with this commit.
        window_->ack_configure(configure.serial);
        wl_surface_commit(window_->surface());
        return connection_.flush();
    }
    // The buffers hold the logical frame: the surface's size turned (the compositor turns it back).
    const Size buffer_size = transformed_size(transform(), {int32_t(width), int32_t(height)});
    std::array<Slot, 2> fresh;
    for (int i = 0; i < 2; ++i) {
        auto buffer = ShmBuffer::create(connection_.shm(), uint32_t(buffer_size.width), uint32_t(buffer_size.height),
                                        [this, i] { on_release(i); });
        if (!buffer)
            return Error{buffer.error().code, name() + ": " + buffer.error().what};
        fresh[i].buffer = std::move(buffer).value();
    }
    {
        std::lock_guard lock(mutex_);
        std::swap(slots_, fresh);  // the old buffers are destroyed below, after the lock
        ages_.emplace(2, Rect{0, 0, buffer_size.width, buffer_size.height});  // black: none of the picture yet
        ++generation_;
        shown_ = -1;
        stale_ = Damage::full(slots_[0].buffer->layout());
        mode_.width = width;
        mode_.height = height;
    }
    writable_.notify_all();
    if (old.width) {
        resizes_.fetch_add(1, std::memory_order_relaxed);
        notify_mode_changed(mode());  // the caller may attach a state of the new size now
    }
    if (old.width && state()) {
        const BufferLayout& picture = state()->layout();
        const bool fits = int32_t(picture.width) == buffer_size.width && int32_t(picture.height) == buffer_size.height;
        UDEFIO_LOG(info, "%s: the window is now %ux%u (was %ux%u); the %ux%u picture shows at its %s%s",
                   name().c_str(), width, height, old.width, old.height, picture.width, picture.height,
                   transform() == Transform::normal ? "top left" : "top left before the turn",
                   fits ? "" : ", clipped or on black");
    }
    if (!state()) {
        window_->ack_configure(configure.serial);
        commit_black();
        return connection_.flush();
    }
    // The first commit of the new size acks it; everything the state has is redrawn into it.
    pending_ack_ = configure.serial;
    const BufferLayout& picture = state()->layout();
    state()->add_damage(Rect{0, 0, int32_t(picture.width), int32_t(picture.height)});
    return {};
}

int WaylandOutput::writable_slot_locked() const
{
    if (awaiting_frame_ || slots_[0].queued || slots_[1].queued)
        return -1;  // a commit in flight
    for (int i = 0; i < 2; ++i) {
        if (!slots_[i].held)
            return i;
    }
    return -1;
}

FlushResult WaylandOutput::flush(const SharedBuffer& src, std::span<PageRef* const>,
                                 const Damage& damage, std::chrono::nanoseconds)
{
    std::unique_lock lock(mutex_);
    if (!stalled_ && !writable_.wait_for(lock, kFrameWaitPeriods * mode_.refresh_period(),
                                         [&] { return closing_ || writable_slot_locked() >= 0; }))
        stalled_ = true;  // hidden or throttled: wait again only once a frame callback comes
    if (closing_)
        return {};
    const int index = writable_slot_locked();
    if (index < 0) {
        owed_.add(damage);
        deferred_.fetch_add(1, std::memory_order_relaxed);
        return {};
    }
    Slot& slot = slots_[size_t(index)];
    Damage todo = ages_->for_buffer(size_t(index), damage);
    todo.clip_to(src.layout());  // the picture and the window may differ in size: copy where both are
    todo.clip_to(slot.buffer->layout());
    uint64_t bytes = 0;
    {
        [[maybe_unused]] const ClientReadScope client_reads;
        for (const Rect& r : todo.rects())
            bytes += slot.buffer->copy_opaque(src.data(), src.layout().stride, r);
    }
    ages_->rendered(size_t(index), damage);
    slot.queued = true;
    Damage surface_damage = damage;
    surface_damage.add(stale_);
    surface_damage.clip_to(slot.buffer->layout());
    stale_.clear();
    count_bytes(bytes);
    loop_.post(self_.bind(
        [index, generation = generation_, surface_damage, frame = flushing_frame()](WaylandOutput& self) {
            self.commit(index, generation, surface_damage, frame);
        }));
    return {bytes};
}

void WaylandOutput::commit(int index, uint64_t generation, const Damage& damage, uint64_t frame)
{
    wl_buffer* buffer = nullptr;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || closing_)
            return;  // a resize replaced the buffers; its full redraw follows
        Slot& slot = slots_[size_t(index)];
        slot.queued = false;
        slot.held = true;
        shown_ = index;
        awaiting_frame_ = true;
        buffer = slot.buffer->buffer();
    }
    if (pending_ack_)
        window_->ack_configure(*std::exchange(pending_ack_, std::nullopt));
    wl_surface* surface = window_->surface();
    wl_surface_attach(surface, buffer, 0, 0);
    for (const Rect& r : damage.clips(damage_shape().max_rects))
        wl_surface_damage_buffer(surface, r.x, r.y, r.width, r.height);
    static const wl_callback_listener frame_listener{
        [](void* data, wl_callback*, uint32_t) { static_cast<WaylandOutput*>(data)->on_frame_done(); }};
    frame_callback_.reset(wl_surface_frame(surface));
    wl_callback_add_listener(frame_callback_.get(), &frame_listener, this);
    last_token_ = notify_committed(clock_now(CLOCK_MONOTONIC), frame);
    feedback_.request(surface, last_token_);
    wl_surface_commit(surface);
    count_commit();
    // A failure here shows as a hang-up on the fd; the backend's dispatch reports it.
    (void)connection_.flush();
}

void WaylandOutput::commit_black()
{
    wl_buffer* buffer = nullptr;
    {
        std::lock_guard lock(mutex_);
        slots_[0].held = true;
        shown_ = 0;
        buffer = slots_[0].buffer->buffer();  // stale_ stays: the first flush replaces all of this black
    }
    wl_surface_attach(window_->surface(), buffer, 0, 0);
    const BufferLayout& layout = slots_[0].buffer->layout();
    wl_surface_damage_buffer(window_->surface(), 0, 0, int32_t(layout.width), int32_t(layout.height));
    wl_surface_commit(window_->surface());
}

void WaylandOutput::on_frame_done()
{
    frame_callback_.reset();
    {
        std::lock_guard lock(mutex_);
        awaiting_frame_ = false;
        stalled_ = false;
    }
    writable_.notify_all();
    frame_callbacks_.fetch_add(1, std::memory_order_relaxed);
    if (!feedback_.available())  // the best there is without wp_presentation: it is done with the frame now
        on_presented({frame_callbacks_.load(std::memory_order_relaxed), clock_now(CLOCK_MONOTONIC)}, {}, last_token_);
    give_back_owed();
}

void WaylandOutput::on_release(int index)
{
    {
        std::lock_guard lock(mutex_);
        slots_[size_t(index)].held = false;
    }
    writable_.notify_all();
    give_back_owed();
}

void WaylandOutput::on_presented(const Presentation& presentation, std::chrono::nanoseconds refresh, uint64_t token)
{
    if (refresh.count() > 0) {
        std::lock_guard lock(mutex_);
        mode_.refresh_mhz = uint32_t(1'000'000'000'000LL / refresh.count());
    }
    count_presented();
    if (!first_presented_) {
        first_presented_ = true;
        UDEFIO_LOG(info, "%s: first frame presented (%s)", name().c_str(),
                   feedback_.available() ? "wp_presentation feedback" : "frame callback; no wp_presentation");
    }
    notify_presented(presentation, token);
}

void WaylandOutput::give_back_owed()
{
    std::vector<Rect> rects;
    {
        std::lock_guard lock(mutex_);
        if (owed_.empty() || writable_slot_locked() < 0)
            return;
        rects = owed_.clips(damage_shape().max_rects);
        owed_.clear();
    }
    // The next flush copies it; the state lock is taken without ours (lock order: state, then ours).
    for (const Rect& r : rects)
        state()->add_damage(r);
}

Result<void> WaylandOutput::snapshot_png(const std::string& path) const
{
    Image image;
    {
        std::lock_guard lock(mutex_);
        if (shown_ < 0)
            return plain_error(name() + ": nothing committed yet to write to " + path);
        image = slots_[size_t(shown_)].buffer->image();
    }
    if (transform() == Transform::normal)
        return write_png(path, image);
    // The buffer is the logical frame; the compositor shows it turned onto the surface (the panel),
    // as the flush copy of a KMS or headless output turns it.
    const Size logical{int32_t(image.width), int32_t(image.height)};
    const OutputGeometry geometry{transformed_size(invert(transform()), logical), transform()};
    Image shown{uint32_t(geometry.panel.width), uint32_t(geometry.panel.height),
                std::vector<uint32_t>(image.pixels.size())};
    copy_rect_transformed(reinterpret_cast<std::byte*>(shown.pixels.data()), size_t(shown.width) * 4,
                          reinterpret_cast<const std::byte*>(image.pixels.data()), size_t(image.width) * 4,
                          Rect{0, 0, logical.width, logical.height}, geometry);
    return write_png(path, shown);
}

}  // namespace udefio
