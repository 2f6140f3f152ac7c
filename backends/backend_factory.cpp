#include "backends/backend_factory.hpp"

#include <glob.h>

#include <cstdlib>

#include "backends/headless/headless_backend.hpp"
#include "defio/log.hpp"

namespace udefio {
namespace {

bool have_drm_card()
{
    glob_t g{};
    const bool found = ::glob("/dev/dri/card*", 0, nullptr, &g) == 0 && g.gl_pathc > 0;
    ::globfree(&g);
    return found;
}

BackendAvailability probe_kms()
{
    if (!have_drm_card())
        return {"kms", false, "no /dev/dri/card* (no display hardware or DRM driver)"};
    return {"kms", false, "a DRM device exists, but this build has no KMS backend yet"};
}

BackendAvailability probe_wayland()
{
    const char* display = std::getenv("WAYLAND_DISPLAY");
    if (!display || !*display)
        return {"wayland", false, "WAYLAND_DISPLAY is not set"};
    return {"wayland", false, "WAYLAND_DISPLAY is set, but this build has no Wayland backend yet"};
}

}  // namespace

std::vector<BackendAvailability> probe_backends()
{
    return {probe_kms(), probe_wayland(),
            {"headless", true, "virtual output with a simulated vblank and PNG snapshots"}};
}

Result<std::unique_ptr<Backend>> make_backend(EventLoop& loop, const BackendOptions& options)
{
    std::string name = options.name;
    if (name == "auto") {
        for (const BackendAvailability& b : probe_backends()) {
            if (b.available) {
                name = b.name;
                break;
            }
            UDEFIO_LOG(info, "backend %s skipped: %s", b.name.c_str(), b.reason.c_str());
        }
    }
    if (name == "headless") {
        auto backend = HeadlessBackend::create(loop, options.headless_mode,
                                               HeadlessSnapshots{options.png_dir, options.png_interval});
        if (!backend)
            return backend.error();
        return std::unique_ptr<Backend>(std::move(backend).value());
    }
    for (const BackendAvailability& b : probe_backends()) {
        if (b.name == name)
            return plain_error("backend " + name + " is not available: " + b.reason);
    }
    return plain_error("backend '" + name + "': unknown (known: auto, headless, kms, wayland)");
}

}  // namespace udefio
