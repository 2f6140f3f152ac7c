#include "tests/fuzz/server_harness.hpp"

#include <dirent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "defio/sigbus_guard.hpp"
#include "defio/uapi.hpp"
#include "tests/sw_sync.hpp"
#include "util/scm_rights.hpp"

namespace udefio::fuzz {
namespace {

// The surface an input event of the wire is for; nullopt for other events.
std::optional<uint32_t> input_surface(const wire::Event& event)
{
    return std::visit(
        [](const auto& e) -> std::optional<uint32_t> {
            using T = std::decay_t<decltype(e)>;
            if constexpr (T::since >= wire::Focus::since && !std::is_same_v<T, wire::Focus>)
                return e.surface;
            return std::nullopt;
        },
        event);
}

// Outputs of distinct sizes, so that a configure says which output a surface is on.
// Each has whole-page, whole-row lease places: 256-byte rows are 16 to a page.
constexpr std::pair<uint32_t, uint32_t> kSizes[] = {{64, 32}, {32, 64},  {128, 16}, {256, 8},
                                                    {48, 64}, {64, 48}, {128, 24}, {256, 12}};

void allow(std::vector<uint32_t>& tokens, uint32_t token)
{
    if (tokens.empty() || tokens.back() != token)  // the same token comes for a pixel at each commit
        tokens.push_back(token);
}

size_t open_fds()
{
    size_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(d))
        n += e->d_name[0] != '.';
    ::closedir(d);
    return n - 1;
}

}  // namespace

struct ServerHarness::Output {
    uint64_t frame;  // which frame: an output keeps its id when its frame is replaced
    uint32_t id;
    uint32_t width, height;
    std::shared_ptr<DeferredIoState> state;
    std::unique_ptr<LeaseTarget> target;
    std::vector<std::vector<uint32_t>> allowed;  // per pixel: tokens it may show besides 0
    std::vector<uint32_t> checked;            // the frame as last checked (allowed only grows)
};

struct ServerHarness::Lease {
    uint32_t surface;
    uint64_t frame;  // of the output the surface was on when the lease came
    uint32_t first_row, rows, width, stride;
    UniqueFd fd;
    uint32_t* pixels = nullptr;  // MAP_SHARED
    size_t bytes = 0;
    std::vector<uint32_t> drawn;  // per lease pixel: the last token stored there (0: none)
    std::optional<Userfaultfd> uffd;
    bool revoked = false;  // the server said so
    bool released = false;  // the client let it go: the server revokes it without an event

    ~Lease()
    {
        uffd.reset();
        if (pixels)
            ::munmap(pixels, bytes);
    }
};

struct ServerHarness::Surface {
    uint32_t output = 0;
    uint32_t committed = 0;  // serial of its last commit
    uint32_t presented = 0;  // of the last `presented`: every commit up to it was copied
    bool copying() const { return committed != presented; }
};

struct ServerHarness::Client {
    UniqueFd socket;
    bool gone = false;  // the server ended it
    std::map<uint32_t, Surface> surfaces;
    std::map<uint32_t, std::unique_ptr<Lease>> leases;
    std::vector<std::unique_ptr<Lease>> old_leases;  // replaced under their id, kept for the end's check
    uint32_t version = 0;
    uint32_t serial = 0;
    // The input focus as the client was told (a surface, or none), and the
    // surfaces it destroyed: input sent before the server read the destroy
    // may still name one.
    std::optional<uint32_t> focus;
    std::set<uint32_t> destroyed;
};

ServerHarness::Stats& ServerHarness::stats()
{
    static Stats counts{};
    return counts;
}

std::map<std::string, uint64_t>& ServerHarness::error_messages()
{
    static auto* counts = new std::map<std::string, uint64_t>;  // still there at exit
    return *counts;
}

void ServerHarness::print_stats()
{
    for (const auto& [message, count] : error_messages())
        std::fprintf(stderr, "  %6llu  %s\n", (unsigned long long)count, message.c_str());
    const Stats& n = stats();
    std::fprintf(stderr,
                 "fuzz_server stats: %llu inputs, %llu steps, %llu leases, %llu revoked leases checked for SIGBUS, "
                 "%llu commits, %llu presented, %llu sync_files attached, %llu clients ended by the server, "
                 "%llu frame pixels checked, %llu input events delivered, %llu focus events; errors by code (bad_message, bad_fd, bad_object, no_memory, "
                 "revoked, other): %llu %llu %llu %llu %llu %llu\n",
                 (unsigned long long)n.inputs, (unsigned long long)n.steps, (unsigned long long)n.leased,
                 (unsigned long long)n.revoked_checked, (unsigned long long)n.committed,
                 (unsigned long long)n.presented, (unsigned long long)n.sync_files,
                 (unsigned long long)n.clients_dropped, (unsigned long long)n.frame_pixels_checked,
                 (unsigned long long)n.input_delivered, (unsigned long long)n.focus_changes,
                 (unsigned long long)n.errors[1], (unsigned long long)n.errors[2], (unsigned long long)n.errors[3],
                 (unsigned long long)n.errors[4], (unsigned long long)n.errors[5], (unsigned long long)n.errors[0]);
}

bool ServerHarness::have_sync_files()
{
    static const bool have = ::access(test::kSwSyncPath, R_OK | W_OK) == 0;
    return have;
}

ServerHarness::ServerHarness() : fds_before_(open_fds())
{
    ++stats().inputs;
    loop_ = EventLoop::create().value();
    server_ = std::make_unique<Server>(*loop_);
    for (int i = 0; i < 2; ++i)
        add_output();
    clients_.resize(kClients);
    if (have_sync_files())
        timeline_.reset(::open(test::kSwSyncPath, O_RDWR | O_CLOEXEC));
}

ServerHarness::~ServerHarness()
{
    for (auto& c : clients_) {
        if (c)
            c->socket.reset();
    }
    for (int i = 0; i < 64 && server_->clients(); ++i)
        step();
    if (server_->clients())
        fail("clients that hung up are still served after 64 wakeups");
    server_.reset();  // revokes every lease
    for (auto& c : clients_) {
        if (!c)
            continue;
        for (auto& [id, lease] : c->leases)
            check_revoked(*lease, "after the server went");
        for (auto& lease : c->old_leases)
            check_revoked(*lease, "after the server went");
    }
    check_frames();
    clients_.clear();
    outputs_.clear();
    timeline_.reset();
    loop_.reset();
    if (const size_t now = open_fds(); now != fds_before_)
        fail("fds leaked: " + std::to_string(fds_before_) + " before, " + std::to_string(now) + " after");
}

void ServerHarness::fail(const std::string& what) const
{
    std::fprintf(stderr, "fuzz_server: %s\n", what.c_str());
    std::abort();
}

ServerHarness::Client* ServerHarness::client(size_t slot)
{
    slot %= kClients;
    if (!clients_[slot] || !clients_[slot]->socket) {
        connect(slot);
        hello(slot, slot % 2 ? 1 : slot == 0 ? 3 : 2);
    }
    return clients_[slot].get();
}

ServerHarness::Output* ServerHarness::output_at(size_t index)
{
    return outputs_.empty() ? nullptr : outputs_[index % outputs_.size()].get();
}

ServerHarness::Output* ServerHarness::output_by_id(uint32_t id)
{
    for (auto& o : outputs_)
        if (o->id == id)
            return o.get();
    return nullptr;
}

ServerHarness::Output* ServerHarness::output_by_frame(uint64_t frame)
{
    for (auto& o : outputs_)
        if (o->frame == frame)
            return o.get();
    return nullptr;
}

ServerHarness::Output* ServerHarness::output_by_size(uint32_t width, uint32_t height)
{
    for (auto& o : outputs_)
        if (o->width == width && o->height == height)
            return o.get();
    return nullptr;
}

std::pair<uint32_t, uint32_t> ServerHarness::unused_size() const
{
    for (const auto& size : kSizes) {
        bool used = false;
        for (const auto& o : outputs_)
            used |= o->width == size.first && o->height == size.second;
        if (!used)
            return size;
    }
    return {0, 0};
}

std::unique_ptr<ServerHarness::Output> ServerHarness::make_output(uint32_t id, std::pair<uint32_t, uint32_t> size)
{
    static uint64_t frames = 0;
    auto o = std::make_unique<Output>();
    o->frame = ++frames;
    o->id = id;
    o->width = size.first;
    o->height = size.second;
    DeferredIoOptions options;
    options.tracker = TrackerKind::explicit_damage;
    // Never attached to a sink: no flush worker, so one thread does everything.
    o->state = DeferredIoState::create(BufferLayout::make(o->width, o->height).value(), options).value();
    o->target = LeaseTarget::create(o->state).value();
    o->allowed.resize(size_t(o->width) * o->height);
    o->checked.assign(size_t(o->width) * o->height, 0);
    return o;
}

void ServerHarness::add_output()
{
    const auto size = unused_size();
    if (!size.first || outputs_.size() >= 4)
        return;
    auto o = make_output(next_output_id_++, size);
    server_->add_output({o->id, "fuzz-" + std::to_string(o->id), 60'000, o->target.get()});
    outputs_.push_back(std::move(o));
    drain_all();
}

void ServerHarness::remove_output(size_t index)
{
    if (outputs_.empty())
        return;
    index %= outputs_.size();
    server_->remove_output(outputs_[index]->id);  // its leases are revoked: the target may go
    outputs_.erase(outputs_.begin() + long(index));
    drain_all();
}

void ServerHarness::replace_output(size_t index)
{
    Output* old = output_at(index);
    const auto size = unused_size();
    if (!old || !size.first)
        return;
    auto fresh = make_output(old->id, size);
    server_->replace_output({fresh->id, "fuzz-" + std::to_string(fresh->id), 60'000, fresh->target.get()});
    for (auto& o : outputs_)
        if (o.get() == old)
            o = std::move(fresh);
    drain_all();
}

void ServerHarness::set_default_output(size_t index)
{
    Output* o = output_at(index);
    server_->set_default_output(o && index % 3 ? o->id : 0);
    drain_all();
}

void ServerHarness::revoke_all()
{
    server_->revoke_all(wire::RevokeReason::compositor);
    drain_all();
}

void ServerHarness::present(size_t index)
{
    if (Output* o = output_at(index))
        server_->on_presented(o->id, ++sequence_, std::chrono::nanoseconds(sequence_));
    drain_all();
}

void ServerHarness::signal_fences()
{
    if (timeline_)
        (void)test::sw_sync_advance(timeline_.get());
}

void ServerHarness::send(Client& c, const wire::Request& request, int fd)
{
    const auto bytes = wire::encode(request);
    (void)send_with_fd(c.socket.get(), bytes, fd, MSG_DONTWAIT);  // a full socket drops it, as a lost request
}

std::optional<uint32_t> ServerHarness::surface_id(size_t slot, uint8_t pick)
{
    Client* c = client(slot);
    if (pick >= kAnyId)
        return pick % 6;
    if (!c || c->surfaces.empty())
        return std::nullopt;
    auto it = c->surfaces.begin();
    std::advance(it, pick % c->surfaces.size());
    return it->first;
}

std::optional<uint32_t> ServerHarness::lease_id(size_t slot, uint8_t pick)
{
    Client* c = client(slot);
    if (pick >= kAnyId)
        return pick % 6;
    if (!c || c->leases.empty())
        return std::nullopt;
    auto it = c->leases.begin();
    std::advance(it, pick % c->leases.size());
    return it->first;
}

uint32_t ServerHarness::unused_surface_id(size_t slot, uint32_t wanted)
{
    Client* c = client(slot);
    for (uint32_t id = 0; c->surfaces.count(wanted) && id < 6; ++id)
        wanted = id;
    return wanted;
}

uint32_t ServerHarness::unused_lease_id(size_t slot, uint32_t wanted)
{
    Client* c = client(slot);
    auto used = [&](uint32_t id) {
        auto it = c->leases.find(id);
        return it != c->leases.end() && !it->second->revoked && !it->second->released;
    };
    for (uint32_t id = 0; used(wanted) && id < 6; ++id)
        wanted = id;
    return wanted;
}

uint32_t ServerHarness::version(size_t slot)
{
    return client(slot)->version;
}

bool ServerHarness::connect(size_t slot)
{
    auto& c = clients_[slot % kClients];
    if (c && c->socket)
        return false;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        fail("socketpair");
    if (c) {
        // The leases of the slot's last client stay for the end's check.
        for (auto& [id, lease] : c->leases)
            c->old_leases.push_back(std::move(lease));
        c->leases.clear();
        c->surfaces.clear();
        c->gone = false;
    } else {
        c = std::make_unique<Client>();
    }
    c->socket.reset(sv[1]);
    c->version = 0;
    server_->add_client(UniqueFd(sv[0]));
    return true;
}

void ServerHarness::hello(size_t slot, uint32_t version)
{
    Client& c = *clients_[slot % kClients];
    c.version = version;
    send(c, wire::Hello{version});
}

void ServerHarness::create_surface(size_t slot, uint32_t surface, std::optional<size_t> on_output)
{
    Client* c = client(slot);
    if (!c)
        return;
    c->surfaces.try_emplace(surface);  // known before it is configured (it may wait for an output)
    if (!on_output)
        return send(*c, wire::CreateSurface{surface});
    Output* o = output_at(*on_output);
    send(*c, wire::CreateSurfaceOn{surface, o && *on_output % 4 ? o->id : 0});
}

void ServerHarness::lease(size_t slot, uint32_t surface, uint32_t lease, uint32_t offset_pages, uint32_t length_pages)
{
    if (Client* c = client(slot))
        send(*c, wire::LeaseBuffer{surface, lease, uint64_t(offset_pages) * page_size(),
                                   uint64_t(length_pages) * page_size()});
}

void ServerHarness::damage(size_t slot, uint32_t surface, int32_t x, int32_t y, int32_t width, int32_t height)
{
    if (Client* c = client(slot))
        send(*c, wire::DamageRect{surface, x, y, width, height});
}

void ServerHarness::commit(size_t slot, uint32_t surface)
{
    Client* c = client(slot);
    if (!c)
        return;
    // Whatever its leases of this surface hold now may be copied: it is committed.
    for (auto& [id, lease] : c->leases) {
        if (lease->surface != surface || lease->revoked)
            continue;
        Output* o = output_by_frame(lease->frame);
        if (!o)
            continue;
        for (uint32_t y = 0; y < lease->rows; ++y)
            for (uint32_t x = 0; x < lease->width; ++x)
                if (const uint32_t token = lease->drawn[size_t(y) * lease->width + x])
                    allow(o->allowed[size_t(lease->first_row + y) * o->width + x], token);
    }
    const uint32_t serial = ++c->serial;
    if (auto s = c->surfaces.find(surface); s != c->surfaces.end())
        s->second.committed = serial;
    send(*c, wire::Commit{surface, serial});
    ++stats().committed;
}

void ServerHarness::attach_fence(size_t slot, uint32_t surface, FenceKind kind)
{
    Client* c = client(slot);
    if (!c)
        return;
    UniqueFd fd;
    switch (kind) {
    case FenceKind::sync_file:
        if (timeline_) {
            fd.reset(test::sw_sync_fence(timeline_.get(), uint32_t(++fences_made_), "fuzz"));
            if (fd)
                ++stats().sync_files;
        }
        break;
    case FenceKind::eventfd:
        fd.reset(::eventfd(0, EFD_CLOEXEC));
        break;
    case FenceKind::memfd:
        fd.reset(::memfd_create("not-a-fence", MFD_CLOEXEC));
        break;
    case FenceKind::none:
        break;
    }
    send(*c, wire::AttachFence{surface}, fd.get());
}

void ServerHarness::destroy_surface(size_t slot, uint32_t surface)
{
    if (Client* c = client(slot)) {
        send(*c, wire::DestroySurface{surface});
        c->surfaces.erase(surface);
        c->destroyed.insert(surface);
        if (c->focus == surface)
            c->focus.reset();
    }
}

void ServerHarness::request_focus(size_t slot, uint32_t surface)
{
    if (Client* c = client(slot))
        send(*c, wire::RequestFocus{surface});
}

void ServerHarness::input(uint8_t kind, uint32_t value)
{
    const PointF at{double(value % 300), double(value % 70)};
    InputEvent e{std::chrono::microseconds(value), 1u + kind % 3u, TouchFrame{}};
    switch (kind % 8) {
    case 0: {
        KeyEvent key;
        key.key = value % 256;
        key.pressed = value & 1;
        key.repeat = value & 2;
        key.utf8 = std::string(value % 24, 'k');  // longer than a key event carries, too
        e.what = key;
        break;
    }
    case 1: e.what = PointerMotion{at, {1, -1}, bool(value & 1)}; break;
    case 2: e.what = PointerButton{0x110 + value % 3, bool(value & 1), at}; break;
    case 3: e.what = PointerAxis{AxisSource(value % 3), double(value % 50) - 25, 0, 120, 0, at}; break;
    case 4: e.what = TouchDown{int32_t(value % 10), at}; break;
    case 5: e.what = TouchMotion{int32_t(value % 10), at}; break;
    case 6: e.what = TouchUp{int32_t(value % 10)}; break;
    case 7:
        if (value & 1)
            e.what = TouchCancel{};
        break;
    }
    if (server_->deliver_input(e))
        ++stats().input_delivered;
}

void ServerHarness::release(size_t slot, uint32_t lease)
{
    Client* c = client(slot);
    if (!c)
        return;
    send(*c, wire::ReleaseLease{lease});
    // libudefio-client unmaps it here; the harness keeps the mapping for the check that it is revoked
    // (once the server has read the release: when the id is leased again, or at the end).
    if (auto it = c->leases.find(lease); it != c->leases.end())
        it->second->released = true;
}

void ServerHarness::track(size_t slot, uint32_t lease, TrackAt where)
{
    Client* c = client(slot);
    if (!c)
        return;
    auto it = c->leases.find(lease);
    uint64_t address = 0;
    switch (where) {
    case TrackAt::registered:
    case TrackAt::unregistered:
        if (it == c->leases.end())
            return;
        if (where == TrackAt::registered && !it->second->uffd && !it->second->revoked) {
            auto uffd = Userfaultfd::open_for_write_protect(
                std::span(reinterpret_cast<std::byte*>(it->second->pixels), it->second->bytes),
                UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED);
            if (uffd)
                it->second->uffd.emplace(std::move(uffd).value());
        }
        address = reinterpret_cast<uintptr_t>(it->second->pixels);
        break;
    case TrackAt::unmapped:
        address = page_size();  // below vm.mmap_min_addr
        break;
    case TrackAt::kernel:
        address = 0xffff888000000000ull;
        break;
    case TrackAt::other_lease:
        for (auto& [id, other] : c->leases)
            if (id != lease)
                address = reinterpret_cast<uintptr_t>(other->pixels);
        if (!address)
            return;
        break;
    }
    send(*c, wire::TrackLease{lease, 0, address});
}

void ServerHarness::raw(size_t slot, std::span<const uint8_t> bytes)
{
    if (Client* c = client(slot))
        (void)send_with_fd(c->socket.get(), std::as_bytes(bytes), -1, MSG_DONTWAIT);
}

void ServerHarness::disconnect(size_t slot)
{
    if (auto& c = clients_[slot % kClients]; c && c->socket) {
        c->socket.reset();
        c->gone = true;
    }
}

void ServerHarness::draw(size_t slot, uint32_t lease, uint32_t x, uint32_t y, uint32_t width, uint32_t height)
{
    Client* c = client(slot);
    if (!c)
        return;
    auto it = c->leases.find(lease);
    if (it == c->leases.end())
        return;
    Lease& l = *it->second;
    x %= l.width;
    y %= l.rows;
    width = std::min(width, l.width - x);
    height = std::min(height, l.rows - y);
    const uint32_t token = next_token_++;
    // Drawn while a commit of its surface is being copied: the copy may take it.
    const auto s = c->surfaces.find(l.surface);
    Output* o = s != c->surfaces.end() && s->second.copying() ? output_by_frame(l.frame) : nullptr;
    for (uint32_t row = y; row < y + height; ++row) {
        for (uint32_t col = x; col < x + width; ++col) {
            l.drawn[size_t(row) * l.width + col] = token;
            if (o)
                allow(o->allowed[size_t(l.first_row + row) * o->width + col], token);
        }
    }
    uint32_t* pixels = l.pixels;
    const uint32_t words_per_row = l.stride / 4;
    (void)run_guarding_sigbus([&] {  // a revoked lease faults: the stores stop there
        for (uint32_t row = y; row < y + height; ++row)
            for (uint32_t col = x; col < x + width; ++col)
                pixels[size_t(row) * words_per_row + col] = token;
    });
}

void ServerHarness::frame(size_t slot, uint8_t pick, uint32_t x, uint32_t y, uint32_t width, uint32_t height,
                          bool damaged)
{
    Client* c = client(slot);
    if (c->surfaces.empty()) {
        create_surface(slot, unused_surface_id(slot, 0), std::nullopt);
        step();
    }
    if (!c->socket || c->surfaces.empty())
        return;
    auto s = c->surfaces.begin();
    std::advance(s, pick % c->surfaces.size());
    const uint32_t surface = s->first;
    auto standing = [&]() -> std::pair<uint32_t, Lease*> {
        for (auto& [id, l] : c->leases)
            if (l->surface == surface && !l->revoked && !l->released)
                return {id, l.get()};
        return {0, nullptr};
    };
    if (!standing().second) {
        lease(slot, surface, unused_lease_id(slot, 0), 0, 0);  // the whole frame
        step();
    }
    auto [id, l] = standing();
    if (!c->socket || !l)
        return;
    draw(slot, id, x, y, width, height);
    if (damaged) {
        x %= l->width;
        y %= l->rows;
        damage(slot, surface, int32_t(x), int32_t(l->first_row + y), int32_t(std::min(width, l->width - x)),
               int32_t(std::min(height, l->rows - y)));
    }
    commit(slot, surface);
    step();
    for (size_t i = 0; i < outputs_.size(); ++i)
        if (outputs_[i]->id == s->second.output)
            present(i);
}

void ServerHarness::truncate(size_t slot, uint32_t lease)
{
    Client* c = client(slot);
    if (!c)
        return;
    if (auto it = c->leases.find(lease); it != c->leases.end())
        (void)::ftruncate(it->second->fd.get(), 0);
}

void ServerHarness::step()
{
    ++stats().steps;
    event_base_loop(loop_->base(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
    drain_all();
    check_frames();
    check_focus();
}

// What the server sent is read before the harness changes its outputs again.
void ServerHarness::drain_all()
{
    for (auto& c : clients_)
        if (c && c->socket)
            drain(*c);
}

void ServerHarness::drain(Client& c)
{
    for (int n = 0; n < 1024 && c.socket; ++n) {
        std::byte data[wire::kMaxMessage];
        ReceivedPacket packet = receive_with_fds(c.socket.get(), data, wire::kMaxFds, MSG_DONTWAIT);
        if (packet.bytes < 0 && errno == EAGAIN)
            return;
        if (packet.bytes <= 0) {  // the server ended it
            ++stats().clients_dropped;
            c.socket.reset();
            c.gone = true;
            return;
        }
        UniqueFd fd = packet.fds.empty() ? UniqueFd() : std::move(packet.fds.front());
        auto event = wire::decode_event(std::span(data, size_t(packet.bytes)), fd ? 1 : 0);
        if (!event)
            fail("the server sent a bad event: " + event.error().message());
        on_event(c, *event, std::move(fd));
    }
}

void ServerHarness::on_event(Client& c, const wire::Event& event, UniqueFd fd)
{
    if (auto* conf = std::get_if<wire::Configure>(&event)) {
        Output* o = output_by_size(conf->width, conf->height);
        if (!o)
            fail("configure of a size no output has");
        c.surfaces[conf->surface].output = o->id;
    } else if (auto* moved = std::get_if<wire::SurfaceOutput>(&event)) {
        c.surfaces[moved->surface].output = moved->output;
    } else if (auto* leased = std::get_if<wire::Leased>(&event)) {
        auto lease = std::make_unique<Lease>();
        lease->surface = leased->surface;
        Output* o = output_by_id(c.surfaces[leased->surface].output);
        if (!o || leased->stride != o->width * 4)
            fail("a lease of an output its surface is not on");
        lease->frame = o->frame;
        lease->stride = leased->stride;
        lease->width = o->width;
        lease->first_row = uint32_t(leased->offset / leased->stride);
        lease->rows = uint32_t(leased->length / leased->stride);
        lease->bytes = leased->length;
        lease->drawn.assign(size_t(lease->width) * lease->rows, 0);
        void* p = ::mmap(nullptr, lease->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
        if (p == MAP_FAILED)
            fail("mmap of a lease: " + std::string(std::strerror(errno)));
        lease->pixels = static_cast<uint32_t*>(p);
        lease->fd = std::move(fd);
        if (auto old = c.leases.find(leased->lease); old != c.leases.end()) {
            if (!old->second->revoked && !old->second->released)
                fail("lease " + std::to_string(leased->lease) + " was given again while it stands");
            if (old->second->released)  // its release came before this lease's request
                check_revoked(*old->second, "after its release");
            c.old_leases.push_back(std::move(old->second));
        }
        c.leases[leased->lease] = std::move(lease);
        ++stats().leased;
    } else if (auto* revoked = std::get_if<wire::Revoked>(&event)) {
        if (auto it = c.leases.find(revoked->lease); it != c.leases.end()) {
            it->second->revoked = true;
            check_revoked(*it->second, "when its client was told");
        }
    } else if (auto* error = std::get_if<wire::ErrorEvent>(&event)) {
        ++stats().errors[error->code < 6 ? error->code : 0];
        if (std::getenv("FUZZ_SERVER_STATS"))
            ++error_messages()[std::string(error->message, strnlen(error->message, sizeof error->message)).substr(0, 48)];
    } else if (auto* focus = std::get_if<wire::Focus>(&event)) {
        if (c.version < wire::Focus::since)
            fail("a focus event to a version-" + std::to_string(c.version) + " client");
        ++stats().focus_changes;
        if (focus->focused)
            c.focus = focus->surface;
        else if (c.focus == focus->surface)
            c.focus.reset();
    } else if (auto surface = input_surface(event)) {
        if (c.focus != *surface && !c.destroyed.count(*surface))
            fail("input for surface " + std::to_string(*surface) + " of a client that was not told it has the focus");
    } else if (auto* presented = std::get_if<wire::Presented>(&event)) {
        ++stats().presented;
        Surface& s = c.surfaces[presented->surface];
        s.presented = std::max(s.presented, presented->serial);
    }
}

// After every step: no two clients were told they have the input focus.
void ServerHarness::check_focus() const
{
    size_t holders = 0;
    for (const auto& c : clients_)
        holders += c && c->socket && c->focus;
    if (holders > 1)
        fail(std::to_string(holders) + " clients were told they have the input focus");
}

void ServerHarness::check_revoked(const Lease& lease, const char* when) const
{
    ++stats().revoked_checked;
    volatile uint32_t* p = lease.pixels;
    if (run_guarding_sigbus([&] { (void)p[0]; }))
        fail(std::string("a revoked lease's mapping does not raise SIGBUS ") + when);
}

// Not instrumented for coverage: it is the harness's own work, and its hottest.
__attribute__((no_sanitize("coverage"))) void ServerHarness::check_frames()
{
    for (auto& o : outputs_) {
        const SharedBuffer& frame = o->state->buffer();
        for (uint32_t y = 0; y < o->height; ++y) {
            const uint32_t* row = frame.row(y);
            uint32_t* checked = o->checked.data() + size_t(y) * o->width;
            if (std::memcmp(row, checked, o->width * 4) == 0)
                continue;
            stats().frame_pixels_checked += o->width;
            for (uint32_t x = 0; x < o->width; ++x) {
                const uint32_t v = row[x];
                const auto& allowed = o->allowed[size_t(y) * o->width + x];
                if (v && v != checked[x] && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
                    char what[160];
                    std::snprintf(what, sizeof what,
                                  "output %u pixel %u,%u shows 0x%08x, which no client committed there", o->id, x,
                                  y, v);
                    fail(what);
                }
                checked[x] = v;
            }
        }
    }
}

}  // namespace udefio::fuzz
