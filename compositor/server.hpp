// The compositor's side of the client protocol (docs/PROTOCOL.md) for one
// output: clients, their surfaces and their leases of the output's frame.
// A surface shows the whole frame; each lease is a band of its rows, a memfd
// of the client's that commits copy into the frame (compositor/lease.hpp).
// Any request that does not make sense (an unknown or reused id, a lease that
// does not fit, an fd that is not a sync_file) is that client's protocol
// error; nothing else is affected. Loop thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "compositor/client_connection.hpp"
#include "compositor/lease.hpp"
#include "compositor/pagemap_watch.hpp"
#include "fence/fence_wait.hpp"

namespace udefio {

class Server final : public ClientConnection::Handler {
public:
    static constexpr size_t kMaxSurfaces = 16;  // per client
    static constexpr size_t kMaxLeases = 16;    // per client

    Server(EventLoop& loop, LeaseTarget& target);
    // Revokes every lease and drops every client.
    ~Server();

    void add_client(UniqueFd socket);
    // The output presented: every surface that committed since gets
    // `presented` and `frame`.
    void on_presented(uint64_t sequence, std::chrono::nanoseconds timestamp);
    // The output is going away (or udefio was told to): every lease is revoked.
    void revoke_all(wire::RevokeReason reason);
    // Leases made from now on expire (are revoked, reason `expired`) this long
    // after they were made; zero: never.
    void set_lease_lifetime(std::chrono::milliseconds lifetime) { lease_lifetime_ = lifetime; }
    size_t clients() const { return clients_.size(); }
    // Leases whose client's writes are found through its pagemap.
    size_t pagemap_leases() const;

    void on_request(ClientConnection& client, const wire::Request& request, UniqueFd fd) override;
    void on_gone(ClientConnection& client, const std::string& why) override;

private:
    struct Surface {
        Damage damage;                        // since the last commit, in frame coordinates
        std::shared_ptr<Fence> fence;         // the next commit waits for it
        std::unique_ptr<FenceWait> fence_wait;
        std::optional<uint32_t> shown_serial; // committed, not yet presented
    };
    struct LeaseEntry {
        uint32_t surface;
        std::unique_ptr<Lease> lease;
        EventSource expiry;  // armed when leases have a lifetime
        std::optional<PagemapWatch> pagemap;  // the client's writes, if it asked (track_lease)
    };
    struct Client {
        std::unique_ptr<ClientConnection> connection;
        bool greeted = false;
        std::map<uint32_t, Surface> surfaces;
        std::map<uint32_t, LeaseEntry> leases;
    };

    void handle(Client& c, const wire::Hello& m);
    void handle(Client& c, const wire::CreateSurface& m);
    void handle(Client& c, const wire::LeaseBuffer& m);
    void handle(Client& c, const wire::DamageRect& m);
    void handle(Client& c, const wire::Commit& m, uint32_t client_id);
    void handle(Client& c, const wire::AttachFence& m, UniqueFd fd);
    void handle(Client& c, const wire::DestroySurface& m);
    void handle(Client& c, const wire::ReleaseLease& m);
    void handle(Client& c, const wire::TrackLease& m);
    Surface* surface(Client& c, uint32_t id);
    void compose(Client& c, uint32_t surface_id, uint32_t serial);
    void revoke_leases(Client& c, std::optional<uint32_t> of_surface, wire::RevokeReason reason);
    void expire(uint32_t client_id, uint32_t lease_id);

    EventLoop& loop_;
    LeaseTarget& target_;
    std::map<uint32_t, Client> clients_;  // by connection id
    std::chrono::milliseconds lease_lifetime_{0};
};

}  // namespace udefio
