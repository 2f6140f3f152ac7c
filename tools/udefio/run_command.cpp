#include "tools/udefio/run_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "compositor/exec_plan.hpp"
#include "compositor/fbdev_client.hpp"
#include "compositor/program_client.hpp"
#include "compositor/session.hpp"
#include "compositor/socket_listener.hpp"
#include "tools/profile/profile_run.hpp"
#include "tools/udefio/demo_client.hpp"
#include "util/log.hpp"

namespace udefio::cli {

namespace {

int fail(const Error& error)
{
    UDEFIO_LOG(error, "%s", error.message().c_str());
    return kExitFailure;
}

int usage(const Error& error)
{
    UDEFIO_LOG(error, "%s", error.message().c_str());
    return kExitUsage;
}

// Where a run writes its files: checked before anything comes up, so that a
// bad path is said at once and not after the whole run.
Result<void> writable_dir(const std::string& flag, const std::string& dir)
{
    if (dir.empty())
        return plain_error(flag + " \"\": give a directory");
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return errno_error(flag + " " + dir + ": mkdir");
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        return errno_error(flag + " " + dir);
    if (!S_ISDIR(st.st_mode))
        return plain_error(flag + " " + dir + ": not a directory");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return errno_error(flag + " " + dir + ": not writable");
    return {};
}

// The program is there and may be run: said once, before an output comes up.
Result<void> runnable(const std::string& program)
{
    if (program.find('/') == std::string::npos) {
        auto plan = ExecPlan::make({program}, {}, {});
        if (!plan)
            return plan.error();
        return {};
    }
    struct stat st {};
    if (::stat(program.c_str(), &st) != 0)
        return errno_error("start " + program);
    if (S_ISDIR(st.st_mode))
        return Error{EISDIR, "start " + program};
    if (::access(program.c_str(), X_OK) != 0)
        return errno_error("start " + program);
    return {};
}

}  // namespace

void RunOptions::add_run_options(CLI::App& app)
{
    app.add_option("--seconds", seconds, "How long to run; 0 = until SIGINT/SIGTERM")->capture_default_str();
    app.add_option("--png-dir", png_dir,
                   "Write what the output shows here as PNG at exit (frame-final.png); headless: also about one "
                   "snapshot per second")
        ->each([this](const std::string&) { png_dir_given = true; });
    app.add_option("--profile", profile_dir,
                   "Record every frame and write the summary, trace.json, frames.csv/json and heatmap.png here")
        ->each([this](const std::string&) { profile_dir_given = true; });
}

void RunOptions::add_to(CLI::App& app)
{
    output.add_to(app);
    add_run_options(app);
}

void RunOptions::add_restart_options(CLI::App& app)
{
    app.add_option("--restart", restart_name,
                   "When the program ends: 'always' restarts it, also after exit status 0 (a panel should not go "
                   "dark because its program quit); 'on-failure' only after a non-zero status or a signal (status "
                   "0 ends the kiosk, exit 0); 'never': its end ends the kiosk (exit 1 if it failed)")
        ->capture_default_str();
    app.add_option("--backoff", backoff_ms,
                   "First wait before a restart, in ms; doubles while the program keeps dying within 10 s "
                   "(up to 30 s)")
        ->capture_default_str();
}

void RunOptions::add_server_options(CLI::App& app)
{
    app.add_option("--socket", socket, "The clients' socket (default: $XDG_RUNTIME_DIR/udefio-0)");
    // Who may connect (a connection needs write permission on the socket).
    app.add_option("--socket-group", socket_group,
                   "The socket's group (a name or a number): its members may connect (mode 0770 by default)");
    app.add_option("--socket-mode", socket_mode,
                   "The socket's permission bits, octal (default 0700: only udefio's user may connect; 0770 with "
                   "--socket-group)");
    app.add_option("--lease-seconds", lease_seconds,
                   "Leases expire (are revoked) this long after they were made; 0 = never. SIGUSR1 revokes "
                   "every lease at once")
        ->capture_default_str();
    app.add_option("--max-clients", max_clients, "Serve at most this many protocol clients; more are refused "
                                                 "with an error")
        ->check(CLI::Range(size_t(1), size_t(4096)))
        ->capture_default_str();
    app.add_option("--shadow-memory", shadow_mib,
                   "MiB that all clients' shadows may take (a copy of each lease that commits without damage, "
                   "to find what changed); past it such a commit is an error")
        ->check(CLI::Range(size_t(0), size_t(1) << 20))
        ->capture_default_str();
    app.add_option("--focus-requests", focus_requests_name,
                   "Which protocol clients may take the input focus (request_focus): 'any', 'main' (only the main "
                   "program and what it started) or 'none'. Input goes to the main program otherwise; a main "
                   "program that is a protocol client gets it at its first surface")
        ->capture_default_str();
    app.add_option("--client", clients,
                   "Also keep this shell command running as a protocol client (UDEFIO_SOCKET in its environment); "
                   "may be given more than once. It also sees a /dev/fb0 of its own: a band of rows of the main "
                   "program's output (--client-rows; by default all of them), painted only once it opens /dev/fb0")
        ->allow_extra_args(false);
    app.add_option("--client-rows", client_rows_text,
                   "FIRST:COUNT: the rows of the output that the /dev/fb0 of a --client shows (the first "
                   "--client-rows is the first --client's, and so on); its /dev/fb0 is COUNT rows high")
        ->allow_extra_args(false);
}

void RunOptions::add_kiosk_to(CLI::App& app)
{
    output.add_to(app);
    seconds = 0;
    add_restart_options(app);
    add_server_options(app);
    fbdev = true;
    app.add_flag("!--no-fbdev", fbdev,
                 "The program gets no emulated /dev/fb0: UDEFIO_BUFFER_FD is then the output's frame itself, "
                 "compared with a shadow copy each refresh to find the program's stores");
    add_run_options(app);
    app.add_option("program", program,
                   "-- PROGRAM ARGS...: the program to keep running (default: the built-in demo); it sees a "
                   "/dev/fb0 of the output's size (an unmodified fbdev program runs as on the kernel's "
                   "framebuffer), gets the same memory in UDEFIO_BUFFER_FD (with UDEFIO_WIDTH, UDEFIO_HEIGHT, "
                   "UDEFIO_STRIDE, UDEFIO_FORMAT) and the socket in UDEFIO_SOCKET");
}

Result<void> RunOptions::finish_kiosk()
{
    auto policy = parse_restart_policy(restart_name);
    if (!policy)
        return policy.error();
    if (!(backoff_ms >= 1 && backoff_ms <= 60'000))
        return plain_error("--backoff " + std::to_string(backoff_ms) + " ms: must be between 1 ms and a minute");
    if (!(lease_seconds >= 0 && lease_seconds <= 86400 * 365))
        return plain_error("--lease-seconds " + std::to_string(lease_seconds) + ": must be between 0 and a year");
    auto focus = parse_focus_requests(focus_requests_name);
    if (!focus)
        return focus.error();
    focus_requests = *focus;
    auto access = SocketListener::Options::from_flags(socket_group, socket_mode);
    if (!access)
        return access.error();
    socket_access = *access;
    restart.policy = *policy;
    restart.backoff = std::chrono::milliseconds(int64_t(backoff_ms));
    if (!client_rows_text.empty() && !fbdev)
        return plain_error("--client-rows: the clients see no /dev/fb0 with --no-fbdev");
    if (client_rows_text.size() > clients.size())
        return plain_error("--client-rows given " + std::to_string(client_rows_text.size()) + " times for " +
                           std::to_string(clients.size()) + " --client");
    client_rows.clear();
    for (const std::string& text : client_rows_text) {
        unsigned first = 0, count = 0;
        char end = 0;
        if (std::sscanf(text.c_str(), "%u:%u%c", &first, &count, &end) != 2 || count == 0)
            return plain_error("--client-rows " + text + ": expected FIRST:COUNT, COUNT at least 1 (e.g. 600:120)");
        client_rows.push_back({first, count});
    }
    if (socket.empty()) {
        auto path = SocketListener::default_path();
        if (!path)
            return path.error();
        socket = *path;
    }
    return {};
}

void RunOptions::add_profile_to(CLI::App& app)
{
    output.add_to(app);
    profile_dir = "udefio-profile";
    seconds = 0;
    app.add_option("--out", profile_dir, "Where the summary, trace.json, frames.csv/json and heatmap.png go")
        ->capture_default_str()
        ->each([this](const std::string&) { profile_dir_given = true; });
    app.add_option("--seconds", seconds,
                   "How long to run; 0 = until the program ends or SIGINT/SIGTERM (the demo: 5 s)");
    app.add_option("--png-dir", png_dir,
                   "Write what the output shows here as PNG at exit (frame-final.png); headless: also about one "
                   "snapshot per second")
        ->each([this](const std::string&) { png_dir_given = true; });
    app.add_option("program", program,
                   "-- PROGRAM ARGS...: run this instead of the built-in demo; it gets the buffer in "
                   "UDEFIO_BUFFER_FD (with UDEFIO_WIDTH, UDEFIO_HEIGHT, UDEFIO_STRIDE, UDEFIO_FORMAT)");
}

int run_session(const RunOptions& options)
{
    if (!(options.seconds >= 0 && options.seconds <= 86400 * 365))
        return usage(plain_error("--seconds " + std::to_string(options.seconds) + ": must be between 0 and a year"));
    auto configured = session_config(options.output, options.png_dir);
    if (!configured)
        return usage(configured.error());
    if (!options.program.empty())
        if (auto r = runnable(options.program.front()); !r)
            return fail(r.error());
    if (!options.png_dir.empty() || options.png_dir_given)
        if (auto r = writable_dir("--png-dir", options.png_dir); !r)
            return fail(r.error());
    if (!options.profile_dir.empty() || options.profile_dir_given)
        if (auto r = writable_dir(options.command == "profile" ? "--out" : "--profile", options.profile_dir); !r)
            return fail(r.error());
    SessionConfig config = std::move(configured).value();
    const auto forced = config.binding.defio.tracker;
    if (!options.program.empty() && !options.fbdev && forced && *forced != TrackerKind::shadow)
        // Our trackers see this process's writes; another process's show only in the memory itself.
        return usage(plain_error("--tracker " + std::string(tracker_name(*forced)) +
                                ": cannot see another process's writes; a program is tracked with shadow"));
    config.socket = options.socket;
    config.socket_access = options.socket_access;
    config.lease_lifetime = std::chrono::milliseconds(int64_t(options.lease_seconds * 1000));
    config.limits = {options.max_clients, options.shadow_mib << 20};
    config.clients = options.clients;
    config.focus_requests = options.focus_requests;
    config.restart = options.restart;
    config.fbdev_clients = options.fbdev;
    config.client_rows = options.client_rows;

    auto loop = EventLoop::create();
    if (!loop)
        return fail(loop.error());
    std::unique_ptr<profile::ProfileRun> profiling;
    if (!options.profile_dir.empty()) {
        auto run = profile::ProfileRun::start(**loop, options.profile_dir);
        if (!run)
            return fail(run.error());
        profiling = std::move(run).value();
        config.binding.recorder = profiling->recorder();
    }
    std::unique_ptr<MainClient> main;
    if (options.program.empty())
        main = std::make_unique<DemoClient>();
    else if (options.fbdev)
        main = std::make_unique<FbdevClient>(**loop, options.program, options.socket, options.restart);
    else
        main = std::make_unique<ProgramClient>(**loop, options.program, options.socket, options.restart);
    auto session = Session::start(**loop, std::move(config), std::move(main));
    if (!session)
        return fail(session.error());
    auto deadline = (*loop)->make_timer([s = session->get()] { s->stop(); });
    if (!deadline)
        return fail(deadline.error());
    if (options.seconds > 0)
        deadline->arm(std::chrono::nanoseconds(int64_t(options.seconds * 1e9)));
    const Result<void> outcome = (*session)->run();

    const FlushStats stats = (*session)->stats();
    const OutputBinding* shown = (*session)->last_main_binding();
    const BufferLayout frame = shown ? shown->state().layout() : BufferLayout{};
    const double full = double(frame.bytes() ? frame.bytes() : 1);
    std::printf("%s: %llu flushes, %llu presented, %llu pages, %.1f MiB copied (%.1f%% of full-frame copies), "
                "%llu flush-worker wakeups, tracker %s\n",
                options.command.c_str(), (unsigned long long)stats.flushes,
                (unsigned long long)(*session)->presented(), (unsigned long long)stats.pages,
                double(stats.bytes_copied) / (1 << 20),
                stats.flushes && frame.bytes() ? 100.0 * double(stats.bytes_copied) / (full * double(stats.flushes))
                                               : 0.0,
                (unsigned long long)stats.wakeups, tracker_name((*session)->main_tracker()).data());
    if (profiling) {
        auto summary = profiling->finish(stats, frame.width, frame.height);
        if (!summary)
            return fail(summary.error());
        std::fputs(summary->c_str(), stdout);
    }
    if (!options.png_dir.empty() && shown) {
        const std::string last = options.png_dir + "/frame-final.png";
        if (auto r = shown->output().snapshot_png(last); !r)
            return fail(r.error());
        std::printf("%s: PNG frames in %s/ (the last one: %s)\n", options.command.c_str(), options.png_dir.c_str(),
                    last.c_str());
    }
    if (!outcome)
        return fail(outcome.error());
    return 0;
}

}  // namespace udefio::cli
