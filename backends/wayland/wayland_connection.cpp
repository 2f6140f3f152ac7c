#include "backends/wayland/wayland_connection.hpp"

#include <wayland-client.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "backends/wayland/presentation_time_protocol.hpp"
#include "backends/wayland/xdg-shell-client-protocol.h"

namespace udefio {
namespace {

// wl_surface.damage_buffer came with version 4; damage in surface coordinates
// would be wrong as soon as a compositor scales the window. (It brings
// wl_surface.set_buffer_transform, version 2, which --transform needs.)
constexpr uint32_t kCompositorVersion = 4;

template <class T>
T* bind(wl_registry* registry, uint32_t id, const wl_interface& interface, uint32_t version)
{
    return static_cast<T*>(wl_registry_bind(registry, id, &interface, version));
}

}  // namespace

Result<std::unique_ptr<WaylandConnection>> WaylandConnection::connect(const char* display_name)
{
    const char* env = std::getenv("WAYLAND_DISPLAY");
    const std::string name = display_name ? display_name : env && *env ? env : "wayland-0";
    wl_display* display = wl_display_connect(display_name);
    if (!display) {
        const char* runtime = std::getenv("XDG_RUNTIME_DIR");
        return errno_error("wayland: cannot connect to the compositor's socket " + name + " (XDG_RUNTIME_DIR=" +
                           (runtime ? runtime : "unset") + ")");
    }
    auto c = std::make_unique<WaylandConnection>(display, name);
    c->registry_.reset(wl_display_get_registry(display));
    static const wl_registry_listener listener{on_global, on_global_remove};
    wl_registry_add_listener(c->registry_.get(), &listener, c.get());
    if (auto r = c->roundtrip(); !r)
        return r.error();
    auto missing = [&](const std::string& what) {
        return plain_error("wayland " + name + ": the compositor offers no " + what);
    };
    if (!c->compositor_)
        return missing("wl_compositor");
    if (c->compositor_version_ < kCompositorVersion)
        return missing("wl_compositor version 4 (wl_surface.damage_buffer); it has version " +
                       std::to_string(c->compositor_version_));
    if (!c->shm_)
        return missing("wl_shm (shared memory buffers)");
    if (!c->wm_base_)
        return missing("xdg_wm_base (xdg-shell), which the window needs");
    // The bound globals' first events (wp_presentation.clock_id) come in reply.
    if (auto r = c->roundtrip(); !r)
        return r.error();
    return c;
}

WaylandConnection::WaylandConnection(wl_display* display, std::string name)
    : display_(display), name_(std::move(name))
{
}

int WaylandConnection::fd() const { return wl_display_get_fd(display_.get()); }

void WaylandConnection::on_global(void* data, wl_registry* registry, uint32_t id, const char* interface,
                                  uint32_t version)
{
    auto* self = static_cast<WaylandConnection*>(data);
    const std::string_view name(interface);
    if (name == wl_compositor_interface.name) {
        self->compositor_version_ = version;
        self->compositor_.reset(
            bind<wl_compositor>(registry, id, wl_compositor_interface, std::min(version, kCompositorVersion)));
    } else if (name == wl_shm_interface.name) {
        self->shm_.reset(bind<wl_shm>(registry, id, wl_shm_interface, 1));
    } else if (name == xdg_wm_base_interface.name) {
        self->wm_base_.reset(bind<xdg_wm_base>(registry, id, xdg_wm_base_interface, 1));
        static const xdg_wm_base_listener listener{on_ping};
        xdg_wm_base_add_listener(self->wm_base_.get(), &listener, self);
    } else if (name == wp_presentation_interface.name) {
        self->presentation_.reset(bind<wp_presentation>(registry, id, wp_presentation_interface, 1));
        static const wp_presentation_listener listener{on_clock_id};
        wp_presentation_add_listener(self->presentation_.get(), &listener, self);
    }
}

// Outputs and seats come and go; the globals bound here are the compositor's
// own and stay for as long as it runs.
void WaylandConnection::on_global_remove(void*, wl_registry*, uint32_t) {}

void WaylandConnection::on_ping(void*, xdg_wm_base* wm_base, uint32_t serial)
{
    xdg_wm_base_pong(wm_base, serial);
}

void WaylandConnection::on_clock_id(void* data, wp_presentation*, uint32_t clock)
{
    static_cast<WaylandConnection*>(data)->presentation_clock_ = clockid_t(clock);
}

Result<void> WaylandConnection::roundtrip()
{
    // What arrived after the reply is dispatched too: nothing may wait in the
    // queue for the fd to become readable again, which it may never do.
    if (wl_display_roundtrip(display_.get()) < 0 || wl_display_dispatch_pending(display_.get()) < 0)
        return error();
    return {};
}

Result<void> WaylandConnection::dispatch()
{
    wl_display* d = display_.get();
    // Events already queued must be dispatched before reading more.
    while (wl_display_prepare_read(d) != 0) {
        if (wl_display_dispatch_pending(d) < 0)
            return error();
    }
    if (wl_display_read_events(d) < 0 || wl_display_dispatch_pending(d) < 0)
        return error();
    return flush();
}

Result<void> WaylandConnection::flush()
{
    // EAGAIN: the socket is full; the rest goes out with the next flush.
    if (wl_display_flush(display_.get()) < 0 && errno != EAGAIN)
        return error();
    return {};
}

Error WaylandConnection::error() const
{
    const int code = wl_display_get_error(display_.get());
    if (code == EPROTO) {
        const wl_interface* interface = nullptr;
        uint32_t id = 0;
        const uint32_t protocol_code = wl_display_get_protocol_error(display_.get(), &interface, &id);
        return plain_error("wayland " + name_ + ": protocol error " + std::to_string(protocol_code) + " on " +
                           (interface ? interface->name : "an unknown object") + "@" + std::to_string(id) +
                           " (WAYLAND_DEBUG=1 shows the exchange)");
    }
    return Error{code, "wayland " + name_ + ": the connection to the compositor is lost"};
}

}  // namespace udefio
