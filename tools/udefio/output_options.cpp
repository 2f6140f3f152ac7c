#include "tools/udefio/output_options.hpp"

#include <cmath>
#include <cstdio>

#include "input/keyboard.hpp"

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
    // Digits only: sscanf's %u would take "-5" as 4294967291.
    const auto x = text.find('x');
    const auto digits = [](const std::string& part) {
        return !part.empty() && part.size() <= 6 && part.find_first_not_of("0123456789") == std::string::npos;
    };
    if (x == std::string::npos || !digits(text.substr(0, x)) || !digits(text.substr(x + 1)))
        return plain_error("--size '" + text + "': expected WIDTHxHEIGHT in pixels, e.g. 1920x1080");
    return std::pair{uint32_t(std::stoul(text.substr(0, x))), uint32_t(std::stoul(text.substr(x + 1)))};
}

// --transform VALUE...: "90" for every output, "HDMI-A-1:90" for one (the
// output's own name wins over a plain value, whatever their order).
Result<OutputTransforms> parse_transforms(const std::vector<std::string>& values)
{
    OutputTransforms transforms;
    bool plain_seen = false;
    for (const std::string& value : values) {
        const size_t colon = value.rfind(':');
        const std::string name = colon == std::string::npos ? "" : value.substr(0, colon);
        const std::string what = colon == std::string::npos ? value : value.substr(colon + 1);
        auto t = parse_transform(what);
        if (!t)
            return plain_error("--transform '" + value + "': '" + what +
                               "' is not one of normal, 90, 180, 270, flipped, flipped-90, flipped-180, "
                               "flipped-270");
        if (colon == std::string::npos) {
            if (plain_seen)
                return plain_error("--transform '" + value + "': a second value for every output");
            plain_seen = true;
            transforms.others = *t;
        } else {
            if (name.empty())
                return plain_error("--transform '" + value + "': no output name before ':'");
            if (!transforms.named.emplace(name, *t).second)
                return plain_error("--transform '" + value + "': output " + name + " was given twice");
        }
    }
    return transforms;
}

}  // namespace

CLI::Option* OutputOptions::only_for(std::vector<std::string> backends, CLI::Option* option)
{
    specific.push_back({option, std::move(backends)});
    return option;
}

std::vector<BackendSpecificOption> OutputOptions::given() const
{
    std::vector<BackendSpecificOption> out;
    for (const Specific& s : specific)
        if (s.option->count() > 0)
            out.push_back({s.option->get_name(), s.backends});
    return out;
}

void OutputOptions::add_to(CLI::App& app)
{
    app.add_option("--backend", backend,
                   "Output backend: auto (kms if a display is connected, else wayland if WAYLAND_DISPLAY is set "
                   "and the compositor answers, else headless), kms, wayland, headless; see 'udefio info'")
        ->capture_default_str();
    only_for({"kms"}, app.add_option("--device", device,
                                     "KMS: DRM device, e.g. /dev/dri/card0 (default: the first with a display)"));
    only_for({"kms"}, app.add_option("--wait-device", wait_device_s,
                                     "KMS and auto: wait up to SECONDS for that device (a DRM card with a "
                                     "connected connector) to appear, as at boot before its driver probed"));
    only_for({"kms"}, app.add_option("--mode", kms_mode,
                                     "KMS: mode WIDTHxHEIGHT[@HZ] (default: the connector's preferred mode)"));
    only_for({"kms"}, app.add_flag("--no-atomic", no_atomic,
                                   "KMS: legacy modesetting (SetCrtc, DirtyFB, PageFlip) even if atomic works"));
    only_for({"kms"}, app.add_option("--allocator", allocator,
                                     "KMS: scanout buffers from 'dumb' buffers or 'gbm' (Mesa; falls back to dumb "
                                     "where it cannot)")
                          ->capture_default_str());
    only_for({"wayland"}, app.add_flag("--fullscreen", fullscreen,
                                       "Wayland: ask for a fullscreen window (kiosk); default: a normal window "
                                       "that the compositor may resize"));
    only_for({"headless", "wayland"},
             app.add_option("--size", sizes,
                            "Headless output size WIDTHxHEIGHT, once per output; Wayland: the window's size when "
                            "the compositor leaves it to us")
                 ->capture_default_str()
                 ->allow_extra_args(false));  // one size per --size: what follows is not swallowed
    only_for({"headless"}, app.add_option("--outputs", outputs,
                                          "Headless: this many outputs (headless-0, headless-1, ...) of the first "
                                          "--size"));
    app.add_option("--output", output,
                   "The output the main client (the demo or the program) goes to: a connector name (HDMI-A-1), "
                   "the Wayland window, headless-N (default: the first)");
    only_for({"headless"},
             app.add_option("--refresh", refresh_hz, "Headless output refresh rate in Hz")->capture_default_str());
    app.add_option("--stride", stride, "Buffer stride in bytes (default: width x 4)");
    app.add_option("--format", format, "Pixel format (only XRGB8888)")->capture_default_str();
    app.add_option("--tracker", tracker,
                   "Force a write tracker: uffd-async, uffd-sync, mprotect, soft-dirty, shadow, explicit "
                   "(default: the best that works here, see 'udefio info')");
    app.add_option("--fallback", fallback,
                   "Backend auto, when no display can be used: 'absent' (default) runs on the headless output when "
                   "there is no display device at all, and fails when one is there but cannot be used (no "
                   "permission, held by another, nothing connected); 'headless' runs headless then too; 'none' "
                   "always fails. Running headless is said in the log")
        ->capture_default_str();
    app.add_option("--transform", transforms,
                   "How the output is turned: normal, 90, 180, 270 (counter-clockwise, as wl_output), flipped, "
                   "flipped-90, flipped-180, flipped-270; a plain value for every output, OUTPUT:VALUE for one "
                   "(HDMI-A-1:90, headless-1:flipped, window@wayland-0:270); may be given more than once. "
                   "Clients and programs draw the turned (upright) frame. KMS: by the plane's rotation where the "
                   "driver takes it, else in the flush copy; Wayland: the compositor turns the window's buffer "
                   "(wl_surface.set_buffer_transform)")
        ->allow_extra_args(false);  // one value per --transform: a `-- PROGRAM -c ...` after it is not swallowed
    only_for({"kms"}, app.add_flag("--no-plane-rotation", no_plane_rotation,
                                   "KMS: turn the frame in the flush copy even where the plane could rotate it"));
    app.add_option("--blank-after", blank_after_s,
                   "Switch the outputs off after this many seconds without input or drawing (KMS: CRTC ACTIVE 0, "
                   "or DPMS off on legacy); the first input event or drawing switches them on; 0 = never")
        ->capture_default_str();
    app.add_option("--cursor", cursor,
                   "KMS: the software cursor drawn where the pointer is: 'auto' while a mouse or tablet is there, "
                   "'always', or 'never' (a pointer that is not one, as some HDMI-CEC adapters are)")
        ->capture_default_str();
    only_for({"kms"}, app.add_option("--xkb-layout", keyboard.layout,
                                     "KMS: the seat's keyboard layout(s), e.g. us, de, us,ru (default: "
                                     "XKB_DEFAULT_LAYOUT, else us)"));
    only_for({"kms"},
             app.add_option("--xkb-variant", keyboard.variant, "KMS: the layout's variant, e.g. dvorak, nodeadkeys"));
    only_for({"kms"}, app.add_option("--xkb-options", keyboard.options,
                                     "KMS: xkb options, e.g. ctrl:nocaps,grp:alt_shift_toggle"));
    only_for({"kms"}, app.add_option("--xkb-model", keyboard.model, "KMS: the keyboard model (default: pc105)"));
    only_for({"kms"}, app.add_option("--xkb-rules", keyboard.rules, "KMS: the xkb rules (default: evdev)"));
    only_for({"kms"}, app.add_option("--repeat-delay", repeat_delay_ms, "KMS: a held key repeats after this many ms")
                          ->capture_default_str());
    only_for({"kms"},
             app.add_option("--repeat-rate", keyboard.repeat_rate, "KMS: key repeats per second; 0 = no repeat")
                 ->capture_default_str());
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
    auto fallback = parse_fallback(options.fallback);
    if (!fallback)
        return fallback.error();
    config.backend.fallback = *fallback;
    config.backend.given = options.given();
    if (options.backend != "auto") {
        if (auto r = check_options_apply(config.backend, options.backend); !r)
            return r.error();
        if (options.fallback != "absent")
            return plain_error("--fallback " + options.fallback + " applies to --backend auto, not to " +
                               options.backend);
    }
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
    auto transforms = parse_transforms(options.transforms);
    if (!transforms)
        return transforms.error();
    config.backend.headless.transforms = *transforms;
    config.backend.kms.transforms = *transforms;
    config.backend.wayland.transforms = *transforms;
    config.backend.kms.plane_rotation = !options.no_plane_rotation;
    if (!(options.blank_after_s >= 0 && options.blank_after_s <= 86400 * 365))
        return plain_error("--blank-after " + number(options.blank_after_s) + ": must be between 0 and a year");
    if (options.blank_after_s > 0 && options.blank_after_s < 0.1)
        return plain_error("--blank-after " + number(options.blank_after_s) + ": at least 0.1 s (or 0: never)");
    config.blank_after = std::chrono::milliseconds(int64_t(std::lround(options.blank_after_s * 1000)));
    auto cursor = parse_cursor_mode(options.cursor);
    if (!cursor)
        return cursor.error();
    config.cursor = *cursor;
    if (options.repeat_delay_ms < 1 || options.repeat_delay_ms > 10'000)
        return plain_error("--repeat-delay " + std::to_string(options.repeat_delay_ms) +
                           ": must be between 1 and 10000 ms");
    if (options.keyboard.repeat_rate > 1000)
        return plain_error("--repeat-rate " + std::to_string(options.keyboard.repeat_rate) + ": at most 1000");
    config.input.keyboard = options.keyboard;
    config.input.keyboard.repeat_delay = std::chrono::milliseconds(options.repeat_delay_ms);
    // A keymap xkbcommon cannot compile from the --xkb-* values given is a mistake in the options: said
    // before anything runs, not later as a kiosk without a keyboard. Without them (xkbcommon's defaults)
    // a machine without xkb data still shows its display, and the log says there is no input.
    const KeyboardConfig& names = options.keyboard;
    const bool keymap_given = !names.rules.empty() || !names.model.empty() || !names.layout.empty() ||
                              !names.variant.empty() || !names.options.empty();
    if (keymap_given && (options.backend == "kms" || options.backend == "auto")) {
        if (auto keyboard = Keyboard::create(config.input.keyboard); !keyboard)
            return keyboard.error();
    }
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
