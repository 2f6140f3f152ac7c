// The connection to a Wayland compositor: wl_display, the registry and the
// globals the backend needs (wl_compositor 4+ for damage_buffer, wl_shm,
// xdg_wm_base; wp_presentation where offered). Answers xdg_wm_base pings.
// Loop thread only, like every Wayland call; the backend watches fd().
#pragma once

#include <time.h>

#include <cstdint>
#include <memory>
#include <string>

#include "backends/wayland/wl_ptr.hpp"
#include "util/result.hpp"

namespace udefio {

class WaylandConnection {
public:
    // `display_name` nullptr: $WAYLAND_DISPLAY, else wayland-0 (libwayland's rule).
    static Result<std::unique_ptr<WaylandConnection>> connect(const char* display_name = nullptr);

    const std::string& name() const { return name_; }  // for messages
    wl_display* display() const { return display_.get(); }
    int fd() const;
    wl_compositor* compositor() const { return compositor_.get(); }
    wl_shm* shm() const { return shm_.get(); }
    xdg_wm_base* wm_base() const { return wm_base_.get(); }
    wp_presentation* presentation() const { return presentation_.get(); }  // nullptr: not offered
    clockid_t presentation_clock() const { return presentation_clock_; }

    Result<void> roundtrip();
    // Reads and dispatches what the compositor sent; the fd was readable.
    Result<void> dispatch();
    // Sends the requests made since the last flush.
    Result<void> flush();
    // Why the connection failed, once a call did: one line naming the cause.
    Error error() const;

    WaylandConnection(wl_display* display, std::string name);

private:
    static void on_global(void* data, wl_registry* registry, uint32_t id, const char* interface,
                          uint32_t version);
    static void on_global_remove(void* data, wl_registry* registry, uint32_t id);
    static void on_ping(void* data, xdg_wm_base* wm_base, uint32_t serial);
    static void on_clock_id(void* data, wp_presentation* presentation, uint32_t clock);

    // Destroyed bottom-up: the globals, then the registry, then the connection.
    WlPtr<wl_display> display_;
    std::string name_;
    WlPtr<wl_registry> registry_;
    uint32_t compositor_version_ = 0;
    WlPtr<wl_compositor> compositor_;
    WlPtr<wl_shm> shm_;
    WlPtr<xdg_wm_base> wm_base_;
    WlPtr<wp_presentation> presentation_;
    clockid_t presentation_clock_ = CLOCK_MONOTONIC;
};

}  // namespace udefio
