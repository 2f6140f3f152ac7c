#include "tests/wayland/fake_compositor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <stdexcept>
#include <utility>

#include "tests/wayland/fake_compositor_impl.hpp"
#include "tests/wayland/xdg-shell-server-protocol.h"

namespace udefio::test {
namespace {

std::vector<uint32_t> pixels_of(wl_resource* buffer, uint32_t* width = nullptr, uint32_t* height = nullptr)
{
    wl_shm_buffer* shm = wl_shm_buffer_get(buffer);
    const auto w = uint32_t(wl_shm_buffer_get_width(shm)), h = uint32_t(wl_shm_buffer_get_height(shm));
    const auto stride = size_t(wl_shm_buffer_get_stride(shm));
    std::vector<uint32_t> pixels(size_t(w) * h);
    wl_shm_buffer_begin_access(shm);
    const auto* data = static_cast<const std::byte*>(wl_shm_buffer_get_data(shm));
    for (uint32_t y = 0; y < h; ++y)
        std::memcpy(pixels.data() + size_t(y) * w, data + y * stride, size_t(w) * 4);
    wl_shm_buffer_end_access(shm);
    if (width)
        *width = w, *height = h;
    return pixels;
}

}  // namespace

void FakeCompositor::Impl::run(std::function<void()> fn)
{
    std::packaged_task<void()> task(std::move(fn));
    auto done = task.get_future();
    {
        std::lock_guard lock(command_mutex);
        command = [&task] { task(); };
    }
    const uint64_t one = 1;
    if (::write(commands.get(), &one, sizeof one) != sizeof one)
        throw std::runtime_error("fake compositor: eventfd write failed");
    done.get();
}

int FakeCompositor::Impl::on_command(int fd, uint32_t, void* data)
{
    uint64_t n = 0;
    (void)::read(fd, &n, sizeof n);
    auto* impl = static_cast<Impl*>(data);
    std::function<void()> fn;
    {
        std::lock_guard lock(impl->command_mutex);
        fn = std::exchange(impl->command, nullptr);
    }
    if (fn)
        fn();
    return 0;
}

void FakeCompositor::Impl::serve()
{
    while (!stopping) {
        wl_display_flush_clients(display);
        wl_event_loop_dispatch(wl_display_get_event_loop(display), -1);
    }
    wl_display_destroy_clients(display);
    wl_display_destroy(display);
}

void FakeCompositor::Impl::send_configure(uint32_t width, uint32_t height)
{
    wl_array states;
    wl_array_init(&states);
    xdg_toplevel_send_configure(toplevel, int32_t(width), int32_t(height), &states);
    wl_array_release(&states);
    xdg_surface_send_configure(xdg_surface, ++serial);
    configured = true;
    update([&](FakeState& s) { s.last_serial = serial; });
}

void FakeCompositor::Impl::commit()
{
    if (toplevel && !configured) {
        send_configure(options.width, options.height);  // the answer to the initial commit
        return;
    }
    check_held();
    FakeCommit c;
    c.damage = std::exchange(damage, {});
    c.acked_serial = acked;
    c.buffer_transform = pending_transform;
    if (attached) {
        c.pixels = pixels_of(attached, &c.width, &c.height);
        if (options.release_on_commit && !held.empty() && held.back().buffer != attached)
            release(std::prev(held.end()));
        hold(std::exchange(attached, nullptr), c.pixels);
    }
    update([&](FakeState& s) { s.commits.push_back(std::move(c)); });
    if (options.answer_frames)
        answer_frames();
}

void FakeCompositor::Impl::answer_frames()
{
    for (wl_resource* callback : std::exchange(frame_callbacks, {})) {
        wl_callback_send_done(callback, 0);
        wl_resource_destroy(callback);
    }
}

void FakeCompositor::Impl::check_held()
{
    for (const Held& h : held) {
        if (pixels_of(h.buffer) != held_pixels[h.buffer])
            update([](FakeState& s) { ++s.held_buffer_writes; });
    }
}

void FakeCompositor::Impl::hold(wl_resource* buffer, std::vector<uint32_t> pixels)
{
    held.push_back(Held{{}, this, buffer});
    held.back().destroyed.notify = [](wl_listener* listener, void*) {
        Held* h = wl_container_of(listener, h, destroyed);
        for (auto it = h->impl->held.begin(); it != h->impl->held.end(); ++it) {
            if (&*it == h)
                return h->impl->forget(it);
        }
    };
    wl_resource_add_destroy_listener(buffer, &held.back().destroyed);
    held_pixels[buffer] = std::move(pixels);
}

void FakeCompositor::Impl::release(std::list<Held>::iterator it)
{
    wl_buffer_send_release(it->buffer);
    forget(it);
}

void FakeCompositor::Impl::forget(std::list<Held>::iterator it)
{
    held_pixels.erase(it->buffer);
    wl_list_remove(&it->destroyed.link);
    held.erase(it);
}

FakeCompositor::FakeCompositor(const std::string& socket, FakeOptions options)
    : impl_(std::make_unique<Impl>(options))
{
    Impl& i = *impl_;
    i.commands.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!i.display || !i.commands || wl_display_add_socket(i.display, socket.c_str()) != 0)
        throw std::runtime_error("fake compositor: cannot listen on " + socket);
    wl_display_init_shm(i.display);
    i.install_globals();
    wl_event_loop_add_fd(wl_display_get_event_loop(i.display), i.commands.get(), WL_EVENT_READABLE,
                         Impl::on_command, &i);
    i.thread = std::thread([&i] { i.serve(); });
}

FakeCompositor::~FakeCompositor()
{
    impl_->run([this] { impl_->stopping = true; });
    impl_->thread.join();
}

void FakeCompositor::configure(uint32_t width, uint32_t height)
{
    impl_->run([=, this] { impl_->send_configure(width, height); });
}

void FakeCompositor::answer_frames()
{
    impl_->run([this] { impl_->answer_frames(); });
}

void FakeCompositor::release_held()
{
    impl_->run([this] {
        while (impl_->held.size() > 1)
            impl_->release(impl_->held.begin());
    });
}

void FakeCompositor::post_protocol_error()
{
    impl_->run([this] { wl_resource_post_error(impl_->surface, WL_SURFACE_ERROR_INVALID_SCALE, "fake error"); });
}

void FakeCompositor::close_window()
{
    impl_->run([this] { xdg_toplevel_send_close(impl_->toplevel); });
}

void FakeCompositor::disconnect_clients()
{
    impl_->run([this] { wl_display_destroy_clients(impl_->display); });
}

FakeState FakeCompositor::state() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->state;
}

bool FakeCompositor::wait_for(const std::function<bool(const FakeState&)>& pred) const
{
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, std::chrono::seconds(5), [&] { return pred(impl_->state); });
}

}  // namespace udefio::test
