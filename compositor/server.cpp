#include "compositor/server.hpp"

#include "util/log.hpp"

namespace udefio {

using wire::ErrorCode;

Server::Server(EventLoop& loop, LeaseTarget& target) : loop_(loop), target_(target) {}

Server::~Server()
{
    revoke_all(wire::RevokeReason::compositor);
}

void Server::add_client(UniqueFd socket)
{
    auto connection = ClientConnection::start(loop_, std::move(socket), *this);
    if (!connection) {
        UDEFIO_LOG(warn, "a new client: %s", connection.error().message().c_str());
        return;
    }
    const uint32_t id = (*connection)->id();
    UDEFIO_LOG(info, "client %u (pid %d) connected", id, int((*connection)->pid()));
    clients_[id].connection = std::move(connection).value();
}

void Server::on_gone(ClientConnection& connection, const std::string& why)
{
    auto it = clients_.find(connection.id());
    if (it == clients_.end())
        return;
    UDEFIO_LOG(info, "client %u (pid %d) gone: %s", connection.id(), int(connection.pid()), why.c_str());
    revoke_leases(it->second, std::nullopt, wire::RevokeReason::client_gone);
    clients_.erase(it);
}

void Server::on_request(ClientConnection& connection, const wire::Request& request, UniqueFd fd)
{
    Client& c = clients_.at(connection.id());
    if (!c.greeted && !std::holds_alternative<wire::Hello>(request))
        return connection.fail(ErrorCode::bad_message, "the first message must be hello");
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, wire::Commit>)
                handle(c, m, connection.id());
            else if constexpr (std::is_same_v<T, wire::AttachFence>)
                handle(c, m, std::move(fd));
            else
                handle(c, m);
        },
        request);
}

void Server::handle(Client& c, const wire::Hello& m)
{
    if (c.greeted)
        return c.connection->fail(ErrorCode::bad_message, "hello twice");
    if (m.version != wire::kVersion)
        return c.connection->fail(ErrorCode::bad_message, "protocol version " + std::to_string(m.version) +
                                                              " (this udefio speaks " +
                                                              std::to_string(wire::kVersion) + ")");
    c.greeted = true;
    c.connection->send(wire::Welcome{wire::kVersion});
}

void Server::handle(Client& c, const wire::CreateSurface& m)
{
    if (c.surfaces.count(m.surface))
        return c.connection->fail(ErrorCode::bad_object, "surface " + std::to_string(m.surface) + " exists");
    if (c.surfaces.size() >= kMaxSurfaces)
        return c.connection->fail(ErrorCode::no_memory, "more than " + std::to_string(kMaxSurfaces) + " surfaces");
    c.surfaces[m.surface];
    const BufferLayout& frame = target_.state().layout();
    c.connection->send(wire::Configure{m.surface, frame.width, frame.height, frame.stride, wire::kFormatXrgb8888});
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
    if (!surface(c, m.surface))
        return;
    if (auto old = c.leases.find(m.lease); old != c.leases.end() && old->second.lease->revoked())
        c.leases.erase(old);  // an expired lease's id is free again
    if (c.leases.count(m.lease))
        return c.connection->fail(ErrorCode::bad_object, "lease " + std::to_string(m.lease) + " exists");
    if (c.leases.size() >= kMaxLeases)
        return c.connection->fail(ErrorCode::no_memory, "more than " + std::to_string(kMaxLeases) + " leases");
    const BufferLayout& frame = target_.state().layout();
    const uint64_t end = m.length ? m.offset + m.length : uint64_t(frame.stride) * frame.height;
    if (m.offset % frame.stride || end % frame.stride || end > uint64_t(frame.stride) * frame.height ||
        end <= m.offset)
        return c.connection->fail(ErrorCode::bad_object,
                                  "lease " + std::to_string(m.offset) + "+" + std::to_string(m.length) +
                                      ": not whole rows of the " + std::to_string(frame.stride) + "-byte stride "
                                      "inside the frame");
    const LeasePlace place{uint32_t(m.offset / frame.stride), uint32_t((end - m.offset) / frame.stride)};
    auto lease = Lease::create(target_, place);
    if (!lease)
        return c.connection->fail(ErrorCode::no_memory, lease.error().message());
    const int fd = (*lease)->buffer().fd();
    c.connection->send(wire::Leased{m.surface, m.lease, m.offset, end - m.offset, frame.stride, 0}, fd);
    LeaseEntry& entry = c.leases[m.lease];
    entry = {m.surface, std::move(lease).value(), EventSource(), std::nullopt};
    if (lease_lifetime_.count() > 0) {
        auto timer = loop_.make_timer([this, client = c.connection->id(), id = m.lease] { expire(client, id); });
        if (timer) {
            entry.expiry = std::move(timer).value();
            entry.expiry.arm(lease_lifetime_);
        }
    }
}

void Server::handle(Client& c, const wire::DamageRect& m)
{
    if (Surface* s = surface(c, m.surface))
        s->damage.add({m.x, m.y, m.width, m.height});
}

void Server::handle(Client& c, const wire::Commit& m, uint32_t client_id)
{
    Surface* s = surface(c, m.surface);
    if (!s)
        return;
    if (!s->fence)
        return compose(c, m.surface, m.serial);
    // Composed once the client's fence signalled, from the loop (seed 001: never a blocking wait).
    auto wait = FenceWait::start(loop_, std::exchange(s->fence, nullptr),
                                 [this, client_id, id = m.surface, serial = m.serial](std::chrono::nanoseconds) {
                                     auto it = clients_.find(client_id);
                                     if (it != clients_.end() && it->second.surfaces.count(id))
                                         compose(it->second, id, serial);
                                 });
    if (!wait)
        return c.connection->fail(ErrorCode::bad_fd, wait.error().message());
    s->fence_wait = std::move(wait).value();
}

void Server::compose(Client& c, uint32_t surface_id, uint32_t serial)
{
    Surface& s = c.surfaces.at(surface_id);
    Damage damage = std::move(s.damage);
    s.damage = Damage();
    const bool told = !damage.empty();  // else: find the changed rows ourselves
    for (auto& [id, entry] : c.leases) {
        if (entry.surface != surface_id)
            continue;
        const LeasePlace place = entry.lease->place();
        Damage mine;
        if (told) {
            for (const Rect& r : damage.rects()) {
                const int32_t top = std::max(r.y, int32_t(place.first_row));
                const int32_t bottom = std::min(r.y + r.height, int32_t(place.first_row + place.rows));
                if (top < bottom)
                    mine.add({r.x, top - int32_t(place.first_row), r.width, bottom - top});
            }
        } else if (entry.pagemap) {
            auto pages = entry.pagemap->written();
            if (!pages) {
                UDEFIO_LOG(warn, "client %u lease %u: %s; back to shadow compare", c.connection->id(), id,
                           pages.error().message().c_str());
                entry.pagemap.reset();
                mine.add({0, 0, int32_t(entry.lease->buffer().layout().width), int32_t(place.rows)});
            } else {
                // A written page damages the rows it holds part of.
                const BufferLayout& layout = entry.lease->buffer().layout();
                for (uint32_t page : *pages) {
                    const uint64_t first = uint64_t(page) * 4096 / layout.stride;
                    const uint64_t last = (uint64_t(page + 1) * 4096 - 1) / layout.stride;
                    mine.add({0, int32_t(first), int32_t(layout.width), int32_t(last - first + 1)});
                }
            }
        } else if (auto found = entry.lease->find_changes(); found) {
            mine = std::move(found).value();
        } else if (!entry.lease->revoked()) {
            return c.connection->fail(ErrorCode::bad_fd, "lease " + std::to_string(id) + ": " +
                                                             found.error().message());
        }
        mine.clip_to(entry.lease->buffer().layout());
        if (mine.empty())
            continue;
        if (auto r = entry.lease->commit(mine); !r && !entry.lease->revoked())
            return c.connection->fail(ErrorCode::bad_fd, "lease " + std::to_string(id) + ": " + r.error().message());
    }
    s.shown_serial = serial;
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
    revoke_leases(c, m.surface, wire::RevokeReason::compositor);
    c.surfaces.erase(m.surface);
}

void Server::handle(Client& c, const wire::ReleaseLease& m)
{
    auto it = c.leases.find(m.lease);
    if (it == c.leases.end())
        return c.connection->fail(ErrorCode::bad_object, "no lease " + std::to_string(m.lease));
    it->second.lease->revoke();
    c.leases.erase(it);
}

void Server::handle(Client& c, const wire::TrackLease& m)
{
    auto it = c.leases.find(m.lease);
    if (it == c.leases.end())
        return c.connection->fail(ErrorCode::bad_object, "no lease " + std::to_string(m.lease));
    auto watch = PagemapWatch::open(c.connection->pid(), m.address, it->second.lease->buffer().size());
    if (!watch) {
        // Not an error of the client's: we cannot read its page tables. It gets the shadow compare.
        UDEFIO_LOG(info, "client %u lease %u: %s; its writes are found by shadow compare", c.connection->id(),
                   m.lease, watch.error().message().c_str());
        return;
    }
    UDEFIO_LOG(info, "client %u lease %u: its writes are found through /proc/%d/pagemap", c.connection->id(),
               m.lease, int(c.connection->pid()));
    it->second.pagemap = std::move(watch).value();
}

void Server::revoke_leases(Client& c, std::optional<uint32_t> of_surface, wire::RevokeReason reason)
{
    for (auto it = c.leases.begin(); it != c.leases.end();) {
        if (of_surface && it->second.surface != *of_surface) {
            ++it;
            continue;
        }
        it->second.lease->revoke();
        c.connection->send(wire::Revoked{it->first, uint32_t(reason)});
        it = c.leases.erase(it);
    }
}

void Server::expire(uint32_t client_id, uint32_t lease_id)
{
    auto c = clients_.find(client_id);
    if (c == clients_.end())
        return;
    auto it = c->second.leases.find(lease_id);
    if (it == c->second.leases.end())
        return;
    UDEFIO_LOG(info, "client %u: lease %u expired", client_id, lease_id);
    it->second.lease->revoke();
    c->second.connection->send(wire::Revoked{lease_id, uint32_t(wire::RevokeReason::expired)});
    // Not erased from inside its own timer's callback: later, from the loop
    // (and only if the id still names this lease, not a new one).
    loop_.post([this, client_id, lease_id, expired = it->second.lease.get()] {
        auto again = clients_.find(client_id);
        if (again == clients_.end())
            return;
        auto entry = again->second.leases.find(lease_id);
        if (entry != again->second.leases.end() && entry->second.lease.get() == expired)
            again->second.leases.erase(entry);
    });
}

size_t Server::pagemap_leases() const
{
    size_t n = 0;
    for (const auto& [id, c] : clients_)
        for (const auto& [lease, entry] : c.leases)
            n += entry.pagemap.has_value();
    return n;
}

void Server::revoke_all(wire::RevokeReason reason)
{
    for (auto& [id, c] : clients_)
        revoke_leases(c, std::nullopt, reason);
}

void Server::on_presented(uint64_t sequence, std::chrono::nanoseconds timestamp)
{
    for (auto& [id, c] : clients_) {
        for (auto& [surface_id, s] : c.surfaces) {
            if (!s.shown_serial)
                continue;
            const uint32_t serial = *std::exchange(s.shown_serial, std::nullopt);
            c.connection->send(wire::Presented{surface_id, serial, sequence, uint64_t(timestamp.count())});
            c.connection->send(wire::Frame{surface_id, serial});
        }
    }
}

}  // namespace udefio
