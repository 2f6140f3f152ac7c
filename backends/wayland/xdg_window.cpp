#include "backends/wayland/xdg_window.hpp"

#include <wayland-client.h>

#include "backends/wayland/xdg-shell-client-protocol.h"

namespace udefio {

Result<std::unique_ptr<XdgWindow>> XdgWindow::create(WaylandConnection& connection, const std::string& title,
                                                     bool fullscreen)
{
    auto window = std::make_unique<XdgWindow>();
    window->surface_.reset(wl_compositor_create_surface(connection.compositor()));
    window->xdg_surface_.reset(xdg_wm_base_get_xdg_surface(connection.wm_base(), window->surface_.get()));
    static const xdg_surface_listener surface_listener{on_surface_configure};
    xdg_surface_add_listener(window->xdg_surface_.get(), &surface_listener, window.get());
    window->toplevel_.reset(xdg_surface_get_toplevel(window->xdg_surface_.get()));
    static const xdg_toplevel_listener toplevel_listener{on_toplevel_configure, on_toplevel_close};
    xdg_toplevel_add_listener(window->toplevel_.get(), &toplevel_listener, window.get());
    xdg_toplevel_set_title(window->toplevel_.get(), title.c_str());
    xdg_toplevel_set_app_id(window->toplevel_.get(), "udefio");
    if (fullscreen)
        xdg_toplevel_set_fullscreen(window->toplevel_.get(), nullptr);  // the compositor picks the output
    wl_surface_commit(window->surface_.get());
    if (auto r = connection.flush(); !r)
        return r.error();
    return window;
}

Result<WindowConfigure> XdgWindow::wait_for_configure(WaylandConnection& connection)
{
    // Compositors answer the initial commit at once; a few roundtrips are patience enough.
    constexpr int kRoundtrips = 10;
    for (int i = 0; i < kRoundtrips; ++i) {
        if (auto r = connection.roundtrip(); !r)
            return r.error();
        if (auto configure = take_configure())
            return *configure;
    }
    return plain_error("wayland " + connection.name() + ": the compositor sent no configure for the window");
}

void XdgWindow::ack_configure(uint32_t serial) { xdg_surface_ack_configure(xdg_surface_.get(), serial); }

void XdgWindow::on_toplevel_configure(void* data, xdg_toplevel*, int32_t width, int32_t height, wl_array* states)
{
    auto* self = static_cast<XdgWindow*>(data);
    self->pending_.width = uint32_t(width > 0 ? width : 0);
    self->pending_.height = uint32_t(height > 0 ? height : 0);
    self->pending_.fullscreen = false;
    const auto* state = static_cast<const uint32_t*>(states->data);
    for (size_t i = 0; i < states->size / sizeof *state; ++i)
        self->pending_.fullscreen |= state[i] == XDG_TOPLEVEL_STATE_FULLSCREEN;
}

void XdgWindow::on_surface_configure(void* data, xdg_surface*, uint32_t serial)
{
    auto* self = static_cast<XdgWindow*>(data);
    self->pending_.serial = serial;
    self->configured_ = self->pending_;
    if (self->on_configure_)
        self->on_configure_();
}

void XdgWindow::on_toplevel_close(void* data, xdg_toplevel*)
{
    auto* self = static_cast<XdgWindow*>(data);
    if (self->on_close_)
        self->on_close_();
}

}  // namespace udefio
