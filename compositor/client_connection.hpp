// One client on the compositor's socket: reads one message per packet with
// its fds (SCM_RIGHTS), decodes it (protocol/wire.hpp) and hands it to the
// server; sends events. Anything wrong with what the client sends - a bad
// message, the wrong fds, a socket it never reads (the queue of unsent events
// is bounded) - ends this client only: an `error` event if it can still be
// sent, then the server is told to drop it. Loop thread only.
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loop/event_loop.hpp"
#include "util/unique_fd.hpp"
#include "protocol/wire.hpp"

namespace udefio {

class ClientConnection {
public:
    // What the server does with a client's requests and its end. A handler
    // may call fail() or send() from on_request; on_gone runs once, from a
    // posted callback, so the server may destroy the connection there.
    struct Handler {
        virtual void on_request(ClientConnection& client, const wire::Request& request, UniqueFd fd) = 0;
        virtual void on_gone(ClientConnection& client, const std::string& why) = 0;

    protected:
        ~Handler() = default;
    };

    static constexpr size_t kMaxQueuedEvents = 256;

    static Result<std::unique_ptr<ClientConnection>> start(EventLoop& loop, UniqueFd socket, Handler& handler);

    uint32_t id() const { return id_; }
    pid_t pid() const { return pid_; }
    bool failed() const { return gone_; }

    // Sends an event, with `fd` if it carries one (the fd is duplicated by the kernel).
    void send(const wire::Event& event, int fd = -1);
    // A protocol error: tells the client why, logs it, and drops the client.
    void fail(wire::ErrorCode code, const std::string& why);

    ClientConnection(EventLoop& loop, UniqueFd socket, Handler& handler, uint32_t id, pid_t pid);

private:
    struct Packet {
        std::vector<std::byte> bytes;
        UniqueFd fd;
    };
    void on_readable();
    bool flush_queue();  // false: the socket is full or broken
    void end(const std::string& why);

    EventLoop& loop_;
    UniqueFd socket_;
    Handler& handler_;
    const uint32_t id_;
    const pid_t pid_;
    EventSource watch_;
    std::deque<Packet> queue_;  // events the socket did not take yet
    bool gone_ = false;
    std::shared_ptr<ClientConnection*> self_;  // posted callbacks check it is still alive
};

}  // namespace udefio
