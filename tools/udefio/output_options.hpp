// The options every command that drives outputs shares, and their
// validation into the session's configuration. Each error is one line naming
// the value and the reason.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "compositor/session.hpp"

namespace udefio::cli {

struct OutputOptions {
    std::string backend = "auto";
    std::vector<std::string> sizes{"1280x720"};  // headless: one output each; wayland: the window's
    unsigned outputs = 0;                        // headless: this many outputs of the first size (0: one per --size)
    std::string output;                          // the main client's output; empty: the first
    double refresh_hz = 60.0;
    uint32_t stride = 0;  // 0: tightly packed
    std::string format = "XRGB8888";
    std::string tracker;             // empty: the best that works here
    std::optional<double> delay_ms;  // unset: one refresh period
    std::string device;              // kms: DRM device, empty = auto
    double wait_device_s = 0;        // kms, auto: wait this long for the device to appear
    std::string kms_mode;            // kms: WxH[@Hz], empty = preferred
    bool no_atomic = false;          // kms: legacy modesetting
    std::string allocator = "dumb";  // kms: dumb | gbm
    bool fullscreen = false;         // wayland: ask for a fullscreen window
    std::string fallback = "absent"; // auto: when to run headless (backends/backend_factory.hpp)
    std::vector<std::string> transforms;  // --transform: TRANSFORM (every output) or OUTPUT:TRANSFORM
    bool no_plane_rotation = false;       // kms: the flush copy turns the frame even where the plane could
    double blank_after_s = 0;             // --blank-after: seconds without input or drawing; 0: never
    std::string cursor = "auto";          // --cursor auto|always|never
    KeyboardConfig keyboard;              // --xkb-*, --repeat-delay, --repeat-rate (the seat's keyboard)
    unsigned repeat_delay_ms = 600;

    void add_to(CLI::App& app);

    // The options that apply to some backends only, and which: given ones
    // that do not apply to the backend are errors.
    struct Specific {
        const CLI::Option* option;
        std::vector<std::string> backends;
    };
    std::vector<Specific> specific;
    // Declares `option` as one of those (add_to does, where it adds it).
    CLI::Option* only_for(std::vector<std::string> backends, CLI::Option* option);
    // Those given (on the command line or in the config file).
    std::vector<BackendSpecificOption> given() const;
};

// The backend and frame parts of a session's configuration; `png_dir` gets the headless snapshots.
Result<SessionConfig> session_config(const OutputOptions& options, const std::string& png_dir);

}  // namespace udefio::cli
