#include "compositor/session.hpp"

#include <csignal>

#include "util/clock.hpp"
#include "util/log.hpp"

namespace udefio {
namespace {

// The profile's names of the outputs' gaps (FrameRecorder::gap_began).
constexpr const char* kSeatGap = "seat switched away";
constexpr const char* kBlankedGap = "blanked (idle)";

}  // namespace

Result<std::unique_ptr<Session>> Session::start(EventLoop& loop, SessionConfig config,
                                                std::unique_ptr<MainClient> main)
{
    // A display to wait for (--wait-device) first: until there is one, a
    // signal ends udefio at once, with nothing to clean up.
    if (auto waited = wait_for_display_if_asked(config.backend); !waited)
        return waited.error();
    config.backend.kms.wait_device = {};
    // From here on SIGINT and SIGTERM stop udefio cleanly, however early they
    // come (the loop delivers them; one before the session exists is kept).
    struct StopRequest {
        Session* session = nullptr;
        bool early = false;
    };
    auto stop_request = std::make_shared<StopRequest>();
    std::vector<EventSource> signals;
    for (int signo : {SIGINT, SIGTERM}) {
        auto watch = loop.watch_signal(signo, [stop_request] {
            if (stop_request->session)
                stop_request->session->stop();
            else
                stop_request->early = true;
        });
        if (!watch)
            return watch.error();
        signals.push_back(std::move(watch).value());
    }
    // The socket next: a second udefio on it fails before it takes a display.
    std::unique_ptr<Server> server;
    std::unique_ptr<SocketListener> listener;
    if (!config.socket.empty()) {
        server = std::make_unique<Server>(loop);
        server->set_lease_lifetime(config.lease_lifetime);
        server->set_limits(config.limits);
        auto listening = SocketListener::listen(
            loop, config.socket, [s = server.get()](UniqueFd client) { s->add_client(std::move(client)); },
            config.socket_access);
        if (!listening)
            return listening.error();
        listener = std::move(listening).value();
    }
    // One seat for the KMS backend and the input layer.
    std::unique_ptr<SeatSession> seat;
    if (may_use_kms(config.backend)) {
        if (auto opened = SeatSession::open(loop))
            seat = std::move(opened).value();
        else
            UDEFIO_LOG(info, "no seat: %s; devices are opened directly", opened.error().message().c_str());
        config.backend.seat = seat.get();
    }
    auto backend = make_backend(loop, config.backend);
    if (!backend)
        return backend.error();
    const bool kms = (*backend)->name() == "kms";
    auto session = std::make_unique<Session>(loop, std::move(config), std::move(backend).value(), std::move(main));
    if (kms && seat) {
        session->seat_ = std::move(seat);
        session->seat_->add_listener(*session);
    }
    if (kms) {
        // Input runs while there is a seat; without one, libinput opens the devices itself.
        auto input = SeatInput::create(loop, session->seat_.get(), session->config_.input, *session);
        if (input)
            session->input_ = std::move(input).value();
        else
            UDEFIO_LOG(warn, "no input: %s", input.error().message().c_str());
    }
    stop_request->session = session.get();
    session->signals_ = std::move(signals);
    session->server_ = std::move(server);
    session->listener_ = std::move(listener);
    if (session->server_)
        session->server_->set_focus_policy(session->config_.focus_requests,
                                           [main = session->main_.get()] { return main->process_group(); });
    if (auto r = session->set_up(); !r)
        return r.error();
    if (stop_request->early)
        session->stop();  // run() then only cleans up
    return session;
}

Session::Session(EventLoop& loop, SessionConfig config, std::unique_ptr<Backend> backend,
                 std::unique_ptr<MainClient> main)
    : loop_(loop), config_(std::move(config)), backend_(std::move(backend)), main_(std::move(main))
{
}

Session::~Session()
{
    if (seat_)
        seat_->remove_listener(*this);
    input_.reset();
    signals_.clear();
    clients_.clear();
    listener_.reset();
    server_.reset();  // revokes every lease
    detach_main();
    while (!bindings_.empty())
        unbind(bindings_.begin());
}

Result<void> Session::set_up()
{
    const std::vector<Output*> outputs = backend_->outputs();
    if (outputs.empty())
        return plain_error("backend " + std::string(backend_->name()) + " has no output");
    if (!config_.main_output.empty()) {
        std::string names;
        bool found = false;
        for (const Output* o : outputs) {
            names += (names.empty() ? "" : ", ") + o->name();
            found |= o->name() == config_.main_output;
        }
        if (!found)
            return plain_error("--output " + config_.main_output + ": no such output (there are: " + names + ")");
    }
    if (server_) {
        // The administrator's "stop drawing".
        auto usr1 = loop_.watch_signal(SIGUSR1, [this] { on_revoke_request(); });
        if (!usr1)
            return usr1.error();
        signals_.push_back(std::move(usr1).value());
    }
    main_->set_ended_callback([this](const ChildExit& exit) { on_main_ended(exit); });
    backend_->set_output_added_callback([this](Output& o) { on_output_added(o); });
    backend_->set_output_removed_callback([this](Output& o) { on_output_removed(o); });
    backend_->set_gone_callback([this](const std::string& why) { on_backend_gone(why); });
    for (Output* o : outputs)
        on_output_added(*o);
    if (!main_binding_)
        return plain_error(main_->name() + " could not start on any output (see above)");
    if (config_.blank_after.count() > 0) {
        auto timer = loop_.make_timer([this] { on_blank_timer(); });
        if (!timer)
            return timer.error();
        blank_timer_ = std::move(timer).value();
        note_activity();
        blank_timer_.arm(config_.blank_after);
    }
    if (listener_)
        UDEFIO_LOG(info, "clients connect to %s", listener_->path().c_str());
    for (size_t i = 0; config_.fbdev_clients && i < config_.clients.size(); ++i) {
        const std::string& command = config_.clients[i];
        const LeasePlace rows = i < config_.client_rows.size() ? config_.client_rows[i] : LeasePlace{};
        auto& client = fbdev_clients_.emplace_back(std::make_unique<FbdevClient>(
            loop_, std::vector<std::string>{"/bin/sh", "-c", command}, config_.socket, config_.restart,
            fbdev::FbdevOptions{}, rows));
        client->set_ended_callback(
            [command](const ChildExit&) { UDEFIO_LOG(info, "client '%s' ended for good", command.c_str()); });
        attach_fbdev_client(*client);
    }
    for (size_t i = 0; !config_.fbdev_clients && i < config_.clients.size(); ++i) {
        const std::string& command = config_.clients[i];
        ChildSpec spec{{"/bin/sh", "-c", command}, {{"UDEFIO_SOCKET", config_.socket}}, {}};
        auto started = ProgramSupervisor::start(loop_, std::move(spec), config_.restart, [command](const ChildExit&) {
            UDEFIO_LOG(info, "client '%s' ended for good", command.c_str());
        });
        if (!started)
            return started.error();
        clients_.push_back(std::move(started).value());
    }
    return {};
}

Result<void> Session::run()
{
    if (!outcome_ && loop_.run() != 0)
        outcome_ = plain_error("the event loop failed");
    // What runs stops before the frames are read a last time.
    clients_.clear();
    detach_main();
    listener_.reset();
    server_.reset();  // revokes the clients' leases; what they committed stays on screen
    flush_all();
    return outcome_.value_or(Result<void>());
}

void Session::stop() { end({}); }

void Session::end(Result<void> outcome)
{
    if (outcome_)
        return;
    outcome_ = std::move(outcome);
    loop_.stop();
}

void Session::flush_all()
{
    for (auto& [id, binding] : bindings_)
        binding->state().flush_now();
}

OutputBinding* Session::binding(const std::string& output_name) const
{
    for (const auto& [id, binding] : bindings_)
        if (binding->name() == output_name)
            return binding.get();
    return nullptr;
}

FlushStats Session::stats() const
{
    FlushStats stats = finished_stats_;
    for (const auto& [id, binding] : bindings_)
        stats += binding->stats();
    return stats;
}

bool Session::main_may_use(const Output& output) const
{
    return config_.main_output.empty() || output.name() == config_.main_output;
}

Result<OutputBinding*> Session::bind(Output& output, uint32_t id, bool for_main)
{
    // The main client's frame is tracked as it needs; nothing else writes to
    // the other frames but the server's commits, which say what they changed.
    BindingOptions options = config_.binding;
    if (for_main) {
        if (auto kind = main_->tracker())
            options.defio.tracker = *kind;
    } else {
        options.defio.tracker = TrackerKind::explicit_damage;
        options.recorder.reset();  // the profile is the main output's
    }
    auto made = OutputBinding::create(output, id, options);
    if (!made)
        return made.error();
    OutputBinding* binding = made->get();
    bindings_[id] = std::move(made).value();
    output.set_presented_callback([this, id](const Presentation& p) {
        if (auto it = bindings_.find(id); it != bindings_.end())
            on_presented(*it->second, p);
    });
    output.set_mode_changed_callback([this, &output](const OutputMode&) { on_mode_changed(output); });
    return binding;
}

void Session::unbind(std::map<uint32_t, std::unique_ptr<OutputBinding>>::iterator it)
{
    finished_stats_ += it->second->stats();
    if (last_main_binding_ == it->second.get())
        last_main_binding_ = nullptr;
    bindings_.erase(it);
}

void Session::attach_main(OutputBinding& binding)
{
    if (auto r = main_->attach(binding); !r) {
        UDEFIO_LOG(error, "%s on %s: %s", main_->name().c_str(), binding.name().c_str(), r.error().message().c_str());
        return;
    }
    main_binding_ = last_main_binding_ = &binding;
    main_tracker_ = binding.state().tracker_kind();
    if (input_)
        input_->set_geometry(binding.output().geometry());  // again after every mode change
    cursor_.attach(binding);
    for (auto& client : fbdev_clients_)
        attach_fbdev_client(*client);
    if (server_)
        server_->set_default_output(binding.id());
    const OutputMode mode = binding.output().mode();
    UDEFIO_LOG(info, "%s on %s output %s (%s, %.2f Hz), tracker %s", main_->name().c_str(), backend_->name().data(),
               binding.name().c_str(), binding.state().layout().describe().c_str(), double(mode.refresh_mhz) / 1000,
               tracker_name(main_tracker_).data());
}

void Session::attach_fbdev_client(FbdevClient& client)
{
    if (!main_binding_)
        return;  // it starts with the main client
    if (auto r = client.attach(*main_binding_); !r)
        UDEFIO_LOG(error, "client %s on %s: %s", client.name().c_str(), main_binding_->name().c_str(),
                   r.error().message().c_str());
}

void Session::detach_main()
{
    if (!main_binding_)
        return;
    for (auto& client : fbdev_clients_)
        client->detach();
    main_->detach();
    cursor_.detach();
    main_binding_ = nullptr;
    if (server_)
        server_->set_default_output(0);
}

void Session::on_output_added(Output& output)
{
    auto [it, fresh] = ids_.emplace(&output, next_id_);
    if (fresh)
        ++next_id_;
    const bool for_main = !main_binding_ && main_may_use(output);
    auto binding = bind(output, it->second, for_main);
    if (!binding) {
        UDEFIO_LOG(error, "output %s cannot be used: %s", output.name().c_str(), binding.error().message().c_str());
        return;
    }
    const OutputMode mode = output.mode();
    UDEFIO_LOG(info, "output %s: %ux%u at %.2f Hz", output.name().c_str(), mode.width, mode.height,
               double(mode.refresh_mhz) / 1000);
    if (server_)
        server_->add_output((*binding)->served());
    if (for_main)
        attach_main(**binding);
}

void Session::on_output_removed(Output& output)
{
    auto id = ids_.find(&output);
    if (id == ids_.end())
        return;
    auto it = bindings_.find(id->second);
    ids_.erase(id);
    if (it == bindings_.end())
        return;
    const bool was_main = it->second.get() == main_binding_;
    if (was_main)
        detach_main();  // before its frame is revoked under it; a program gets SIGBUS
    if (server_)
        server_->remove_output(it->first);
    UDEFIO_LOG(warn, "output %s went away: its leases are revoked%s", output.name().c_str(),
               was_main ? ("; " + main_->name() + " stops until an output " +
                           (config_.main_output.empty() ? "appears" : config_.main_output + " is back"))
                              .c_str()
                        : "");
    unbind(it);
}

void Session::on_mode_changed(Output& output)
{
    auto id = ids_.find(&output);
    if (id == ids_.end())
        return;
    auto old = bindings_.find(id->second);
    if (old == bindings_.end())
        return;
    const bool was_main = old->second.get() == main_binding_;
    if (was_main)
        detach_main();
    // The frame cannot change size (its memfd is sealed against growing and
    // clients map it): a new binding of the new mode replaces the old one.
    old->second->detach_output();
    std::unique_ptr<OutputBinding> previous = std::move(old->second);
    bindings_.erase(old);
    auto binding = bind(output, id->second, was_main);
    finished_stats_ += previous->stats();
    if (last_main_binding_ == previous.get())
        last_main_binding_ = nullptr;
    if (!binding) {
        if (server_)
            server_->remove_output(id->second);
        UDEFIO_LOG(error, "output %s changed its mode, but: %s", output.name().c_str(),
                   binding.error().message().c_str());
        return;
    }
    if (server_)
        server_->replace_output((*binding)->served());  // revokes the leases on the old frame
    previous.reset();
    const OutputMode mode = output.mode();
    UDEFIO_LOG(info, "output %s is now %ux%u: a new frame of that size%s", output.name().c_str(), mode.width,
               mode.height, was_main ? (", " + main_->name() + " starts again on it").c_str() : "");
    if (was_main)
        attach_main(**binding);
}

void Session::on_presented(OutputBinding& binding, const Presentation& presentation)
{
    if (binding.note_presented())
        UDEFIO_LOG(info, "output %s: first frame presented", binding.name().c_str());
    ++presented_;
    if (config_.blank_after.count() > 0)
        wake("drawing");
    if (server_)
        server_->on_presented(binding.id(), presentation.sequence, presentation.timestamp);
}

void Session::note_activity() { last_activity_ = monotonic_now(); }

void Session::on_blank_timer()
{
    const auto idle = monotonic_now() - last_activity_;
    if (idle < config_.blank_after) {
        blank_timer_.arm(config_.blank_after - idle);
        return;
    }
    blanked_ = true;
    gap_began(kBlankedGap);
    for (auto& [id, binding] : bindings_)
        binding->state().poll_slowly(true);  // a store still wakes them, within a second
    for (Output* o : backend_->outputs()) {
        if (auto r = o->set_blanked(true); !r)
            UDEFIO_LOG(warn, "output %s stays on: %s", o->name().c_str(), r.error().message().c_str());
        else
            UDEFIO_LOG(info, "output %s switched off: no input and no drawing for %.1f s", o->name().c_str(),
                       double(config_.blank_after.count()) / 1000);
    }
}

void Session::wake(const char* why)
{
    note_activity();
    if (!blanked_)
        return;
    blanked_ = false;
    gap_ended(kBlankedGap);
    for (auto& [id, binding] : bindings_)
        binding->state().poll_slowly(false);
    // The output that was drawn on switched itself on in its flush; the others follow.
    for (Output* o : backend_->outputs()) {
        if (auto r = o->set_blanked(false); !r)
            UDEFIO_LOG(warn, "output %s: switching on: %s", o->name().c_str(), r.error().message().c_str());
        else if (o->blanked())
            UDEFIO_LOG(info, "output %s stays off: its program switched it off (FBIOBLANK)", o->name().c_str());
        else
            UDEFIO_LOG(info, "output %s switched on: %s", o->name().c_str(), why);
    }
    blank_timer_.arm(config_.blank_after);
}

void Session::on_seat_disabled()
{
    gap_began(kSeatGap);
    main_->on_seat_disabled();
}

void Session::on_seat_enabled()
{
    gap_ended(kSeatGap);
    main_->on_seat_enabled();
}

void Session::gap_began(const char* why)
{
    if (config_.binding.recorder)
        config_.binding.recorder->gap_began(why, monotonic_now());
}

void Session::gap_ended(const char* why)
{
    if (config_.binding.recorder)
        config_.binding.recorder->gap_ended(why, monotonic_now());
}

void Session::on_input(const InputEvent& event)
{
    on_input_activity();
    cursor_.on_input(event);
    if (!server_ || !server_->deliver_input(event))
        main_->on_input(event);
}

void Session::on_input_activity()
{
    if (config_.blank_after.count() > 0)
        wake("input");
}

void Session::on_main_ended(const ChildExit& exit)
{
    if (exit.success())
        end({});
    else
        end(plain_error(main_->name() + " " + exit.describe()));
}

void Session::on_backend_gone(const std::string& why)
{
    end(plain_error(main_->name() + " stopped: the " + std::string(backend_->name()) + " backend is gone: " + why));
}

void Session::on_revoke_request()
{
    UDEFIO_LOG(warn, "SIGUSR1: revoking every client's lease");
    server_->revoke_all(wire::RevokeReason::compositor);
}

}  // namespace udefio
