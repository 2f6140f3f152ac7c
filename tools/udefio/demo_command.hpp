// `udefio demo` and `udefio profile`: a client draws, without reporting damage,
// into the buffer of an output: the built-in demo, or a program started with
// the buffer pre-leased (its fd and layout in its environment). With a
// profile directory every frame is recorded (docs/PROFILING.md).
#pragma once

#include <string>
#include <vector>

#include "tools/udefio/output_options.hpp"
#include "tools/udefio/program_supervisor.hpp"

namespace udefio::cli {

struct DemoOptions {
    std::string command = "demo";      // the subcommand: names the summary lines
    OutputOptions output;
    double seconds = 5;  // 0: until SIGINT/SIGTERM (or the program ends)
    std::string png_dir;
    std::string profile_dir;           // empty: not profiling
    std::vector<std::string> program;  // empty: the built-in demo
    RestartOptions restart;            // kiosk: what to do when the program ends
    std::string socket;                // kiosk: the clients' socket; empty: none
    std::vector<std::string> clients;  // kiosk: more programs (shell commands) that use the socket
    double lease_seconds = 0;          // kiosk: leases expire after this long; 0 = never

    void add_to(CLI::App& app);
    // --seconds, --png-dir, --profile.
    void add_run_options(CLI::App& app);
    // `udefio profile`: --out DIR and `-- PROGRAM ARGS...`.
    void add_profile_to(CLI::App& app);
    // `udefio kiosk`: --restart, --backoff, --socket and `-- PROGRAM ARGS...`.
    void add_kiosk_to(CLI::App& app);
    // What add_kiosk_to parsed into fields; an error names the bad value.
    Result<void> finish_kiosk();

    std::string restart_name = "always";
    double backoff_ms = 500;
};

int run_demo(const DemoOptions& options);

}  // namespace udefio::cli
