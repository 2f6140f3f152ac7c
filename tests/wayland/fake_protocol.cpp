// The requests of the fake compositor's globals: wl_compositor, wl_surface,
// xdg_wm_base, xdg_surface and xdg_toplevel; wl_shm is libwayland-server's.
#include <vector>

#include "tests/wayland/fake_compositor_impl.hpp"
#include "tests/wayland/xdg-shell-server-protocol.h"

namespace udefio::test {
namespace {

using Impl = FakeCompositor::Impl;

void destroy_resource(wl_client*, wl_resource* resource) { wl_resource_destroy(resource); }
Impl* impl_of(wl_resource* resource) { return static_cast<Impl*>(wl_resource_get_user_data(resource)); }

// Only the requests udefio makes; the others stay null.
const struct wl_surface_interface kSurface = {
    .destroy = destroy_resource,
    .attach = [](wl_client*, wl_resource* r, wl_resource* buffer, int32_t, int32_t) { impl_of(r)->attached = buffer; },
    .frame =
        [](wl_client* client, wl_resource* r, uint32_t id) {
            wl_resource* callback = wl_resource_create(client, &wl_callback_interface, 1, id);
            wl_resource_set_implementation(callback, nullptr, impl_of(r), [](wl_resource* c) {
                std::erase(impl_of(c)->frame_callbacks, c);
            });
            impl_of(r)->frame_callbacks.push_back(callback);
        },
    .commit = [](wl_client*, wl_resource* r) { impl_of(r)->commit(); },
    .set_buffer_transform = [](wl_client*, wl_resource* r,
                               int32_t transform) { impl_of(r)->pending_transform = transform; },
    .damage_buffer = [](wl_client*, wl_resource* r, int32_t x, int32_t y, int32_t w,
                        int32_t h) { impl_of(r)->damage.push_back(Rect{x, y, w, h}); },
};

const struct wl_compositor_interface kCompositor = {
    .create_surface =
        [](wl_client* client, wl_resource* r, uint32_t id) {
            wl_resource* surface = wl_resource_create(client, &wl_surface_interface, 4, id);
            wl_resource_set_implementation(surface, &kSurface, impl_of(r),
                                           [](wl_resource* s) { impl_of(s)->surface = nullptr; });
            impl_of(r)->surface = surface;
        },
};

const struct xdg_toplevel_interface kToplevel = {
    .destroy = destroy_resource,
    .set_title = [](wl_client*, wl_resource*, const char*) {},
    .set_app_id = [](wl_client*, wl_resource*, const char*) {},
    .set_fullscreen = [](wl_client*, wl_resource* r,
                         wl_resource*) { impl_of(r)->update([](FakeState& s) { s.fullscreen_requested = true; }); },
};

const struct xdg_surface_interface kXdgSurface = {
    .destroy = destroy_resource,
    .get_toplevel =
        [](wl_client* client, wl_resource* r, uint32_t id) {
            wl_resource* toplevel = wl_resource_create(client, &xdg_toplevel_interface, 1, id);
            wl_resource_set_implementation(toplevel, &kToplevel, impl_of(r),
                                           [](wl_resource* t) { impl_of(t)->toplevel = nullptr; });
            impl_of(r)->toplevel = toplevel;
        },
    .ack_configure = [](wl_client*, wl_resource* r, uint32_t serial) { impl_of(r)->acked = serial; },
};

const struct xdg_wm_base_interface kWmBase = {
    .destroy = destroy_resource,
    .get_xdg_surface =
        [](wl_client* client, wl_resource* r, uint32_t id, wl_resource*) {
            wl_resource* xdg = wl_resource_create(client, &xdg_surface_interface, 1, id);
            wl_resource_set_implementation(xdg, &kXdgSurface, impl_of(r),
                                           [](wl_resource* x) { impl_of(x)->xdg_surface = nullptr; });
            impl_of(r)->xdg_surface = xdg;
        },
    .pong = [](wl_client*, wl_resource*, uint32_t) {},
};

template <const wl_interface* Interface, auto Implementation>
void bind(wl_client* client, void* data, uint32_t version, uint32_t id)
{
    wl_resource* resource = wl_resource_create(client, Interface, int(version), id);
    wl_resource_set_implementation(resource, Implementation, data, nullptr);
}

}  // namespace

void FakeCompositor::Impl::install_globals()
{
    wl_global_create(display, &wl_compositor_interface, 4, this, bind<&wl_compositor_interface, &kCompositor>);
    if (options.xdg_shell)
        wl_global_create(display, &xdg_wm_base_interface, 1, this, bind<&xdg_wm_base_interface, &kWmBase>);
}

}  // namespace udefio::test
