// The options every command that drives an output shares, and their
// validation into the types the core uses. Each error is one line naming the
// value and the reason.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "backends/kms/scanout_allocator.hpp"
#include "backends/output.hpp"
#include "defio/buffer_layout.hpp"
#include "defio/deferred_io_state.hpp"

namespace udefio::cli {

struct OutputOptions {
    std::string backend = "auto";
    std::string size = "1280x720";
    double refresh_hz = 60.0;
    uint32_t stride = 0;  // 0: tightly packed
    std::string format = "XRGB8888";
    std::string tracker;         // empty: the best that works here
    std::optional<double> delay_ms;  // unset: one refresh period
    std::string device;              // kms: DRM device, empty = auto
    std::string kms_mode;            // kms: WxH[@Hz], empty = preferred
    bool no_atomic = false;          // kms: legacy modesetting
    std::string allocator = "dumb";  // kms: dumb | gbm
    bool fullscreen = false;         // wayland: ask for a fullscreen window

    void add_to(CLI::App& app);
};

struct ValidatedOutput {
    OutputMode mode;
    BufferLayout layout;
    DeferredIoOptions defio;
    AllocatorKind allocator = AllocatorKind::dumb;
};

Result<ValidatedOutput> validate(const OutputOptions& options);

}  // namespace udefio::cli
