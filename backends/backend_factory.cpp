#include "backends/backend_factory.hpp"

#include <glob.h>

#include <cstdlib>

#include "backends/kms/display_wait.hpp"
#if defined(UDEFIO_HAVE_WAYLAND)
#include "backends/wayland/wayland_backend.hpp"
#endif
#include "util/choice.hpp"
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

Result<Fallback> parse_fallback(const std::string& name)
{
    return parse_choice<Fallback>("--fallback", name,
                                  {{"absent", Fallback::absent}, {"headless", Fallback::headless}, {"none", Fallback::none}});
}

Result<void> check_options_apply(const BackendOptions& options, const std::string& backend)
{
    for (const BackendSpecificOption& option : options.given) {
        bool applies = false;
        std::string names;
        for (const std::string& b : option.backends) {
            applies |= b == backend;
            names += (names.empty() ? "" : " and ") + b;
        }
        if (!applies)
            return plain_error(option.flag + " applies to the " + names + " backend" +
                               (option.backends.size() > 1 ? "s" : "") + ", not to " + backend +
                               ": leave it out or choose another --backend");
    }
    return {};
}

std::vector<BackendAvailability> probe_backends()
{
    return {probe_kms(), probe_wayland(),
            {"headless", true, "virtual output with a simulated vblank and PNG snapshots"}};
}

namespace {

Result<std::unique_ptr<Backend>> make_kms(EventLoop& loop, const BackendOptions& options)
{
    auto backend = KmsBackend::create(loop, options.kms, options.seat);
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

bool may_use_kms(const BackendOptions& options)
{
    // With --wait-device the card may come later: the seat is opened first all the same.
    return options.name == "kms" || (options.name == "auto" && (have_drm_card() || options.kms.wait_device.count() > 0));
}

Result<void> wait_for_display_if_asked(const BackendOptions& options)
{
    if (options.kms.wait_device.count() == 0 || (options.name != "kms" && options.name != "auto"))
        return {};
    auto display = wait_for_display(options.kms.device, options.kms.wait_device);
    if (!display && options.name == "kms")
        return display.error();
    // auto: make_backend's probes say what is missing and go on to the next backend.
    return {};
}

Result<std::unique_ptr<Backend>> make_backend(EventLoop& loop, const BackendOptions& options)
{
    if (auto waited = wait_for_display_if_asked(options); !waited)
        return waited.error();
    std::string name = options.name;
    if (name == "auto") {
        std::string absent;  // why there is no display, for the line that says so
        for (const BackendAvailability& b : probe_backends()) {
            if (!b.available) {
                UDEFIO_LOG(info, "backend %s skipped: %s", b.name.c_str(), b.reason.c_str());
                if (b.name != "headless")
                    absent += (absent.empty() ? "" : "; ") + b.name + ": " + b.reason;
                continue;
            }
            Result<std::unique_ptr<Backend>> made = plain_error("");
            if (b.name == "kms")
                made = make_kms(loop, options);
#if defined(UDEFIO_HAVE_WAYLAND)
            else if (b.name == "wayland")
                made = make_wayland(loop, options);
#endif
            else {
                name = b.name;
                break;
            }
            if (made)
                return made;
            // A display is there and does not work: not a silent fallback.
            if (options.fallback != Fallback::headless)
                return plain_error("backend " + b.name + ": a display is there but cannot be used: " +
                                   made.error().message() +
                                   " (--fallback headless runs on the headless output instead)");
            UDEFIO_LOG(warn, "backend %s cannot be used (%s); trying the next (--fallback headless)",
                       b.name.c_str(), made.error().message().c_str());
            absent += (absent.empty() ? "" : "; ") + b.name + ": " + made.error().message();
        }
        if (name == "headless") {
            if (options.fallback == Fallback::none)
                return plain_error("no display to run on (" + absent + ") and --fallback none");
            if (options.fallback != Fallback::headless)
                if (auto r = check_options_apply(options, "headless"); !r)
                    return Error{0, r.error().what + " (auto found no display: " + absent + ")"};
            UDEFIO_LOG(warn, "no display found (%s): running on the headless output instead (--backend auto; "
                             "--fallback none makes this an error)", absent.c_str());
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
