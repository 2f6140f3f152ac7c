// udefio: the command line. Each subcommand lives in its own file.
#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "util/log.hpp"
#include "tools/udefio/run_command.hpp"
#include "tools/udefio/info_command.hpp"

namespace {

// SIGHUP (the terminal or the session went away, `systemctl kill -s HUP`)
// stops udefio cleanly, as SIGTERM does: it is passed on as SIGTERM, which
// every command handles in its event loop. Until the session watches SIGHUP
// itself.
void stop_on_sighup()
{
    struct sigaction pass_on {};
    pass_on.sa_handler = [](int) {
        const int saved = errno;
        ::kill(::getpid(), SIGTERM);
        errno = saved;
    };
    sigemptyset(&pass_on.sa_mask);
    pass_on.sa_flags = SA_RESTART;
    ::sigaction(SIGHUP, &pass_on, nullptr);
}

}  // namespace

int main(int argc, char** argv)
{
    stop_on_sighup();
    CLI::App app{"udefio: userspace deferred I/O. Applications draw into a plain mapped framebuffer;\n"
                 "udefio finds the pages they wrote and flushes only that damage to the display."};
    app.set_version_flag("--version", std::string("udefio ") + UDEFIO_VERSION);
    app.require_subcommand(1);
    bool verbose = false;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbose, "Log debug details");
    app.add_flag("-q,--quiet", quiet, "Log errors only");

    CLI::App* info = app.add_subcommand("info", "Show the kernel, which write trackers work here and why the "
                                                "others don't, which backends are available, and every DRM "
                                                "display device (driver, connectors, CRTCs, planes, allocators)");
    double info_wait_device = 0;
    info->add_option("--wait-device", info_wait_device,
                     "First wait up to SECONDS for a display device (a DRM card with a connected connector) to "
                     "appear; exit 1 if none did");
    udefio::cli::RunOptions demo_options;
    CLI::App* demo = app.add_subcommand("demo", "Run the built-in demo client (clock, moving cursor, now and "
                                                "then a full-screen change) on an output");
    demo_options.add_to(*demo);
    udefio::cli::RunOptions profile_options;
    CLI::App* profile = app.add_subcommand(
        "profile", "Run the demo, or `-- PROGRAM ARGS...` drawing into a pre-leased buffer, and record every "
                   "frame: a summary table, a Perfetto trace, a per-frame CSV/JSON and a damage heat map");
    profile_options.command = "profile";
    profile_options.add_profile_to(*profile);
    udefio::cli::RunOptions kiosk_options;
    CLI::App* kiosk = app.add_subcommand(
        "kiosk", "Keep `-- PROGRAM ARGS...` (default: the built-in demo) running fullscreen on the output "
                 "(restarted with back-off when it dies, the last frame kept meanwhile) and serve protocol "
                 "clients on the socket");
    kiosk_options.command = "kiosk";
    kiosk_options.add_kiosk_to(*kiosk);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    udefio::init_log(verbose ? udefio::LogLevel::debug
                     : quiet ? udefio::LogLevel::error
                             : udefio::LogLevel::info);

    if (*info)
        return udefio::cli::run_info(info_wait_device);
    if (*demo)
        return udefio::cli::run_session(demo_options);
    if (*kiosk) {
        if (auto r = kiosk_options.finish_kiosk(); !r) {
            UDEFIO_LOG(error, "%s", r.error().message().c_str());
            return 1;
        }
        return udefio::cli::run_session(kiosk_options);
    }
    if (*profile) {
        if (profile_options.program.empty() && profile->count("--seconds") == 0)
            profile_options.seconds = 5;
        return udefio::cli::run_session(profile_options);
    }
    return 2;
}
