#include "backends/wayland/wl_ptr.hpp"

#include <wayland-client.h>

#include "backends/wayland/presentation_time_protocol.hpp"
#include "backends/wayland/xdg-shell-client-protocol.h"

namespace udefio {

void wl_destroy(wl_buffer* object) { wl_buffer_destroy(object); }
void wl_destroy(wl_callback* object) { wl_callback_destroy(object); }
void wl_destroy(wl_compositor* object) { wl_compositor_destroy(object); }
void wl_destroy(wl_display* object) { wl_display_disconnect(object); }
void wl_destroy(wl_registry* object) { wl_registry_destroy(object); }
void wl_destroy(wl_shm* object) { wl_shm_destroy(object); }
void wl_destroy(wl_surface* object) { wl_surface_destroy(object); }
void wl_destroy(wp_presentation* object) { wp_presentation_destroy(object); }
void wl_destroy(struct wp_presentation_feedback* object) { wp_presentation_feedback_destroy(object); }
void wl_destroy(xdg_surface* object) { xdg_surface_destroy(object); }
void wl_destroy(xdg_toplevel* object) { xdg_toplevel_destroy(object); }
void wl_destroy(xdg_wm_base* object) { xdg_wm_base_destroy(object); }

}  // namespace udefio
