// The compositor's side of the client protocol (docs/PROTOCOL.md): clients,
// their surfaces and their leases of the outputs' frames. A surface is on one
// output and covers its whole frame; each lease is a band of its rows, a memfd
// of the client's that commits copy into the frame (compositor/lease.hpp).
// Any request that does not make sense (an unknown or reused id, a lease that
// does not fit, an fd that is not a sync_file) is that client's protocol
// error; nothing else is affected.
//
// No client holds the loop for long: its damage is a few rectangles
// whatever it sends, a request that costs more (track_lease, commit) ends
// its wakeup, and commits are copied a budget of bytes per wakeup, the
// clients taking turns (compositor/commit_copy.hpp); a committing client's
// later requests wait until its commit is copied. Loop thread only.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "compositor/client_connection.hpp"
#include "compositor/client_lease.hpp"
#include "compositor/commit_copy.hpp"
#include "fence/fence_wait.hpp"
#include "input/input_event.hpp"
#include "util/weak_self.hpp"

namespace udefio {

// What the server knows of an output: how clients name it and where their
// leases land. The session keeps the target alive while the server has it.
struct ServedOutput {
    uint32_t id = 0;  // never reused while udefio runs; stays across mode changes
    std::string name;
    uint32_t refresh_mhz = 60'000;
    LeaseTarget* target = nullptr;
};

// What all clients together may take.
struct ServerLimits {
    size_t max_clients = 64;                // more are refused with an error
    size_t shadow_bytes = size_t(256) << 20;  // the shadows of damage-less commits, all clients
};

// Who may take the input focus from the main client with request_focus
// (--focus-requests): any client, only the main program (its process group:
// it and what it started), or none. The main program is given the focus at
// its first surface, whatever this says, unless a client has it.
enum class FocusRequests { any, main_program, none };
Result<FocusRequests> parse_focus_requests(const std::string& name);

class Server final : public ClientConnection::Handler {
public:
    static constexpr size_t kMaxSurfaces = 16;  // per client
    static constexpr size_t kMaxLeases = 16;    // per client
    static constexpr size_t kMaxWaitingCommits = 16;  // per surface
    // Bytes of leases compared or copied per wakeup of the loop, all clients
    // together: about a millisecond of memcpy.
    static constexpr size_t kCopyBudget = size_t(4) << 20;

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
    void set_limits(const ServerLimits& limits);
    size_t clients() const { return clients_.size(); }

    // Input (version 3). `main_group` tells the process group of the main
    // program now running (0: none, or the demo).
    void set_focus_policy(FocusRequests requests, std::function<pid_t()> main_group);
    // Sends the event to the surface that has the input focus; false when no
    // client's surface has it (the event is then the main client's).
    bool deliver_input(const InputEvent& event);
    // The client (connection id) and surface that have the input focus.
    std::optional<std::pair<uint32_t, uint32_t>> focus() const;
    // Leases whose client's writes are found through its pagemap.
    size_t pagemap_leases() const;

    void on_request(ClientConnection& client, const wire::Request& request, UniqueFd fd) override;
    void on_gone(ClientConnection& client, const std::string& why) override;

private:
    struct WaitingCommit {
        uint32_t serial;
        Damage damage;                 // what the client said it changed; empty: find out
        std::shared_ptr<Fence> fence;  // its attach_fence; null once signalled
    };
    struct Surface {
        uint32_t output = 0;                  // 0: none yet (its own went away, no default)
        Damage damage;                        // since the last commit, in frame coordinates
        std::shared_ptr<Fence> fence;         // the next commit waits for it
        // Commits waiting for their fence, or for one before them: a
        // surface's commits are copied in the order they came.
        std::deque<WaitingCommit> waiting;
        std::unique_ptr<FenceWait> fence_wait;  // the first one's
        std::optional<uint32_t> shown_serial;   // copied, not yet presented
    };
    struct Client {
        std::unique_ptr<ClientConnection> connection;
        uint32_t version = 0;  // 0 until hello
        std::map<uint32_t, Surface> surfaces;
        ClientLeases leases;
        std::deque<CommitCopy> copies;  // commits being copied, in order; its requests wait meanwhile
        // Its process's pagemap and maps, opened at its first track_lease
        // (null: not yet, or it cannot be opened: `memory_error` says why).
        std::shared_ptr<ProcessMemory> memory;
        std::string memory_error;
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
    void handle(Client& c, const wire::RequestFocus& m);
    bool is_main_program(const Client& c) const;
    void give_focus(Client& c, uint32_t surface, const char* why);
    // The client's surface (nullopt: whichever of its surfaces) no longer
    // has the focus; the main client has it now.
    void drop_focus(uint32_t client, std::optional<uint32_t> surface, const char* why);
    void create_surface(Client& c, uint32_t surface, uint32_t output);
    Surface* surface(Client& c, uint32_t id);
    // The surface is (now) on its output: tell the client where and how big.
    void configure(Client& c, uint32_t surface_id);
    void send_output_info(Client& c, const ServedOutput& output);
    // Queues the copies of the surface's commits whose fences signalled, up
    // to the first that waits; that one's fence is waited for.
    void advance_commits(Client& c, uint32_t surface_id);
    // The commit's copy is queued; the client waits until it is done.
    void start_copy(Client& c, uint32_t surface_id, uint32_t serial, Damage damage);
    // One wakeup's budget of copying, the clients with commits in turn.
    void run_copies();
    void refuse_client(UniqueFd socket);
    // Revokes the leases matching `which`, telling the client why.
    template <class Which>
    void revoke_leases(Client& c, Which which, wire::RevokeReason reason);
    void expire(uint32_t client_id, uint32_t lease_id, uint64_t generation);
    const ServedOutput* output(uint32_t id) const;

    EventLoop& loop_;
    ServerLimits limits_;
    MemoryBudget shadows_{limits_.shadow_bytes};  // outlives the clients' reservations
    std::map<uint32_t, Client> clients_;  // by connection id
    std::map<uint32_t, ServedOutput> outputs_;
    uint32_t default_output_ = 0;
    uint64_t next_generation_ = 1;
    std::chrono::milliseconds lease_lifetime_{0};
    struct FocusHolder {
        uint32_t client;  // connection id
        uint32_t surface;
    };
    std::optional<FocusHolder> focus_;  // none: the main client has it
    FocusRequests focus_requests_ = FocusRequests::any;
    std::function<pid_t()> main_group_;
    std::deque<uint32_t> copying_;  // clients with commits to copy, whose turn is next first
    bool copies_posted_ = false;
    uint64_t refused_ = 0;  // clients refused (--max-clients) since the last log line about it
    std::chrono::steady_clock::time_point refusal_logged_{};
    WeakSelf<Server> self_{*this};  // run_copies, posted
};

}  // namespace udefio
