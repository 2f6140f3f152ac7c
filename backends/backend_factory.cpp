#include "backends/backend_factory.hpp"

#include <glob.h>

#include <cstdlib>

#include "backends/kms/display_wait.hpp"
#if defined(UDEFIO_HAVE_WAYLAND)
#include "backends/wayland/wayland_backend.hpp"
#endif
#include "util/log.hpp"

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
    return {"kms", true, "DRM/KMS dumb buffers (atomic with FB_DAMAGE_CLIPS where offered, else legacy)"};
}

BackendAvailability probe_wayland()
{
#if defined(UDEFIO_HAVE_WAYLAND)
    const char* display = std::getenv("WAYLAND_DISPLAY");
    if (!display || !*display)
        return {"wayland", false, "WAYLAND_DISPLAY is not set"};
    // Connecting and binding the globals is cheap and tells what is missing.
    auto connection = WaylandConnection::connect();
    if (!connection)
        return {"wayland", false, connection.error().message()};
    return {"wayland", true,
            "a window on compositor " + (*connection)->name() + " (wl_shm buffers, xdg-shell, wp_presentation " +
                ((*connection)->presentation() ? "yes)" : "no: frame callbacks stand in)")};
#else
    return {"wayland", false, "this build has no Wayland backend (-Dwayland=disabled, or libwayland-client, "
                              "wayland-protocols or wayland-scanner missing)"};
#endif
}

}  // namespace

std::vector<BackendAvailability> probe_backends()
{
    return {probe_kms(), probe_wayland(),
            {"headless", true, "virtual output with a simulated vblank and PNG snapshots"}};
}

namespace {

Result<std::unique_ptr<Backend>> make_kms(EventLoop& loop, const BackendOptions& options)
{
    auto backend = KmsBackend::create(loop, options.kms);
    if (!backend)
        return backend.error();
    return std::unique_ptr<Backend>(std::move(backend).value());
}

#if defined(UDEFIO_HAVE_WAYLAND)
Result<std::unique_ptr<Backend>> make_wayland(EventLoop& loop, const BackendOptions& options)
{
    auto backend = WaylandBackend::create(loop, options.wayland);
    if (!backend)
        return backend.error();
    return std::unique_ptr<Backend>(std::move(backend).value());
}
#endif

}  // namespace

Result<std::unique_ptr<Backend>> make_backend(EventLoop& loop, const BackendOptions& options)
{
    std::string name = options.name;
    if (options.kms.wait_device.count() > 0 && (name == "kms" || name == "auto")) {
        auto display = wait_for_display(options.kms.device, options.kms.wait_device);
        if (!display && name == "kms")
            return display.error();
        // auto: the probes below say what is missing and go on to the next backend.
    }
    if (name == "auto") {
        for (const BackendAvailability& b : probe_backends()) {
            if (!b.available) {
                UDEFIO_LOG(info, "backend %s skipped: %s", b.name.c_str(), b.reason.c_str());
                continue;
            }
            if (b.name == "kms") {
                auto kms = make_kms(loop, options);
                if (kms)
                    return kms;
                UDEFIO_LOG(warn, "backend kms failed, trying the next: %s", kms.error().message().c_str());
                continue;
            }
#if defined(UDEFIO_HAVE_WAYLAND)
            if (b.name == "wayland") {
                auto wayland = make_wayland(loop, options);
                if (wayland)
                    return wayland;
                UDEFIO_LOG(warn, "backend wayland failed, trying the next: %s", wayland.error().message().c_str());
                continue;
            }
#endif
            name = b.name;
            break;
        }
    }
    if (name == "kms")
        return make_kms(loop, options);
#if defined(UDEFIO_HAVE_WAYLAND)
    if (name == "wayland")
        return make_wayland(loop, options);
#endif
    if (name == "headless") {
        auto backend = HeadlessBackend::create(loop, options.headless);
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
