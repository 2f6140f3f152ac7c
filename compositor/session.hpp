// The compositor, in the manner of tinywl: one type that owns the backend,
// a binding per output (compositor/output_binding.hpp), the main client
// that runs full screen on one of them, the protocol server with its
// clients and the programs kept running beside, and says in named handlers
// what happens when an output comes, goes, changes its mode or presents.
//
// An output that goes away is not the end: its leases are revoked (the
// clients' mappings get SIGBUS), the main client stops if it was there and
// starts again on the next output that appears. The session ends when told
// to (stop(), SIGINT, SIGTERM), when the main client ended for good, or when
// the backend itself is gone. Loop thread only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/backend_factory.hpp"
#include "compositor/fbdev_client.hpp"
#include "compositor/main_client.hpp"
#include "compositor/output_binding.hpp"
#include "compositor/program_supervisor.hpp"
#include "compositor/server.hpp"
#include "compositor/session_cursor.hpp"
#include "compositor/socket_listener.hpp"
#include "input/seat_input.hpp"
#include "seat/seat_session.hpp"

namespace udefio {

struct SessionConfig {
    BackendOptions backend;
    BindingOptions binding;        // every output's frame; the tracker is the main output's
    std::string main_output;       // where the main client goes (--output); empty: the first output
    std::string socket;            // the protocol clients' socket; empty: no server
    SocketListener::Options socket_access;  // its group and mode (--socket-group, --socket-mode)
    std::chrono::milliseconds lease_lifetime{0};  // 0: leases never expire
    ServerLimits limits;                          // on clients and their shadows
    std::vector<std::string> clients;             // shell commands kept running beside, as protocol clients
    RestartOptions restart;                       // for those
    std::chrono::milliseconds blank_after{0};     // --blank-after: idle this long, the outputs go off; 0: never
    InputConfig input;                            // the seat's keyboard (with a KMS backend)
    FocusRequests focus_requests = FocusRequests::any;  // who may take the input focus (--focus-requests)
    CursorMode cursor = CursorMode::automatic;          // the software cursor (--cursor)
    // Each of those also sees a /dev/fb0 (compositor/fbdev_client.hpp): the
    // i-th, rows client_rows[i] of the main client's output (missing, or 0
    // rows: all of them). It runs where the main client runs, and moves with it.
    bool fbdev_clients = false;
    std::vector<LeasePlace> client_rows;
};

class Session final : public InputListener, private SeatListener {
public:
    static Result<std::unique_ptr<Session>> start(EventLoop& loop, SessionConfig config,
                                                  std::unique_ptr<MainClient> main);
    ~Session();

    // Runs the loop until the session ends; an error says why it ended early
    // (the main client failed, the backend went away).
    Result<void> run();
    void stop();
    // Everything pending now reaches the outputs (before a last snapshot).
    void flush_all();

    Backend& backend() { return *backend_; }
    // The seat shared by the KMS backend and the input layer, or null (no
    // KMS backend, or no seat could be opened: devices opened directly).
    SeatSession* seat() const { return seat_.get(); }
    SeatInput* input() const { return input_.get(); }
    Server* server() { return server_.get(); }
    // The main client's binding, or null while it waits for an output.
    OutputBinding* main_binding() const { return main_binding_; }
    // The binding the main client drew into last, while it exists (after
    // run(): what its output shows at the end).
    OutputBinding* last_main_binding() const { return last_main_binding_; }
    OutputBinding* binding(const std::string& output_name) const;
    // Flushes and presentations over the whole run, of every binding there was.
    FlushStats stats() const;
    uint64_t presented() const { return presented_; }
    // Whether the outputs are switched off by --blank-after.
    bool blanked() const { return blanked_; }
    // An input event: the idle time starts again, blanked outputs come on.
    void on_input_activity();
    // Every input event of the seat (SeatInput's listener): it wakes blanked
    // outputs and goes to the input focus, a protocol client's surface
    // (compositor/server.hpp), else the main client.
    void on_input(const InputEvent& event) override;
    // The tracker of the main client's frame (the last one it had).
    TrackerKind main_tracker() const { return main_tracker_; }
    const MainClient& main_client() const { return *main_; }
    const SessionCursor& cursor() const { return cursor_; }

    Session(EventLoop& loop, SessionConfig config, std::unique_ptr<Backend> backend,
            std::unique_ptr<MainClient> main);

private:
    Result<void> set_up();
    // Handlers.
    void on_output_added(Output& output);
    void on_output_removed(Output& output);
    void on_mode_changed(Output& output);
    void on_presented(OutputBinding& binding, const Presentation& presentation);
    void on_main_ended(const ChildExit& exit);
    void on_backend_gone(const std::string& why);
    void on_revoke_request();  // SIGUSR1
    // Idle blanking (--blank-after): the timer checks how long since the
    // last input or presented frame; wake() switches every output on.
    void on_blank_timer();
    void note_activity();
    void wake(const char* why);
    // The seat switched away and back: the backend stops and resumes its
    // commits; the session marks the gap in the profile.
    void on_seat_disabled() override;
    void on_seat_enabled() override;
    void gap_began(const char* why);
    void gap_ended(const char* why);

    // The binding for `output`, made (and its callbacks set) now; one for
    // the main client is tracked as the main client needs.
    Result<OutputBinding*> bind(Output& output, uint32_t id, bool for_main);
    // Ends a binding: its leases revoked, its frame detached, its flushes counted.
    void unbind(std::map<uint32_t, std::unique_ptr<OutputBinding>>::iterator it);
    bool main_may_use(const Output& output) const;
    void attach_main(OutputBinding& binding);
    void detach_main();
    void attach_fbdev_client(FbdevClient& client);
    void end(Result<void> outcome);

    EventLoop& loop_;
    const SessionConfig config_;
    std::unique_ptr<SeatSession> seat_;  // before backend_: the backend's devices close first
    std::unique_ptr<Backend> backend_;
    std::map<uint32_t, std::unique_ptr<OutputBinding>> bindings_;  // by protocol id
    std::map<const Output*, uint32_t> ids_;  // an output keeps its id across mode changes
    uint32_t next_id_ = 1;
    FlushStats finished_stats_;  // of the bindings that are gone
    uint64_t presented_ = 0;
    TrackerKind main_tracker_ = TrackerKind::shadow;

    std::unique_ptr<MainClient> main_;
    OutputBinding* main_binding_ = nullptr;
    OutputBinding* last_main_binding_ = nullptr;
    std::unique_ptr<Server> server_;
    std::unique_ptr<SocketListener> listener_;
    std::vector<std::unique_ptr<ProgramSupervisor>> clients_;
    std::vector<std::unique_ptr<FbdevClient>> fbdev_clients_;  // attached with the main client
    std::vector<EventSource> signals_;
    std::optional<Result<void>> outcome_;  // set once the session ends
    SessionCursor cursor_{config_.cursor};  // drawn on the main client's output
    std::unique_ptr<SeatInput> input_;      // with a seat of a KMS backend; its devices close first
    EventSource blank_timer_;               // armed while not blanked, with --blank-after
    std::chrono::nanoseconds last_activity_{};
    bool blanked_ = false;
};

}  // namespace udefio
