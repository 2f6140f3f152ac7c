// One client on the compositor's socket: reads one message per packet with
// its fds (SCM_RIGHTS), decodes it (protocol/wire.hpp) and hands it to the
// server; sends events. Anything wrong with what the client sends - a bad
// message, the wrong fds, a socket it never reads (the queue of unsent events
// is bounded) - ends this client only: an `error` event if it can still be
// sent, then the server is told to drop it. Loop thread only.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "compositor/peer_process.hpp"
#include "loop/event_loop.hpp"
#include "util/unique_fd.hpp"
#include "protocol/wire.hpp"

namespace udefio {

class ClientConnection {
public:
    // What the server does with a client's requests and its end. A handler
    // may call fail(), send(), end_wakeup() or pause() from on_request;
    // on_gone runs once, from a posted callback, so the server may destroy
    // the connection there.
    struct Handler {
        virtual void on_request(ClientConnection& client, const wire::Request& request, UniqueFd fd) = 0;
        virtual void on_gone(ClientConnection& client, const std::string& why) = 0;

    protected:
        ~Handler() = default;
    };

    static constexpr size_t kMaxQueuedEvents = 256;
    static constexpr int kMaxRequestsPerWakeup = 64;

    static Result<std::unique_ptr<ClientConnection>> start(EventLoop& loop, UniqueFd socket, Handler& handler);

    uint32_t id() const { return id_; }
    pid_t pid() const { return peer_.pid(); }
    const PeerProcess& peer() const { return peer_; }
    bool failed() const { return gone_; }

    // Sends an event that carries no fd.
    void send(const wire::Event& event);
    // Sends an event with the fd it carries (duplicated now, passed by the
    // kernel). An event is never sent without its fd: if the fd cannot be
    // duplicated (udefio is at its fd limit), nothing is sent and the error says so.
    Result<void> send(const wire::Event& event, int fd);
    // A protocol error: tells the client why, logs it, and drops the client.
    void fail(wire::ErrorCode code, const std::string& why);

    // The requests still waiting in the socket are read at a later wakeup:
    // the one just handled cost enough for this one.
    void end_wakeup() { wakeup_ended_ = true; }
    // No request is read until resume() (a commit being copied holds the
    // client's later requests); what the client sends meanwhile waits in its socket.
    void pause();
    void resume();

    ClientConnection(EventLoop& loop, UniqueFd socket, Handler& handler, uint32_t id, PeerProcess peer);

private:
    struct Packet {
        std::vector<std::byte> bytes;
        UniqueFd fd;
    };
    void on_readable();
    // A 0-byte packet and the end of the connection both read as 0 bytes on
    // SOCK_SEQPACKET: the peer's hang-up tells them apart.
    bool peer_hung_up() const;
    bool flush_queue();  // false: the socket is full or broken
    void end(const std::string& why);

    EventLoop& loop_;
    UniqueFd socket_;
    Handler& handler_;
    const uint32_t id_;
    const PeerProcess peer_;
    EventSource watch_;
    std::deque<Packet> queue_;  // events the socket did not take yet
    bool gone_ = false;
    bool paused_ = false;
    bool wakeup_ended_ = false;
    std::shared_ptr<ClientConnection*> self_;  // posted callbacks check it is still alive
};

}  // namespace udefio
