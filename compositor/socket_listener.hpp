// The compositor's unix socket (`--socket PATH`, default
// $XDG_RUNTIME_DIR/udefio-0), SOCK_SEQPACKET so that a message is one packet.
// Ownership is a flock on PATH.lock, as Wayland compositors do: if another
// udefio holds it, claiming fails with that said; a socket left behind by one
// that died (the lock is free) is stale and replaced. Anything else at PATH
// (a file, a directory, a link) is an error, and is left as it was, with no
// lock file next to it. Both files are removed when the listener goes.
// The socket is bound and listening under PATH.new before it is renamed onto
// PATH, so that a client never finds at PATH a socket that refuses it while
// a udefio restarts (only the dead one's, or the new one listening).
//
// Claiming comes first and serving later, so that a second udefio on the
// same socket fails before it brings up an output; clients that connect in
// between wait in the backlog.
//
// Clients never take the compositor's last fds: a client whose socket lands
// among the last kFdHeadroom of RLIMIT_NOFILE is closed at once (fds are
// handed out lowest first, so the number says the table below is full).
// What the compositor itself still opens - a restarted program's pipes and
// seccomp listener, a lease's memfd, a flip's fence - has room left, and so
// do the sanitizers, which test memory through a pipe. At the fd limit
// itself (the compositor filled it) a pending client is accepted on a spare
// fd kept for it and closed at once, so that it learns and the
// level-triggered listener does not wake the loop for it again and again.
// What was refused is logged at most every few seconds.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "loop/event_loop.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class SocketListener {
public:
    static constexpr int kFdHeadroom = 16;

    // Who may connect: a connection needs write permission on the socket.
    struct Options {
        std::optional<gid_t> group;  // --socket-group: the socket's group
        std::optional<mode_t> mode;  // --socket-mode: default 0700, or 0770 with a group
        mode_t effective_mode() const { return mode ? *mode : group ? 0770 : 0700; }
        // From the flags' text (empty: not given): a group name or number, an octal mode.
        static Result<Options> from_flags(const std::string& group, const std::string& mode);
    };
    // `on_client` runs on the loop thread with each accepted connection.
    using OnClient = std::function<void(UniqueFd client)>;

    // Takes PATH (its lock; a stale socket replaced), bound and listening with
    // the options' group and mode; accepts nothing until serve().
    static Result<std::unique_ptr<SocketListener>> claim(const std::string& path, const Options& options = {});
    // Accepts clients on the loop from now on. Once.
    Result<void> serve(EventLoop& loop, OnClient on_client);
    // claim() and serve().
    static Result<std::unique_ptr<SocketListener>> listen(EventLoop& loop, const std::string& path,
                                                          OnClient on_client, const Options& options = {});
    // $XDG_RUNTIME_DIR/udefio-0, or an error saying XDG_RUNTIME_DIR is unset.
    static Result<std::string> default_path();
    ~SocketListener();

    const std::string& path() const { return path_; }
    // Clients closed at once because we were at (or kFdHeadroom from) the fd limit.
    uint64_t refused() const { return refused_; }

    SocketListener(std::string path, UniqueFd lock, UniqueFd socket);

private:
    enum class Refusal { refused, nobody_waiting, failed };
    void accept_clients();
    Refusal refuse_one();
    // A client refused: counted, and said at most every kLogEvery.
    void refused_client();
    void pause_accepting(int error);
    Result<void> watch();

    const std::string path_;
    UniqueFd lock_;  // flock'd PATH.lock
    UniqueFd socket_;
    UniqueFd spare_;  // /dev/null, given up to accept a client at the fd limit
    EventLoop* loop_ = nullptr;
    OnClient on_client_;
    EventSource watch_;
    EventSource resume_;  // after an accept error that a spare fd does not cure
    uint64_t refused_ = 0;
    uint64_t refused_logged_ = 0;
    std::chrono::steady_clock::time_point last_log_{};
};

}  // namespace udefio
