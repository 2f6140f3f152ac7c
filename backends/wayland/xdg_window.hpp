// A wl_surface with the xdg_toplevel role: the window an output shows in.
// It asks to be fullscreen when told to (kiosk), else it is a normal window
// the compositor may resize. Configure events are kept until taken; the
// owner acks the serial when it commits a buffer of that size. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "backends/wayland/wayland_connection.hpp"

namespace udefio {

struct WindowConfigure {
    uint32_t width = 0;  // 0: the client picks its size
    uint32_t height = 0;
    bool fullscreen = false;
    uint32_t serial = 0;  // to ack
};

class XdgWindow {
public:
    // Sends the role's initial commit; the compositor answers with a configure.
    static Result<std::unique_ptr<XdgWindow>> create(WaylandConnection& connection, const std::string& title,
                                                     bool fullscreen);
    XdgWindow(const XdgWindow&) = delete;
    XdgWindow& operator=(const XdgWindow&) = delete;

    wl_surface* surface() const { return surface_.get(); }
    // Roundtrips until the first configure arrives, and takes it.
    Result<WindowConfigure> wait_for_configure(WaylandConnection& connection);
    // The latest complete configure, if one arrived since the last call.
    std::optional<WindowConfigure> take_configure() { return std::exchange(configured_, std::nullopt); }
    void ack_configure(uint32_t serial);

    // Runs after each complete configure (take it then).
    void set_configure_callback(std::function<void()> callback) { on_configure_ = std::move(callback); }
    // The compositor asks the window to close (the user closed it).
    void set_close_callback(std::function<void()> callback) { on_close_ = std::move(callback); }

    XdgWindow() = default;

private:
    static void on_surface_configure(void* data, xdg_surface* surface, uint32_t serial);
    static void on_toplevel_configure(void* data, xdg_toplevel* toplevel, int32_t width, int32_t height,
                                      wl_array* states);
    static void on_toplevel_close(void* data, xdg_toplevel* toplevel);

    // Destroyed role first, surface last, as xdg-shell requires.
    WlPtr<wl_surface> surface_;
    WlPtr<xdg_surface> xdg_surface_;
    WlPtr<xdg_toplevel> toplevel_;
    WindowConfigure pending_;  // xdg_toplevel.configure, completed by xdg_surface.configure
    std::optional<WindowConfigure> configured_;
    std::function<void()> on_configure_;
    std::function<void()> on_close_;
};

}  // namespace udefio
