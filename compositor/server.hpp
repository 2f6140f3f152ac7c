// The compositor's side of the client protocol (docs/PROTOCOL.md): clients,
// their surfaces and their leases of the outputs' frames. A surface is on one
// output and covers its whole frame; each lease is a band of its rows, a memfd
// of the client's that commits copy into the frame (compositor/lease.hpp).
// Any request that does not make sense (an unknown or reused id, a lease that
// does not fit, an fd that is not a sync_file) is that client's protocol
// error; nothing else is affected. Loop thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "compositor/client_connection.hpp"
#include "compositor/lease.hpp"
#include "compositor/pagemap_watch.hpp"
#include "fence/fence_wait.hpp"

namespace udefio {

// What the server knows of an output: how clients name it and where their
// leases land. The session keeps the target alive while the server has it.
struct ServedOutput {
    uint32_t id = 0;  // never reused while udefio runs; stays across mode changes
    std::string name;
    uint32_t refresh_mhz = 60'000;
    LeaseTarget* target = nullptr;
};

class Server final : public ClientConnection::Handler {
public:
    static constexpr size_t kMaxSurfaces = 16;  // per client
    static constexpr size_t kMaxLeases = 16;    // per client

    explicit Server(EventLoop& loop);
    // Revokes every lease and drops every client.
    ~Server();

    void add_client(UniqueFd socket);

    // Outputs. The first one added is the default until told otherwise.
    // add: version-2 clients hear of it; surfaces without an output (theirs
    // went away) move to it if it is the default.
    void add_output(const ServedOutput& output);
    // The output's frame was replaced (a mode change): leases on the old one
    // are revoked (output_changed), its surfaces get a configure of the new size.
    void replace_output(const ServedOutput& output);
    // Its leases are revoked (output_gone) before this returns, so its target
    // may go; its surfaces move to the default output, or wait for one.
    void remove_output(uint32_t id);
    // Where create_surface (version 1) puts a surface; 0: none (such surfaces wait).
    void set_default_output(uint32_t id);

    // The output presented: every surface on it that committed since gets
    // `presented` and `frame`.
    void on_presented(uint32_t output, uint64_t sequence, std::chrono::nanoseconds timestamp);
    // udefio was told to: every lease is revoked.
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
        uint32_t output = 0;                  // 0: none yet (its own went away, no default)
        Damage damage;                        // since the last commit, in frame coordinates
        std::shared_ptr<Fence> fence;         // the next commit waits for it
        std::unique_ptr<FenceWait> fence_wait;
        std::optional<uint32_t> shown_serial; // committed, not yet presented
    };
    struct LeaseEntry {
        uint32_t surface;
        uint32_t output;
        uint64_t generation;  // which lease of this id: an expiry names the one it was armed for
                              // (an expired entry lingers, revoked, until its id is reused)
        std::unique_ptr<Lease> lease;
        EventSource expiry;  // armed when leases have a lifetime
        std::optional<PagemapWatch> pagemap;  // the client's writes, if it asked (track_lease)
    };
    struct Client {
        std::unique_ptr<ClientConnection> connection;
        uint32_t version = 0;  // 0 until hello
        std::map<uint32_t, Surface> surfaces;
        std::map<uint32_t, LeaseEntry> leases;
    };

    void handle(Client& c, const wire::Hello& m);
    void handle(Client& c, const wire::CreateSurface& m);
    void handle(Client& c, const wire::CreateSurfaceOn& m);
    void handle(Client& c, const wire::LeaseBuffer& m);
    void handle(Client& c, const wire::DamageRect& m);
    void handle(Client& c, const wire::Commit& m);
    void handle(Client& c, const wire::AttachFence& m, UniqueFd fd);
    void handle(Client& c, const wire::DestroySurface& m);
    void handle(Client& c, const wire::ReleaseLease& m);
    void handle(Client& c, const wire::TrackLease& m);
    void create_surface(Client& c, uint32_t surface, uint32_t output);
    Surface* surface(Client& c, uint32_t id);
    // The surface is (now) on its output: tell the client where and how big.
    void configure(Client& c, uint32_t surface_id);
    void send_output_info(Client& c, const ServedOutput& output);
    void compose(Client& c, uint32_t surface_id, uint32_t serial);
    Result<Damage> written_rows(Client& c, uint32_t lease_id, LeaseEntry& entry);
    // Revokes the leases matching `which`, telling the client why.
    template <class Which>
    void revoke_leases(Client& c, Which which, wire::RevokeReason reason);
    void expire(uint32_t client_id, uint32_t lease_id, uint64_t generation);
    const ServedOutput* output(uint32_t id) const;

    EventLoop& loop_;
    std::map<uint32_t, Client> clients_;  // by connection id
    std::map<uint32_t, ServedOutput> outputs_;
    uint32_t default_output_ = 0;
    uint64_t next_generation_ = 1;
    std::chrono::milliseconds lease_lifetime_{0};
};

}  // namespace udefio
