#include "compositor/server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "compositor/input_wire.hpp"
#include "util/choice.hpp"
#include "util/log.hpp"
#include "util/scm_rights.hpp"

namespace udefio {

using wire::ErrorCode;
using wire::RevokeReason;

namespace {

constexpr auto kRefusalLogEvery = std::chrono::seconds(10);

}  // namespace

Result<FocusRequests> parse_focus_requests(const std::string& name)
{
    return parse_choice<FocusRequests>(
        "--focus-requests", name,
        {{"any", FocusRequests::any}, {"main", FocusRequests::main_program}, {"none", FocusRequests::none}});
}

Server::Server(EventLoop& loop) : loop_(loop) {}

void Server::set_limits(const ServerLimits& limits)
{
    limits_ = limits;
    shadows_.set_limit(limits.shadow_bytes);
}

Server::~Server()
{
    revoke_all(RevokeReason::compositor);
}

void Server::add_client(UniqueFd socket)
{
    if (clients_.size() >= limits_.max_clients)
        return refuse_client(std::move(socket));
    auto connection = ClientConnection::start(loop_, std::move(socket), *this);
    if (!connection) {
        UDEFIO_LOG(warn, "a new client: %s", connection.error().message().c_str());
        return;
    }
    const uint32_t id = (*connection)->id();
    UDEFIO_LOG(info, "client %u (pid %d) connected", id, int((*connection)->pid()));
    clients_[id].connection = std::move(connection).value();
}

// Told why, never served; logged at most every 10 s, a flood of them included.
void Server::refuse_client(UniqueFd socket)
{
    const std::string why = "udefio serves at most " + std::to_string(limits_.max_clients) +
                            " clients (--max-clients); try again later";
    const auto error = wire::encode(wire::Event(wire::make_error(ErrorCode::no_memory, why)));
    (void)send_with_fd(socket.get(), error, -1, MSG_DONTWAIT);
    // What it sent already (its hello) is read and dropped: closing a unix
    // socket with unread data resets the peer, whose next read then fails
    // with ECONNRESET instead of returning the error above.
    std::byte unread[64];
    for (int i = 0; i < 16 && ::recv(socket.get(), unread, sizeof unread, MSG_DONTWAIT) > 0; ++i) {
    }
    ++refused_;
    const auto now = std::chrono::steady_clock::now();
    if (now - refusal_logged_ >= kRefusalLogEvery) {
        UDEFIO_LOG(warn, "%llu client(s) refused since the last such line: %zu are connected, the most "
                   "--max-clients allows",
                   static_cast<unsigned long long>(refused_), clients_.size());
        refused_ = 0;
        refusal_logged_ = now;
    }
}

void Server::on_gone(ClientConnection& connection, const std::string& why)
{
    auto it = clients_.find(connection.id());
    if (it == clients_.end())
        return;
    const uint32_t id = connection.id();  // `connection` goes with its entry
    UDEFIO_LOG(info, "client %u (pid %d) gone: %s", id, int(connection.pid()), why.c_str());
    revoke_leases(it->second, [](const ClientLease&) { return true; }, RevokeReason::client_gone);
    clients_.erase(it);
    drop_focus(id, std::nullopt, "its client is gone");
}

const ServedOutput* Server::output(uint32_t id) const
{
    auto it = outputs_.find(id);
    return it == outputs_.end() ? nullptr : &it->second;
}

void Server::add_output(const ServedOutput& o)
{
    outputs_[o.id] = o;
    if (!default_output_)
        default_output_ = o.id;
    for (auto& [id, c] : clients_) {
        if (c.version >= wire::OutputInfo::since)
            send_output_info(c, o);
        for (auto& [surface_id, s] : c.surfaces) {
            if (!s.output && o.id == default_output_) {
                s.output = o.id;
                configure(c, surface_id);
            }
        }
    }
}

void Server::replace_output(const ServedOutput& o)
{
    outputs_[o.id] = o;
    for (auto& [id, c] : clients_) {
        // A version-1 client does not know output_changed: its lease went away with the old frame.
        const RevokeReason reason =
            c.version >= wire::OutputInfo::since ? RevokeReason::output_changed : RevokeReason::output_gone;
        revoke_leases(c, [&](const ClientLease& e) { return e.output == o.id; }, reason);
        if (c.version >= wire::OutputInfo::since)
            send_output_info(c, o);
        for (auto& [surface_id, s] : c.surfaces) {
            if (s.output == o.id)
                configure(c, surface_id);
        }
    }
}

void Server::remove_output(uint32_t gone)
{
    if (!outputs_.erase(gone))
        return;
    if (default_output_ == gone)
        default_output_ = 0;
    for (auto& [id, c] : clients_) {
        revoke_leases(c, [&](const ClientLease& e) { return e.output == gone; }, RevokeReason::output_gone);
        if (c.version >= wire::OutputRemoved::since)
            c.connection->send(wire::OutputRemoved{gone});
        for (auto& [surface_id, s] : c.surfaces) {
            if (s.output != gone)
                continue;
            s.output = default_output_;
            s.damage.clear();
            s.shown_serial.reset();
            if (s.output)
                configure(c, surface_id);
        }
    }
}

void Server::set_default_output(uint32_t id)
{
    default_output_ = output(id) ? id : 0;
    if (!default_output_)
        return;
    for (auto& [client_id, c] : clients_) {
        for (auto& [surface_id, s] : c.surfaces) {
            if (!s.output) {
                s.output = default_output_;
                configure(c, surface_id);
            }
        }
    }
}

void Server::on_request(ClientConnection& connection, const wire::Request& request, UniqueFd fd)
{
    Client& c = clients_.at(connection.id());
    if (!c.version && !std::holds_alternative<wire::Hello>(request))
        return connection.fail(ErrorCode::bad_message, "the first message must be hello");
    if (c.version && wire::since_of(request) > c.version)
        return connection.fail(ErrorCode::bad_message,
                               std::string(wire::opcode_name(std::visit([](const auto& m) { return m.opcode; },
                                                                        request))) +
                                   " needs protocol version " + std::to_string(wire::since_of(request)) +
                                   "; this connection speaks " + std::to_string(c.version));
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, wire::AttachFence>)
                handle(c, m, std::move(fd));
            else
                handle(c, m);
        },
        request);
}

void Server::handle(Client& c, const wire::Hello& m)
{
    if (c.version)
        return c.connection->fail(ErrorCode::bad_message, "hello twice");
    if (m.version < wire::kMinVersion || m.version > wire::kVersion)
        return c.connection->fail(ErrorCode::bad_message, "protocol version " + std::to_string(m.version) +
                                                              " (this udefio speaks " +
                                                              std::to_string(wire::kMinVersion) + " to " +
                                                              std::to_string(wire::kVersion) + ")");
    c.version = m.version;
    // The outputs come first: a client knows them all once it has the welcome.
    if (c.version >= wire::OutputInfo::since) {
        for (const auto& [id, o] : outputs_)
            send_output_info(c, o);
    }
    c.connection->send(wire::Welcome{c.version});
}

void Server::send_output_info(Client& c, const ServedOutput& o)
{
    const BufferLayout& frame = o.target->state().layout();
    c.connection->send(wire::make_output_info(o.id, o.name, frame.width, frame.height, frame.stride, o.refresh_mhz));
}

void Server::handle(Client& c, const wire::CreateSurface& m) { create_surface(c, m.surface, default_output_); }

void Server::handle(Client& c, const wire::CreateSurfaceOn& m)
{
    if (m.output && !output(m.output))
        return c.connection->fail(ErrorCode::bad_object, "no output " + std::to_string(m.output));
    create_surface(c, m.surface, m.output ? m.output : default_output_);
}

void Server::create_surface(Client& c, uint32_t surface_id, uint32_t on)
{
    if (c.surfaces.count(surface_id))
        return c.connection->fail(ErrorCode::bad_object, "surface " + std::to_string(surface_id) + " exists");
    if (c.surfaces.size() >= kMaxSurfaces)
        return c.connection->fail(ErrorCode::no_memory, "more than " + std::to_string(kMaxSurfaces) + " surfaces");
    c.surfaces[surface_id].output = on;
    if (on)
        configure(c, surface_id);  // else when an output appears
    if (!focus_ && c.version >= wire::Focus::since && is_main_program(c))
        give_focus(c, surface_id, "the main program's first surface");
}

bool Server::is_main_program(const Client& c) const
{
    const pid_t group = main_group_ ? main_group_() : 0;
    // The pid's group is read, then the pidfd says the pid still named the client's process.
    return group > 0 && ::getpgid(c.connection->pid()) == group && c.connection->peer().alive();
}

void Server::set_focus_policy(FocusRequests requests, std::function<pid_t()> main_group)
{
    focus_requests_ = requests;
    main_group_ = std::move(main_group);
}

void Server::handle(Client& c, const wire::RequestFocus& m)
{
    if (!surface(c, m.surface))
        return;
    if (focus_ && focus_->client == c.connection->id() && focus_->surface == m.surface)
        return c.connection->send(wire::Focus{m.surface, 1});
    const bool granted = focus_requests_ == FocusRequests::any ||
                         (focus_requests_ == FocusRequests::main_program && is_main_program(c));
    if (!granted) {
        UDEFIO_LOG(info, "client %u (pid %d) asked for the input focus: refused (--focus-requests %s)",
                   c.connection->id(), int(c.connection->pid()),
                   focus_requests_ == FocusRequests::none ? "none" : "main");
        return c.connection->send(wire::Focus{m.surface, 0});
    }
    give_focus(c, m.surface, "it asked");
}

void Server::give_focus(Client& c, uint32_t surface_id, const char* why)
{
    if (focus_) {
        auto old = clients_.find(focus_->client);
        if (old != clients_.end())
            old->second.connection->send(wire::Focus{focus_->surface, 0});
    }
    focus_ = FocusHolder{c.connection->id(), surface_id};
    UDEFIO_LOG(info, "input focus: client %u (pid %d) surface %u (%s)", c.connection->id(),
               int(c.connection->pid()), surface_id, why);
    c.connection->send(wire::Focus{surface_id, 1});
}

void Server::drop_focus(uint32_t client, std::optional<uint32_t> surface_id, const char* why)
{
    if (!focus_ || focus_->client != client || (surface_id && focus_->surface != *surface_id))
        return;
    UDEFIO_LOG(info, "input focus: back to the main client (client %u's surface %u had it: %s)", client,
               focus_->surface, why);
    focus_.reset();
}

std::optional<std::pair<uint32_t, uint32_t>> Server::focus() const
{
    if (!focus_)
        return std::nullopt;
    return std::pair(focus_->client, focus_->surface);
}

bool Server::deliver_input(const InputEvent& event)
{
    if (!focus_)
        return false;
    if (auto message = input_to_wire(event, focus_->surface))
        clients_.at(focus_->client).connection->send(*message);
    return true;
}

void Server::configure(Client& c, uint32_t surface_id)
{
    const Surface& s = c.surfaces.at(surface_id);
    const BufferLayout& frame = output(s.output)->target->state().layout();
    if (c.version >= wire::SurfaceOutput::since)
        c.connection->send(wire::SurfaceOutput{surface_id, s.output});
    c.connection->send(wire::Configure{surface_id, frame.width, frame.height, frame.stride, wire::kFormatXrgb8888});
}

Server::Surface* Server::surface(Client& c, uint32_t id)
{
    auto it = c.surfaces.find(id);
    if (it != c.surfaces.end())
        return &it->second;
    c.connection->fail(ErrorCode::bad_object, "no surface " + std::to_string(id));
    return nullptr;
}

void Server::handle(Client& c, const wire::LeaseBuffer& m)
{
    Surface* s = surface(c, m.surface);
    if (!s)
        return;
    // Expired leases' ids are free again (and they no longer count).
    std::erase_if(c.leases, [](const auto& entry) { return entry.second.lease->revoked(); });
    if (c.leases.count(m.lease))
        return c.connection->fail(ErrorCode::bad_object, "lease " + std::to_string(m.lease) + " exists");
    if (c.leases.size() >= kMaxLeases)
        return c.connection->fail(ErrorCode::no_memory, "more than " + std::to_string(kMaxLeases) + " leases");
    const ServedOutput* on = output(s->output);
    if (!on) {
        // Its output went away while this was on its way: no lease, and it is told so.
        c.connection->send(wire::Revoked{m.lease, uint32_t(RevokeReason::output_gone)});
        return;
    }
    const BufferLayout& frame = on->target->state().layout();
    const uint64_t end = m.length ? m.offset + m.length : uint64_t(frame.stride) * frame.height;
    if (m.offset % frame.stride || end % frame.stride || end > uint64_t(frame.stride) * frame.height ||
        end <= m.offset)
        return c.connection->fail(ErrorCode::bad_object,
                                  "lease " + std::to_string(m.offset) + "+" + std::to_string(m.length) +
                                      ": not whole rows of the " + std::to_string(frame.stride) + "-byte stride "
                                      "inside the frame");
    const LeasePlace place{uint32_t(m.offset / frame.stride), uint32_t((end - m.offset) / frame.stride)};
    auto lease = Lease::create(*on->target, place);
    if (!lease)
        return c.connection->fail(ErrorCode::no_memory, lease.error().message());
    const int fd = (*lease)->buffer().fd();
    if (auto sent = c.connection->send(wire::Leased{m.surface, m.lease, m.offset, end - m.offset, frame.stride, 0},
                                       fd);
        !sent)
        return c.connection->fail(ErrorCode::no_memory,
                                  "lease " + std::to_string(m.lease) + " not made: " + sent.error().message());
    const uint64_t generation = next_generation_++;
    ClientLease& entry = c.leases[m.lease];
    entry = {m.surface, s->output, generation, std::move(lease).value(), EventSource(), std::nullopt, std::nullopt};
    if (lease_lifetime_.count() > 0) {
        auto timer = loop_.make_timer(
            [this, client = c.connection->id(), id = m.lease, generation] { expire(client, id, generation); });
        if (timer) {
            entry.expiry = std::move(timer).value();
            entry.expiry.arm(lease_lifetime_);
        }
    }
}

void Server::handle(Client& c, const wire::DamageRect& m)
{
    if (Surface* s = surface(c, m.surface)) {
        s->damage.add({m.x, m.y, m.width, m.height});
        s->damage.collapse_past();  // a few rectangles, however many come
    }
}

void Server::handle(Client& c, const wire::Commit& m)
{
    Surface* s = surface(c, m.surface);
    if (!s)
        return;
    if (s->waiting.size() >= kMaxWaitingCommits)
        return c.connection->fail(ErrorCode::no_memory, "more than " + std::to_string(kMaxWaitingCommits) +
                                                             " commits of surface " + std::to_string(m.surface) +
                                                             " wait for their fences");
    s->waiting.push_back({m.serial, std::exchange(s->damage, Damage()), std::exchange(s->fence, nullptr)});
    if (s->waiting.size() == 1)
        advance_commits(c, m.surface);
}

void Server::advance_commits(Client& c, uint32_t surface_id)
{
    Surface& s = c.surfaces.at(surface_id);
    while (!s.waiting.empty()) {
        WaitingCommit& first = s.waiting.front();
        if (first.fence && !first.fence->check_sync_file()) {
            // Waited for in the loop (never a blocking wait); then the next
            // ones, from a posted call (not from inside this wait's own callback).
            auto wait = FenceWait::start(
                loop_, first.fence,
                [this, client_id = c.connection->id(), surface_id](std::chrono::nanoseconds) {
                    loop_.post(self_.bind([client_id, surface_id](Server& server) {
                        auto it = server.clients_.find(client_id);
                        if (it == server.clients_.end())
                            return;
                        auto waiting = it->second.surfaces.find(surface_id);
                        if (waiting == it->second.surfaces.end() || waiting->second.waiting.empty())
                            return;
                        waiting->second.waiting.front().fence.reset();
                        server.advance_commits(it->second, surface_id);
                    }));
                });
            if (!wait)
                return c.connection->fail(ErrorCode::bad_fd, wait.error().message());
            s.fence_wait = std::move(wait).value();
            return;
        }
        start_copy(c, surface_id, first.serial, std::move(first.damage));
        s.waiting.pop_front();
    }
}

void Server::start_copy(Client& c, uint32_t surface_id, uint32_t serial, Damage damage)
{
    Surface& s = c.surfaces.at(surface_id);
    std::vector<CommitCopy::LeaseRef> leases;
    for (const auto& [id, entry] : c.leases) {
        if (entry.surface == surface_id && entry.output == s.output && !entry.lease->revoked())
            leases.push_back({id, entry.generation});
    }
    c.copies.emplace_back(surface_id, s.output, serial, std::move(damage), std::move(leases));
    c.connection->pause();
    if (c.copies.size() == 1)
        copying_.push_back(c.connection->id());
    if (!copies_posted_) {
        copies_posted_ = true;
        loop_.post(self_.bind([](Server& server) { server.run_copies(); }));
    }
}

void Server::run_copies()
{
    copies_posted_ = false;
    size_t budget = kCopyBudget;
    while (budget > 0 && !copying_.empty()) {
        const uint32_t id = copying_.front();
        copying_.pop_front();
        auto it = clients_.find(id);
        if (it == clients_.end() || it->second.copies.empty())
            continue;
        Client& c = it->second;
        CommitCopy& copy = c.copies.front();
        const CommitCopy::Progress progress = copy.step(c.leases, shadows_, budget);
        budget -= std::min(budget, progress.bytes);
        if (progress.fault) {
            c.copies.clear();
            c.connection->fail(progress.fault->code, progress.fault->why);
            continue;
        }
        if (progress.done) {
            // Presented with its output's next frame, if the surface is still there.
            auto s = c.surfaces.find(copy.surface());
            if (s != c.surfaces.end() && s->second.output == copy.output())
                s->second.shown_serial = copy.serial();
            c.copies.pop_front();
        }
        if (c.copies.empty())
            c.connection->resume();
        else
            copying_.push_back(id);
    }
    if (!copying_.empty() && !copies_posted_) {
        copies_posted_ = true;
        loop_.post(self_.bind([](Server& server) { server.run_copies(); }));
    }
}

void Server::handle(Client& c, const wire::AttachFence& m, UniqueFd fd)
{
    Surface* s = surface(c, m.surface);
    if (!s)
        return;
    auto fence = Fence::adopt_sync_file(std::move(fd));
    if (!fence)
        return c.connection->fail(ErrorCode::bad_fd, "attach_fence: " + fence.error().message());
    s->fence = std::move(fence).value();
}

void Server::handle(Client& c, const wire::DestroySurface& m)
{
    if (!surface(c, m.surface))
        return;
    revoke_leases(c, [&](const ClientLease& e) { return e.surface == m.surface; }, RevokeReason::compositor);
    c.surfaces.erase(m.surface);
    drop_focus(c.connection->id(), m.surface, "the surface was destroyed");
}

void Server::handle(Client& c, const wire::ReleaseLease& m)
{
    // A lease revoked meanwhile is gone already: releasing it is not an error.
    auto it = c.leases.find(m.lease);
    if (it == c.leases.end())
        return;
    it->second.lease->revoke();
    c.leases.erase(it);
}

void Server::handle(Client& c, const wire::TrackLease& m)
{
    c.connection->end_wakeup();  // it reads the client's page tables
    auto it = c.leases.find(m.lease);
    if (it == c.leases.end())
        return c.connection->fail(ErrorCode::bad_object, "no lease " + std::to_string(m.lease));
    const Lease& lease = *it->second.lease;
    // Its process's memory, opened once, through the process that connected, if it still runs as its user.
    if (!c.memory && c.memory_error.empty()) {
        auto memory = ProcessMemory::open(c.connection->peer());
        if (memory)
            c.memory = std::move(memory).value();
        else
            c.memory_error = memory.error().message();
    }
    if (!c.memory) {
        // Not the client's fault: its writes are found by shadow compare.
        UDEFIO_LOG(info, "client %u lease %u: its pagemap cannot be read (%s); its writes are found by shadow compare",
                   c.connection->id(), m.lease, c.memory_error.c_str());
        return;
    }
    const ProcessMemory::Where where = c.memory->find(m.address, lease.buffer().size(), lease.buffer());
    if (where.placement == ProcessMemory::Placement::elsewhere)
        return c.connection->fail(ErrorCode::bad_object, "track_lease " + std::to_string(m.lease) + ": " + where.what);
    if (where.placement == ProcessMemory::Placement::unknown) {
        UDEFIO_LOG(info, "client %u lease %u: cannot check %s; its writes are found by shadow compare",
                   c.connection->id(), m.lease, where.what.c_str());
        return;
    }
    auto watch = PagemapWatch::open(c.memory, m.address, lease.buffer().size());
    if (!watch) {
        // Not an error of the client's: this kernel cannot scan it, or it did not register it.
        UDEFIO_LOG(info, "client %u lease %u: %s; its writes are found by shadow compare", c.connection->id(),
                   m.lease, watch.error().message().c_str());
        return;
    }
    UDEFIO_LOG(info, "client %u lease %u: its writes are found through /proc/%d/pagemap", c.connection->id(),
               m.lease, int(c.connection->pid()));
    it->second.pagemap = std::move(watch).value();
}

template <class Which>
void Server::revoke_leases(Client& c, Which which, RevokeReason reason)
{
    for (auto it = c.leases.begin(); it != c.leases.end();) {
        if (!which(it->second)) {
            ++it;
            continue;
        }
        // The reason first: a client whose access then fails (SIGBUS, guarded)
        // finds it among the events that have arrived (udefio_revoke_reason).
        c.connection->send(wire::Revoked{it->first, uint32_t(reason)});
        it->second.lease->revoke();
        it = c.leases.erase(it);
    }
}

void Server::expire(uint32_t client_id, uint32_t lease_id, uint64_t generation)
{
    auto c = clients_.find(client_id);
    if (c == clients_.end())
        return;
    auto it = c->second.leases.find(lease_id);
    if (it == c->second.leases.end() || it->second.generation != generation)
        return;
    UDEFIO_LOG(info, "client %u: lease %u expired", client_id, lease_id);
    c->second.connection->send(wire::Revoked{lease_id, uint32_t(RevokeReason::expired)});  // first, as above
    it->second.lease->revoke();
    // The entry stays, revoked, until a new lease takes its id, the client
    // releases it or leaves: this runs inside the entry's own timer, which
    // must not be destroyed here.
}

size_t Server::pagemap_leases() const
{
    size_t n = 0;
    for (const auto& [id, c] : clients_)
        for (const auto& [lease, entry] : c.leases)
            n += entry.pagemap.has_value();
    return n;
}

void Server::revoke_all(RevokeReason reason)
{
    for (auto& [id, c] : clients_)
        revoke_leases(c, [](const ClientLease&) { return true; }, reason);
}

void Server::on_presented(uint32_t output_id, uint64_t sequence, std::chrono::nanoseconds timestamp)
{
    for (auto& [id, c] : clients_) {
        for (auto& [surface_id, s] : c.surfaces) {
            if (s.output != output_id || !s.shown_serial)
                continue;
            const uint32_t serial = *std::exchange(s.shown_serial, std::nullopt);
            c.connection->send(wire::Presented{surface_id, serial, sequence, uint64_t(timestamp.count())});
            c.connection->send(wire::Frame{surface_id, serial});
        }
    }
}

}  // namespace udefio
