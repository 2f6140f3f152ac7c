// udefio: the command line. Each subcommand lives in its own file.
#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "util/log.hpp"
#include "tools/udefio/config_file.hpp"
#include "tools/udefio/run_command.hpp"
#include "tools/udefio/info_command.hpp"

namespace {

using udefio::cli::kExitFailure;
using udefio::cli::kExitUsage;

constexpr const char* kCommands = "info, demo, profile, kiosk";

// A usage error: one line, "udefio: " first, and exit 2. CLI11's own
// messages are kept; a few are said better.
int usage_error(const std::string& message)
{
    std::fprintf(stderr, "udefio: %s (see 'udefio --help')\n", message.c_str());
    return kExitUsage;
}

// The first word that is not an option: what was meant as the command.
std::string first_word(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--config")
            ++i;  // its file
        else if (arg.empty() || arg[0] != '-')
            return arg;
    }
    return {};
}

int parse_error(CLI::App& app, const CLI::ParseError& e, int argc, char** argv)
{
    if (e.get_exit_code() == int(CLI::ExitCodes::Success))
        return app.exit(e);  // --help, --version
    if (app.get_subcommands().empty()) {
        const std::string word = first_word(argc, argv);
        const auto named = app.get_subcommands([&word](CLI::App* sub) { return sub->check_name(word); });
        if (!word.empty() && named.empty())
            return usage_error("unknown command '" + word + "' (the commands: " + kCommands + ")");
        if (word.empty() && dynamic_cast<const CLI::RequiredError*>(&e))
            return usage_error(std::string("a command is required (") + kCommands + ")");
    }
    if (auto config = udefio::cli::config_error(app, e))
        return usage_error(*config);
    return usage_error(e.what());
}

// `kiosk --` and `profile --` with nothing after the `--`: a program was
// meant and is missing (leaving out the `--` runs the built-in demo).
std::string empty_program_after_dashes(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--") == 0)
            return i + 1 == argc ? "'--' with no program after it (leave the '--' out to run the built-in demo)"
                                 : "";
    }
    return "";
}

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
    // -v and -q after the command too (`udefio demo -v`).
    app.fallthrough();
    udefio::cli::add_config_file(app);
    bool verbose = false;
    bool quiet = false;
    CLI::Option* verbose_flag = app.add_flag("-v,--verbose", verbose, "Log debug details");
    app.add_flag("-q,--quiet", quiet, "Log errors only")->excludes(verbose_flag);

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
                 "and serve protocol clients on the socket. When the program ends it is started again after a "
                 "back-off, also after exit status 0 (--restart always, the default: the display does not go "
                 "dark), the last frame kept meanwhile; see --restart");
    kiosk_options.command = "kiosk";
    kiosk_options.add_kiosk_to(*kiosk);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return parse_error(app, e, argc, argv);
    }
    if (const std::string dashes = empty_program_after_dashes(argc, argv); !dashes.empty() && (*kiosk || *profile))
        return usage_error(std::string(*kiosk ? "kiosk" : "profile") + ": " + dashes);
    udefio::init_log(verbose ? udefio::LogLevel::debug
                     : quiet ? udefio::LogLevel::error
                             : udefio::LogLevel::info);
    udefio::cli::log_config_file(app);

    if (*info)
        return udefio::cli::run_info(info_wait_device);
    if (*demo)
        return udefio::cli::run_session(demo_options);
    if (*kiosk) {
        if (auto r = kiosk_options.finish_kiosk(); !r) {
            UDEFIO_LOG(error, "%s", r.error().message().c_str());
            return r.error().code ? kExitFailure : kExitUsage;
        }
        return udefio::cli::run_session(kiosk_options);
    }
    if (*profile) {
        if (profile_options.program.empty() && profile->count("--seconds") == 0)
            profile_options.seconds = 5;
        return udefio::cli::run_session(profile_options);
    }
    return kExitUsage;
}
