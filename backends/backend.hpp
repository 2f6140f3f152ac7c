// One interface for every output sink (wlroots' backend/ layout): kms/,
// wayland/, gbm/ (an allocator for kms), headless/. A backend owns its outputs
// and runs on the compositor's event loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/output.hpp"
#include "loop/event_loop.hpp"

namespace udefio {

class Backend {
public:
    virtual ~Backend() = default;

    virtual std::string_view name() const = 0;
    // The outputs that exist now. Owned by the backend; hotplug may remove one,
    // which detaches its state (mappings then get SIGBUS).
    virtual std::vector<Output*> outputs() = 0;

    // Runs on the loop thread just before an output is destroyed (unplugged,
    // disconnected): the last moment to stop drawing into its buffer.
    void set_output_removed_callback(std::function<void(Output&)> callback) { removed_ = std::move(callback); }

    // Runs on the loop thread after a new output appeared (a display plugged in).
    void set_output_added_callback(std::function<void(Output&)> callback) { added_ = std::move(callback); }

    // Runs on the loop thread when the backend itself is gone and no output
    // will come back (the DRM device was removed, the Wayland compositor hung
    // up or closed the window), after its outputs were removed. `why` says it in a sentence.
    void set_gone_callback(std::function<void(const std::string& why)> callback) { gone_ = std::move(callback); }

protected:
    void notify_output_removed(Output& output)
    {
        if (removed_)
            removed_(output);
    }
    void notify_output_added(Output& output)
    {
        if (added_)
            added_(output);
    }

    void notify_gone(const std::string& why)
    {
        if (gone_)
            gone_(why);
    }

private:
    std::function<void(Output&)> removed_;
    std::function<void(Output&)> added_;
    std::function<void(const std::string&)> gone_;
};

}  // namespace udefio
