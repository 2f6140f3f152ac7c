#include "tools/udefio/output_options.hpp"

#include <cmath>
#include <cstdio>

namespace udefio::cli {

namespace {

constexpr double kMaxDelayMs = 10'000;  // longer than this is a stuck display, not a delay

std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

Result<std::pair<uint32_t, uint32_t>> parse_size(const std::string& text)
{
    unsigned w = 0, h = 0;
    char tail = 0;
    if (std::sscanf(text.c_str(), "%ux%u%c", &w, &h, &tail) != 2)
        return plain_error("--size '" + text + "': expected WIDTHxHEIGHT, e.g. 1920x1080");
    return std::pair{uint32_t(w), uint32_t(h)};
}

}  // namespace

void OutputOptions::add_to(CLI::App& app)
{
    app.add_option("--backend", backend,
                   "Output backend: auto (kms if a display is connected, else wayland if WAYLAND_DISPLAY is set "
                   "and the compositor answers, else headless), kms, wayland, headless; see 'udefio info'")
        ->capture_default_str();
    app.add_option("--device", device, "KMS: DRM device, e.g. /dev/dri/card0 (default: the first with a display)");
    app.add_option("--wait-device", wait_device_s,
                   "KMS and auto: wait up to SECONDS for that device (a DRM card with a connected connector) to "
                   "appear, as at boot before its driver probed");
    app.add_option("--mode", kms_mode, "KMS: mode WIDTHxHEIGHT[@HZ] (default: the connector's preferred mode)");
    app.add_flag("--no-atomic", no_atomic, "KMS: legacy modesetting (SetCrtc, DirtyFB, PageFlip) even if atomic works");
    app.add_option("--allocator", allocator,
                   "KMS: scanout buffers from 'dumb' buffers or 'gbm' (Mesa; falls back to dumb where it cannot)")
        ->capture_default_str();
    app.add_flag("--fullscreen", fullscreen, "Wayland: ask for a fullscreen window (kiosk); default: a normal "
                                              "window that the compositor may resize");
    app.add_option("--size", sizes,
                   "Headless output size WIDTHxHEIGHT, once per output; Wayland: the window's size when the "
                   "compositor leaves it to us")
        ->capture_default_str();
    app.add_option("--outputs", outputs, "Headless: this many outputs (headless-0, headless-1, ...) of the first "
                                         "--size");
    app.add_option("--output", output,
                   "The output the main client (the demo or the program) goes to: a connector name (HDMI-A-1), "
                   "the Wayland window, headless-N (default: the first)");
    app.add_option("--refresh", refresh_hz, "Headless output refresh rate in Hz")->capture_default_str();
    app.add_option("--stride", stride, "Buffer stride in bytes (default: width x 4)");
    app.add_option("--format", format, "Pixel format (only XRGB8888)")->capture_default_str();
    app.add_option("--tracker", tracker,
                   "Force a write tracker: uffd-async, uffd-sync, mprotect, soft-dirty, shadow, explicit "
                   "(default: the best that works here, see 'udefio info')");
    app.add_option("--delay", delay_ms,
                   "Milliseconds to gather writes after the first before flushing (default: one refresh "
                   "period); where the output has a vblank the flush is timed to show them at the last vblank "
                   "within one period after that");
}

Result<SessionConfig> session_config(const OutputOptions& options, const std::string& png_dir)
{
    if (options.backend != "auto" && options.backend != "headless" && options.backend != "kms" &&
        options.backend != "wayland")
        return plain_error("--backend '" + options.backend + "': unknown (known: auto, headless, kms, wayland)");
    if (!(options.refresh_hz >= 1.0 && options.refresh_hz <= 1000.0))
        return plain_error("--refresh " + number(options.refresh_hz) + ": must be between 1 and 1000 Hz");
    auto format = parse_pixel_format(options.format);
    if (!format)
        return Error{0, "--format: " + format.error().what};
    if (options.sizes.empty())
        return plain_error("--size: at least one size");
    if (options.outputs > 16)
        return plain_error("--outputs " + std::to_string(options.outputs) + ": at most 16");
    if (options.outputs && options.sizes.size() > 1 && options.outputs != options.sizes.size())
        return plain_error("--outputs " + std::to_string(options.outputs) + " with " +
                           std::to_string(options.sizes.size()) + " sizes: give one --size per output, or one");
    const uint32_t mhz = uint32_t(std::lround(options.refresh_hz * 1000));
    SessionConfig config;
    std::vector<OutputMode>& modes = config.backend.headless.modes;
    modes.clear();
    for (const std::string& text : options.sizes) {
        auto size = parse_size(text);
        if (!size)
            return size.error();
        // Checked as the frame it becomes.
        if (auto layout = BufferLayout::make(size->first, size->second, options.stride, *format); !layout)
            return Error{0, "--size " + text + " --stride " + std::to_string(options.stride) + ": " +
                                layout.error().what};
        modes.push_back({size->first, size->second, mhz});
    }
    while (options.outputs > modes.size())
        modes.push_back(modes.front());

    config.backend.name = options.backend;
    config.backend.headless.snapshots.dir = png_dir;
    config.backend.kms.device = options.device;
    if (!(options.wait_device_s >= 0 && options.wait_device_s <= 86400))
        return plain_error("--wait-device " + number(options.wait_device_s) + ": must be between 0 and 86400 s");
    config.backend.kms.wait_device = std::chrono::milliseconds(int64_t(options.wait_device_s * 1000));
    config.backend.kms.atomic = !options.no_atomic;
    if (!options.kms_mode.empty()) {
        auto mode = parse_mode_request(options.kms_mode);
        if (!mode)
            return mode.error();
        config.backend.kms.mode = *mode;
    }
    auto allocator = parse_allocator_kind(options.allocator);
    if (!allocator)
        return Error{0, "--allocator: " + allocator.error().what};
    config.backend.kms.allocator = *allocator;
    config.backend.wayland.fullscreen = options.fullscreen;
    config.backend.wayland.width = modes.front().width;
    config.backend.wayland.height = modes.front().height;

    config.main_output = options.output;
    config.binding.stride = options.stride;
    config.binding.format = *format;
    if (options.delay_ms) {
        const double ms = *options.delay_ms;
        if (!(ms > 0))
            return plain_error("--delay " + number(ms) +
                               " ms: must be greater than 0 (a flush per write defeats deferred I/O)");
        if (ms > kMaxDelayMs)
            return plain_error("--delay " + number(ms) + " ms: absurdly large (at most " +
                               std::to_string(int(kMaxDelayMs)) + " ms)");
        config.binding.defio.delay = std::chrono::nanoseconds(int64_t(ms * 1e6));
        config.binding.delay_is_refresh_period = false;
    }
    if (!options.tracker.empty()) {
        auto kind = parse_tracker_kind(options.tracker);
        if (!kind)
            return Error{0, "--tracker: " + kind.error().what};
        config.binding.defio.tracker = *kind;
    }
    return config;
}

}  // namespace udefio::cli
