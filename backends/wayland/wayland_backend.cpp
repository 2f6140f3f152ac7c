#include "backends/wayland/wayland_backend.hpp"

#include "util/log.hpp"

namespace udefio {

Result<std::unique_ptr<WaylandBackend>> WaylandBackend::create(EventLoop& loop, const WaylandOutputOptions& options)
{
    auto connection = WaylandConnection::connect();
    if (!connection)
        return connection.error();
    auto output = WaylandOutput::create(loop, **connection, options);
    if (!output)
        return output.error();
    auto backend = std::make_unique<WaylandBackend>(std::move(connection).value(), std::move(output).value());
    auto watch = loop.watch_readable(backend->connection_->fd(), [b = backend.get()] { b->dispatch(); });
    if (!watch)
        return watch.error();
    backend->events_ = std::move(watch).value();
    const OutputMode mode = backend->output_->mode();
    UDEFIO_LOG(info, "wayland %s: output %s, %ux%u, wp_presentation %s", backend->connection_->name().c_str(),
               backend->output_->name().c_str(), mode.width, mode.height,
               backend->connection_->presentation() ? "yes" : "no (frame callbacks stand in)");
    return backend;
}

WaylandBackend::WaylandBackend(std::unique_ptr<WaylandConnection> connection, std::unique_ptr<WaylandOutput> output)
    : connection_(std::move(connection)), output_(std::move(output))
{
    // Dispatching may not destroy the window under libwayland: note it, remove it after.
    output_->set_close_callback([this] { close_requested_ = true; });
}

WaylandBackend::~WaylandBackend()
{
    events_ = EventSource();
    output_.reset();  // its protocol objects go before the connection
}

std::vector<Output*> WaylandBackend::outputs()
{
    if (!output_)
        return {};
    return {output_.get()};
}

void WaylandBackend::dispatch()
{
    if (auto r = connection_->dispatch(); !r)
        return remove_output(r.error().message());
    if (close_requested_)
        remove_output("wayland " + connection_->name() + ": the compositor closed the window");
}

void WaylandBackend::remove_output(const std::string& why)
{
    // The connection is over: stop watching its fd (it stays readable once hung up).
    // Disarmed, not destroyed: this runs inside the watch's own callback.
    events_.disarm();
    if (!output_)
        return;
    notify_output_removed(*output_);
    output_.reset();  // detaches the state: its clients' mappings now SIGBUS
    notify_gone(why);
}

}  // namespace udefio
