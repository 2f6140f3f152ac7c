// `udefio demo`: the built-in demo client drawing, without reporting damage,
// into the buffer of an output, for a few seconds.
#pragma once

#include "tools/udefio/output_options.hpp"

namespace udefio::cli {

struct DemoOptions {
    OutputOptions output;
    double seconds = 5;  // 0: until SIGINT/SIGTERM
    std::string png_dir;

    void add_to(CLI::App& app);
};

int run_demo(const DemoOptions& options);

}  // namespace udefio::cli
