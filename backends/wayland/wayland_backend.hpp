// The Wayland backend: one connection to the compositor, one window
// (WaylandOutput), the display's fd watched on the event loop. When the
// compositor goes away, ends the connection with a protocol error or closes
// the window, the error is logged in one line and the output is removed
// (notify_output_removed, then destroyed: its clients' mappings get SIGBUS),
// as on a KMS unplug; the backend is then gone (notify_gone).
#pragma once

#include "backends/backend.hpp"
#include "backends/wayland/wayland_connection.hpp"
#include "backends/wayland/wayland_output.hpp"

namespace udefio {

class WaylandBackend final : public Backend {
public:
    // Connects to $WAYLAND_DISPLAY and opens the window. Loop thread.
    static Result<std::unique_ptr<WaylandBackend>> create(EventLoop& loop, const WaylandOutputOptions& options);
    ~WaylandBackend() override;

    std::string_view name() const override { return "wayland"; }
    std::vector<Output*> outputs() override;
    WaylandOutput* output() { return output_.get(); }  // nullptr once removed

    WaylandBackend(std::unique_ptr<WaylandConnection> connection, std::unique_ptr<WaylandOutput> output);

private:
    void dispatch();  // loop thread: the fd is readable
    void remove_output(const std::string& why);

    std::unique_ptr<WaylandConnection> connection_;  // outlives the output's protocol objects
    std::unique_ptr<WaylandOutput> output_;
    bool close_requested_ = false;  // set while dispatching, acted on after it
    EventSource events_;
};

}  // namespace udefio
