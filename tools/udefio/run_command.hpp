// `udefio demo`, `udefio profile` and `udefio kiosk`: a session
// (compositor/session.hpp) and what runs in it — the built-in demo, or a
// program with the main output's frame pre-leased — plus what is recorded
// (the flush summary, PNG frames, a profile).
#pragma once

#include <string>
#include <vector>

#include "compositor/lease.hpp"
#include "compositor/program_supervisor.hpp"
#include "compositor/socket_listener.hpp"
#include "compositor/server.hpp"
#include "tools/udefio/output_options.hpp"

namespace udefio::cli {

// Exit statuses: a run that failed, and a command line that is wrong (a bad
// flag or value, options that contradict each other or do not apply).
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct RunOptions {
    std::string command = "demo";      // the subcommand: names the summary lines
    OutputOptions output;
    double seconds = 5;  // 0: until SIGINT/SIGTERM (or the program ends)
    std::string png_dir;
    bool png_dir_given = false;        // --png-dir "" is an error, not "no PNGs"
    std::string profile_dir;           // empty: not profiling
    bool profile_dir_given = false;    // --out "" / --profile "" is an error, not "record nothing"
    std::vector<std::string> program;  // empty: the built-in demo
    RestartOptions restart;            // kiosk: what to do when the program ends
    std::string socket;                // kiosk: the clients' socket; empty: none
    std::string socket_group;          // kiosk: --socket-group (a name or a number)
    std::string socket_mode;           // kiosk: --socket-mode (octal)
    SocketListener::Options socket_access;  // those two, from finish_kiosk()
    std::vector<std::string> clients;  // kiosk: more programs (shell commands) that use the socket
    double lease_seconds = 0;          // kiosk: leases expire after this long; 0 = never
    bool fbdev = false;                // kiosk: the programs see an emulated /dev/fb0 (--no-fbdev: off)
    std::vector<std::string> client_rows_text;  // kiosk: --client-rows FIRST:COUNT, in --client order
    std::vector<LeasePlace> client_rows;        // those, parsed
    size_t max_clients = ServerLimits{}.max_clients;            // kiosk: --max-clients
    size_t shadow_mib = ServerLimits{}.shadow_bytes >> 20;      // kiosk: --shadow-memory
    std::string focus_requests_name = "any";                 // kiosk: --focus-requests
    FocusRequests focus_requests = FocusRequests::any;

    void add_to(CLI::App& app);
    // --seconds, --png-dir, --profile.
    void add_run_options(CLI::App& app);
    // `udefio profile`: --out DIR and `-- PROGRAM ARGS...`.
    void add_profile_to(CLI::App& app);
    // `udefio kiosk`: the output's, the restart's and the server's options, --no-fbdev and `-- PROGRAM ARGS...`.
    void add_kiosk_to(CLI::App& app);
    // --restart, --backoff: what the kiosk does when its program ends.
    void add_restart_options(CLI::App& app);
    // --socket..., --lease-seconds, --max-clients, --shadow-memory, --focus-requests, --client...: who may
    // connect, and what a protocol client may take.
    void add_server_options(CLI::App& app);
    // What add_kiosk_to parsed into fields; an error names the bad value.
    Result<void> finish_kiosk();

    std::string restart_name = "always";
    double backoff_ms = 500;
};

int run_session(const RunOptions& options);

}  // namespace udefio::cli
