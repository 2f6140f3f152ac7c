#include "tools/udefio/demo_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

#include "backends/backend_factory.hpp"
#include "compositor/server.hpp"
#include "compositor/socket_listener.hpp"
#include "tools/udefio/program_supervisor.hpp"
#include "util/log.hpp"
#include "tools/demo/demo_scene.hpp"
#include "tools/profile/profile_run.hpp"

namespace udefio::cli {

namespace {

constexpr auto kDemoFramePeriod = std::chrono::milliseconds(16);

// Draws the scene on its own thread, as an application would. With the
// explicit tracker it reports what it drew, as a damage-aware client does.
class DemoThread {
public:
    explicit DemoThread(DeferredIoState& state)
        : state_(state),
          report_damage_(state.tracker_kind() == TrackerKind::explicit_damage),
          scene_(reinterpret_cast<uint32_t*>(state.buffer().data()), state.layout().width, state.layout().height,
                 state.layout().stride),
          thread_([this] { run(); })
    {
    }
    ~DemoThread() { stop(); }
    void stop()
    {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
    }

private:
    void run()
    {
        const auto start = std::chrono::steady_clock::now();
        auto next = start;
        while (!stop_) {
            const auto painted = scene_.draw(
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start));
            if (report_damage_) {
                for (const Rect& r : painted)
                    state_.add_damage(r);
            }
            next += kDemoFramePeriod;
            std::this_thread::sleep_until(next);
        }
    }

    DeferredIoState& state_;
    const bool report_damage_;
    demo::DemoScene scene_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

int fail(const Error& error)
{
    UDEFIO_LOG(error, "%s", error.message().c_str());
    return 1;
}

}  // namespace

void DemoOptions::add_run_options(CLI::App& app)
{
    app.add_option("--seconds", seconds, "How long to run; 0 = until SIGINT/SIGTERM")->capture_default_str();
    app.add_option("--png-dir", png_dir,
                   "Write what the output shows here as PNG at exit (frame-final.png); headless: also about one "
                   "snapshot per second");
    app.add_option("--profile", profile_dir,
                   "Record every frame and write the summary, trace.json, frames.csv/json and heatmap.png here");
}

void DemoOptions::add_to(CLI::App& app)
{
    output.add_to(app);
    add_run_options(app);
}

void DemoOptions::add_kiosk_to(CLI::App& app)
{
    output.add_to(app);
    seconds = 0;
    app.add_option("--restart", restart_name, "When the program ends: always, on-failure or never restart it")
        ->capture_default_str();
    app.add_option("--backoff", backoff_ms,
                   "First wait before a restart, in ms; doubles while the program keeps dying within 10 s "
                   "(up to 30 s)")
        ->capture_default_str();
    app.add_option("--socket", socket, "The clients' socket (default: $XDG_RUNTIME_DIR/udefio-0)");
    app.add_option("--lease-seconds", lease_seconds,
                   "Leases expire (are revoked) this long after they were made; 0 = never. SIGUSR1 revokes "
                   "every lease at once")
        ->capture_default_str();
    app.add_option("--client", clients,
                   "Also keep this shell command running as a protocol client (UDEFIO_SOCKET in its environment); "
                   "may be given more than once");
    add_run_options(app);
    app.add_option("program", program,
                   "-- PROGRAM ARGS...: the program to keep running (default: the built-in demo); it gets the "
                   "whole output pre-leased in UDEFIO_BUFFER_FD (with UDEFIO_WIDTH, UDEFIO_HEIGHT, UDEFIO_STRIDE, "
                   "UDEFIO_FORMAT) and the socket in UDEFIO_SOCKET");
}

Result<void> DemoOptions::finish_kiosk()
{
    auto policy = parse_restart_policy(restart_name);
    if (!policy)
        return policy.error();
    if (!(backoff_ms >= 1 && backoff_ms <= 60'000))
        return plain_error("--backoff " + std::to_string(backoff_ms) + " ms: must be between 1 ms and a minute");
    if (!(lease_seconds >= 0 && lease_seconds <= 86400 * 365))
        return plain_error("--lease-seconds " + std::to_string(lease_seconds) + ": must be between 0 and a year");
    restart.policy = *policy;
    restart.backoff = std::chrono::milliseconds(int64_t(backoff_ms));
    if (socket.empty()) {
        auto path = SocketListener::default_path();
        if (!path)
            return path.error();
        socket = *path;
    }
    return {};
}

void DemoOptions::add_profile_to(CLI::App& app)
{
    output.add_to(app);
    profile_dir = "udefio-profile";
    seconds = 0;
    app.add_option("--out", profile_dir, "Where the summary, trace.json, frames.csv/json and heatmap.png go")
        ->capture_default_str();
    app.add_option("--seconds", seconds,
                   "How long to run; 0 = until the program ends or SIGINT/SIGTERM (the demo: 5 s)");
    app.add_option("--png-dir", png_dir,
                   "Write what the output shows here as PNG at exit (frame-final.png); headless: also about one "
                   "snapshot per second");
    app.add_option("program", program,
                   "-- PROGRAM ARGS...: run this instead of the built-in demo; it gets the buffer in "
                   "UDEFIO_BUFFER_FD (with UDEFIO_WIDTH, UDEFIO_HEIGHT, UDEFIO_STRIDE, UDEFIO_FORMAT)");
}

namespace {

// The program's environment: where its buffer is and what it looks like.
ChildSpec program_spec(const std::vector<std::string>& program, const DeferredIoState& state, int buffer_fd)
{
    constexpr int kBufferFd = 3;
    const BufferLayout& layout = state.layout();
    return {program,
            {{"UDEFIO_BUFFER_FD", std::to_string(kBufferFd)},
             {"UDEFIO_WIDTH", std::to_string(layout.width)},
             {"UDEFIO_HEIGHT", std::to_string(layout.height)},
             {"UDEFIO_STRIDE", std::to_string(layout.stride)},
             {"UDEFIO_FORMAT", std::string(pixel_format_name(layout.format))}},
            {{buffer_fd, kBufferFd}}};
}

}  // namespace

int run_demo(const DemoOptions& options)
{
    auto validated = validate(options.output);
    if (!validated)
        return fail(validated.error());
    if (!(options.seconds >= 0 && options.seconds <= 86400 * 365))
        return fail(plain_error("--seconds " + std::to_string(options.seconds) + ": must be between 0 and a year"));
    if (!options.png_dir.empty() && ::mkdir(options.png_dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(errno_error("--png-dir: mkdir(" + options.png_dir + ")"));
    if (!options.png_dir.empty() && ::access(options.png_dir.c_str(), W_OK) != 0)
        return fail(errno_error("--png-dir " + options.png_dir + ": not writable"));
    DeferredIoOptions defio = validated->defio;
    if (!options.program.empty()) {
        // Our trackers see this process's writes; another process's show only
        // in the memory itself, so a program is tracked by shadow compare.
        if (defio.tracker && *defio.tracker != TrackerKind::shadow)
            return fail(plain_error("--tracker " + std::string(tracker_name(*defio.tracker)) +
                                    ": cannot see another process's writes; a program is tracked with shadow"));
        defio.tracker = TrackerKind::shadow;
    }

    auto loop = EventLoop::create();
    if (!loop)
        return fail(loop.error());
    std::unique_ptr<profile::ProfileRun> profiling;
    if (!options.profile_dir.empty()) {
        auto run = profile::ProfileRun::start(**loop, options.profile_dir);
        if (!run)
            return fail(run.error());
        profiling = std::move(run).value();
    }
    BackendOptions backend_options;
    backend_options.name = options.output.backend;
    backend_options.headless_mode = validated->mode;
    backend_options.png_dir = options.png_dir;
    backend_options.kms_device = options.output.device;
    backend_options.kms_mode = options.output.kms_mode;
    backend_options.kms_atomic = !options.output.no_atomic;
    backend_options.kms_allocator = validated->allocator;
    backend_options.fullscreen = options.output.fullscreen;
    auto backend = make_backend(**loop, backend_options);
    if (!backend)
        return fail(backend.error());
    auto outputs = (*backend)->outputs();
    if (outputs.empty())
        return fail(plain_error("backend " + std::string((*backend)->name()) + " has no output"));
    Output& output = *outputs.front();

    const OutputMode mode = output.mode();
    if (!options.output.delay_ms)
        defio.delay = mode.refresh_period();
    defio.poll_interval = mode.refresh_period();
    // A buffer for the output's size, recorded by the profiler if there is one.
    auto make_state = [&](const OutputMode& m) -> Result<std::shared_ptr<DeferredIoState>> {
        auto layout = BufferLayout::make(m.width, m.height, options.output.stride, validated->layout.format);
        if (!layout)
            return layout.error();
        auto made = DeferredIoState::create(*layout, defio);
        if (!made)
            return made.error();
        if (profiling)
            (*made)->set_recorder(profiling->recorder());
        return std::move(made).value();
    };
    auto first_state = make_state(mode);
    if (!first_state)
        return fail(first_state.error());
    std::shared_ptr<DeferredIoState> state = std::move(first_state).value();
    if (auto r = output.attach(state); !r)
        return fail(r.error());

    uint64_t presented = 0;
    const std::string client = options.program.empty() ? "the demo" : options.program.front();
    UDEFIO_LOG(info, "%s on %s output %s (%s), tracker %s, delay %.1f ms", client.c_str(), (*backend)->name().data(),
               output.name().c_str(), state->layout().describe().c_str(), tracker_name(state->tracker_kind()).data(),
               double(defio.delay.count()) / 1e6);

    auto stop_loop = [&] { (*loop)->stop(); };
    auto on_int = (*loop)->watch_signal(SIGINT, stop_loop);
    auto on_term = (*loop)->watch_signal(SIGTERM, stop_loop);
    auto deadline = (*loop)->make_timer(stop_loop);
    if (!on_int || !on_term || !deadline)
        return fail(plain_error("cannot set up signal handling in the event loop"));
    if (options.seconds > 0)
        deadline->arm(std::chrono::nanoseconds(int64_t(options.seconds * 1e9)));

    // Kiosk: clients of the protocol draw into leases of the output's frame.
    std::unique_ptr<LeaseTarget> lease_target;
    std::unique_ptr<Server> server;
    std::unique_ptr<SocketListener> listener;
    EventSource on_usr1;
    if (!options.socket.empty()) {
        lease_target = std::make_unique<LeaseTarget>(state);
        server = std::make_unique<Server>(**loop, *lease_target);
        server->set_lease_lifetime(std::chrono::milliseconds(int64_t(options.lease_seconds * 1000)));
        auto listening = SocketListener::listen(**loop, options.socket,
                                                [&](UniqueFd connection) { server->add_client(std::move(connection)); });
        if (!listening)
            return fail(listening.error());
        listener = std::move(listening).value();
        // SIGUSR1: revoke every client's lease (the administrator's "stop drawing").
        auto usr1 = (*loop)->watch_signal(SIGUSR1, [&] {
            UDEFIO_LOG(warn, "SIGUSR1: revoking every client's lease");
            server->revoke_all(wire::RevokeReason::compositor);
        });
        if (!usr1)
            return fail(usr1.error());
        on_usr1 = std::move(usr1).value();
        UDEFIO_LOG(info, "clients connect to %s", options.socket.c_str());
    }
    output.set_presented_callback([&](const Presentation& p) {
        ++presented;
        if (server)
            server->on_presented(p.sequence, p.timestamp);
    });

    std::optional<DemoThread> demo;
    std::unique_ptr<ProgramSupervisor> program;
    std::optional<ChildExit> program_exit;
    if (options.program.empty()) {
        demo.emplace(*state);
    } else {
        ChildSpec spec = program_spec(options.program, *state, state->buffer().fd());
        if (!options.socket.empty())
            spec.env.emplace_back("UDEFIO_SOCKET", options.socket);
        auto started = ProgramSupervisor::start(**loop, std::move(spec), options.restart, [&](const ChildExit& exit) {
            program_exit = exit;
            (*loop)->stop();
        });
        if (!started)
            return fail(started.error());
        program = std::move(started).value();
    }
    // Kiosk: more programs that share the output through leases of their own
    // (a status bar beside the main area); kept running like the main one,
    // but their end does not end the kiosk.
    std::vector<std::unique_ptr<ProgramSupervisor>> extra_clients;
    for (const std::string& command : options.clients) {
        ChildSpec spec{{"/bin/sh", "-c", command}, {{"UDEFIO_SOCKET", options.socket}}, {}};
        auto started = ProgramSupervisor::start(**loop, std::move(spec), options.restart, [command](const ChildExit&) {
            UDEFIO_LOG(info, "client '%s' ended for good", command.c_str());
        });
        if (!started)
            return fail(started.error());
        extra_clients.push_back(std::move(started).value());
    }
    FlushStats replaced{};  // of the buffers a resize replaced
    output.set_mode_changed_callback([&](const OutputMode& m) {
        if (!demo) {
            UDEFIO_LOG(info, "the output is now %ux%u; %s keeps its %s buffer", m.width, m.height, client.c_str(),
                       state->layout().describe().c_str());
            return;
        }
        auto next = make_state(m);
        if (!next) {
            UDEFIO_LOG(error, "the output is now %ux%u, but: %s; the demo keeps its buffer", m.width, m.height,
                       next.error().message().c_str());
            return;
        }
        demo.reset();  // it stops drawing before its buffer is revoked
        replaced += state->stats();
        output.detach();
        state = std::move(next).value();
        if (auto r = output.attach(state); !r) {
            UDEFIO_LOG(error, "%s", r.error().message().c_str());
            (*loop)->stop();
            return;
        }
        demo.emplace(*state);
        UDEFIO_LOG(info, "the demo now draws into %s", state->layout().describe().c_str());
    });
    bool output_gone = false;
    (*backend)->set_output_removed_callback([&](Output& gone) {
        UDEFIO_LOG(warn, "output %s went away (unplugged or disconnected); %s stops", gone.name().c_str(),
                   client.c_str());
        if (demo)
            demo->stop();  // before the buffer is revoked under it; a program gets SIGBUS
        if (server)
            server->revoke_all(wire::RevokeReason::output_gone);
        output_gone = true;
        (*loop)->stop();
    });
    if ((*loop)->run() != 0)
        return fail(plain_error("the event loop failed"));
    if (demo)
        demo->stop();
    for (auto& extra : extra_clients)
        extra->stop();
    if (program)
        program->stop();
    listener.reset();
    server.reset();  // revokes the clients' leases
    lease_target.reset();
    state->flush_now();

    FlushStats stats = replaced;
    stats += state->stats();
    const double full = double(state->layout().bytes());
    std::printf("%s: %llu flushes, %llu presented, %llu pages, %.1f MiB copied (%.1f%% of full-frame copies), "
                "%llu flush-worker wakeups, tracker %s\n",
                options.command.c_str(), (unsigned long long)stats.flushes, (unsigned long long)presented, (unsigned long long)stats.pages,
                double(stats.bytes_copied) / (1 << 20),
                stats.flushes ? 100.0 * double(stats.bytes_copied) / (full * double(stats.flushes)) : 0.0,
                (unsigned long long)stats.wakeups, tracker_name(state->tracker_kind()).data());
    if (profiling) {
        auto summary = profiling->finish(stats, state->layout().width, state->layout().height);
        if (!summary)
            return fail(summary.error());
        std::fputs(summary->c_str(), stdout);
    }
    if (!options.png_dir.empty() && !output_gone) {
        const std::string last = options.png_dir + "/frame-final.png";
        if (auto r = output.snapshot_png(last); !r)
            return fail(r.error());
        std::printf("%s: PNG frames in %s/ (the last one: %s)\n", options.command.c_str(), options.png_dir.c_str(),
                    last.c_str());
    }
    if (program_exit && !program_exit->success())
        return fail(plain_error(client + " " + program_exit->describe()));
    // It did not run its course: a script must be able to tell.
    if (output_gone)
        return fail(plain_error(client + " stopped early: its output went away"));
    return 0;
}

}  // namespace udefio::cli
