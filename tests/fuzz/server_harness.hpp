// The world that tests/fuzz/fuzz_server.cpp drives: a real Server on a loop
// that the harness steps itself (single-threaded, so an input replays the
// same way), several outputs that come, go and change size, and up to four
// clients on socketpairs that draw into their leases with plain stores. It
// knows what each client drew and committed, and checks after every step:
// - each frame holds only what clients committed: a pixel is 0 or a token a
//   client drew there before one of its commits (or while one was copying);
// - every lease the server says it revoked raises SIGBUS in its mapping
//   (all of them once the server is gone);
// - once everything is torn down, this process has the fds it had before.
// A broken rule aborts with what was seen.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compositor/server.hpp"
#include "defio/trackers/userfaultfd.hpp"

namespace udefio::fuzz {

class ServerHarness {
public:
    static constexpr size_t kClients = 4;

    ServerHarness();
    // Tears down in the order the session does and checks the end state.
    ~ServerHarness();

    // Client requests. A slot without a client gets one first, greeted
    // (slot 0 in version 3, 2 in version 2, 1 and 3 in version 1), so that scripts
    // get deep. Surfaces and leases are named by `pick`: one the client has,
    // or (pick >= kAnyId) any small id; nullopt: it has none to pick.
    static constexpr uint8_t kAnyId = 250;
    // `wanted`, or the smallest id below 6 that the client does not use yet.
    uint32_t unused_surface_id(size_t slot, uint32_t wanted);
    uint32_t unused_lease_id(size_t slot, uint32_t wanted);
    std::optional<uint32_t> surface_id(size_t slot, uint8_t pick);
    std::optional<uint32_t> lease_id(size_t slot, uint8_t pick);
    bool connect(size_t slot);  // false: the slot has a client already
    uint32_t version(size_t slot);  // of the hello it sent
    void hello(size_t slot, uint32_t version);
    void create_surface(size_t slot, uint32_t surface, std::optional<size_t> on_output);
    void lease(size_t slot, uint32_t surface, uint32_t lease, uint32_t offset_pages, uint32_t length_pages);
    void damage(size_t slot, uint32_t surface, int32_t x, int32_t y, int32_t width, int32_t height);
    void commit(size_t slot, uint32_t surface);
    enum class FenceKind { sync_file, eventfd, memfd, none };
    void attach_fence(size_t slot, uint32_t surface, FenceKind kind);
    void destroy_surface(size_t slot, uint32_t surface);
    void release(size_t slot, uint32_t lease);
    enum class TrackAt { registered, unregistered, unmapped, kernel, other_lease };
    void track(size_t slot, uint32_t lease, TrackAt where);
    void request_focus(size_t slot, uint32_t surface);
    void raw(size_t slot, std::span<const uint8_t> bytes);
    void disconnect(size_t slot);
    // The client's stores into its lease: a rectangle of one new token.
    void draw(size_t slot, uint32_t lease, uint32_t x, uint32_t y, uint32_t width, uint32_t height);
    // A hostile client shrinks its lease's memfd.
    void truncate(size_t slot, uint32_t lease);

    // A well-behaved client's whole frame, for depth in few bytes: a surface
    // and a lease of it if it has none, a rectangle drawn, damage for it (or
    // none: the server finds what changed), the commit, its output presenting.
    void frame(size_t slot, uint8_t pick, uint32_t x, uint32_t y, uint32_t width, uint32_t height, bool damaged);

    // What the session does.
    void present(size_t output);
    void remove_output(size_t output);
    void add_output();
    void replace_output(size_t output);
    void set_default_output(size_t output);
    void revoke_all();
    void signal_fences();
    // An input event of the seat, to the input focus (a client's surface, or
    // none); `kind` picks which of the kinds, `value` its key, button or place.
    void input(uint8_t kind, uint32_t value);

    // One wakeup of the loop, then every client's events, then the checks.
    void step();

    static bool have_sync_files();

    // What the scripts reached, over all inputs of this process: with
    // FUZZ_SERVER_STATS=1 the target prints them at exit (docs/RELIABILITY.md).
    struct Stats {
        uint64_t inputs, steps, leased, revoked_checked, committed, presented, errors[6], sync_files,
            frame_pixels_checked, clients_dropped, input_delivered, focus_changes;
    };
    static Stats& stats();
    static void print_stats();
    static std::map<std::string, uint64_t>& error_messages();

private:
    struct Output;
    struct Lease;
    struct Surface;
    struct Client;

    Client* client(size_t slot);
    Output* output_at(size_t index);
    Output* output_by_id(uint32_t id);
    Output* output_by_frame(uint64_t frame);
    Output* output_by_size(uint32_t width, uint32_t height);
    std::pair<uint32_t, uint32_t> unused_size() const;
    std::unique_ptr<Output> make_output(uint32_t id, std::pair<uint32_t, uint32_t> size);
    void send(Client& c, const wire::Request& request, int fd = -1);
    void drain(Client& c);
    void drain_all();
    void on_event(Client& c, const wire::Event& event, UniqueFd fd);
    void check_frames();
    void check_focus() const;
    void check_revoked(const Lease& lease, const char* when) const;
    [[noreturn]] void fail(const std::string& what) const;

    std::unique_ptr<EventLoop> loop_;
    std::vector<std::unique_ptr<Output>> outputs_;  // live; the server has each
    std::unique_ptr<Server> server_;
    std::vector<std::unique_ptr<Client>> clients_;   // kClients slots; null: none
    UniqueFd timeline_;                              // sw_sync, if this kernel has it
    uint64_t fences_made_ = 0;
    uint32_t next_output_id_ = 1;
    uint32_t next_token_ = 0x01000000;
    uint64_t sequence_ = 0;
    size_t fds_before_;
};

}  // namespace udefio::fuzz
