// Owns one Wayland client object and destroys it exactly once with its own
// destructor (xdg_surface_destroy sends the protocol's destroy request,
// wl_callback_destroy only frees the proxy). Like every Wayland call, only on
// the loop thread.
//
// The generated destructors are static inline in the protocol headers, so
// they are wrapped here once (wl_ptr.cpp) instead of being named in every
// header that holds a WlPtr; only the .cpp files include the protocol headers.
#pragma once

#include <memory>

struct wl_buffer;
struct wl_callback;
struct wl_compositor;
struct wl_array;
struct wl_display;
struct wl_output;
struct wl_registry;
struct wl_shm;
struct wl_surface;
struct wp_presentation;
struct wp_presentation_feedback;
struct xdg_surface;
struct xdg_toplevel;
struct xdg_wm_base;

namespace udefio {

void wl_destroy(wl_buffer* object);
void wl_destroy(wl_callback* object);
void wl_destroy(wl_compositor* object);
void wl_destroy(wl_display* object);  // disconnects
void wl_destroy(wl_registry* object);
void wl_destroy(wl_shm* object);
void wl_destroy(wl_surface* object);
void wl_destroy(wp_presentation* object);
void wl_destroy(wp_presentation_feedback* object);
void wl_destroy(xdg_surface* object);
void wl_destroy(xdg_toplevel* object);
void wl_destroy(xdg_wm_base* object);

template <class T>
struct WlDeleter {
    void operator()(T* object) const { wl_destroy(object); }
};

template <class T>
using WlPtr = std::unique_ptr<T, WlDeleter<T>>;

}  // namespace udefio
