// One interface for every output sink (wlroots' backend/ layout): kms/,
// wayland/, gbm/ (an allocator for kms), headless/. A backend owns its outputs
// and runs on the compositor's event loop.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/output.hpp"
#include "defio/event_loop.hpp"

namespace udefio {

class Backend {
public:
    virtual ~Backend() = default;

    virtual std::string_view name() const = 0;
    // The outputs that exist now. Owned by the backend; hotplug may remove one,
    // which detaches its state (mappings then get SIGBUS).
    virtual std::vector<Output*> outputs() = 0;
};

}  // namespace udefio
