// The compositor's unix socket (`--socket PATH`, default
// $XDG_RUNTIME_DIR/udefio-0), SOCK_SEQPACKET so that a message is one packet.
// Ownership is a flock on PATH.lock, as Wayland compositors do: if another
// udefio holds it, starting fails with that said; a socket file left behind
// by one that died (the lock is free) is stale and replaced. Both files are
// removed when the listener goes.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "loop/event_loop.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class SocketListener {
public:
    // `on_client` runs on the loop thread with each accepted connection.
    using OnClient = std::function<void(UniqueFd client)>;

    static Result<std::unique_ptr<SocketListener>> listen(EventLoop& loop, const std::string& path, OnClient on_client);
    // $XDG_RUNTIME_DIR/udefio-0, or an error saying XDG_RUNTIME_DIR is unset.
    static Result<std::string> default_path();
    ~SocketListener();

    const std::string& path() const { return path_; }

    SocketListener(std::string path, UniqueFd lock, UniqueFd socket, OnClient on_client);

private:
    void accept_clients();

    const std::string path_;
    UniqueFd lock_;  // flock'd PATH.lock
    UniqueFd socket_;
    OnClient on_client_;
    EventSource watch_;
};

}  // namespace udefio
