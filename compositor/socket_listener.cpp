#include "compositor/socket_listener.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "util/log.hpp"

namespace udefio {

Result<std::string> SocketListener::default_path()
{
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime || !*runtime)
        return plain_error("XDG_RUNTIME_DIR is not set: give the socket's place with --socket PATH");
    return std::string(runtime) + "/udefio-0";
}

Result<std::unique_ptr<SocketListener>> SocketListener::listen(EventLoop& loop, const std::string& path,
                                                               OnClient on_client)
{
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return plain_error("socket path '" + path + "': empty or longer than " +
                           std::to_string(sizeof addr.sun_path - 1) + " bytes");
    const std::string lock_path = path + ".lock";
    UniqueFd lock(::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
    if (!lock)
        return errno_error("open " + lock_path);
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return plain_error("socket " + path + " belongs to another running udefio (" + lock_path +
                               " is locked): stop it or choose another --socket");
        return errno_error("flock " + lock_path);
    }
    // We hold the lock: a socket file here is a dead instance's.
    if (::unlink(path.c_str()) == 0)
        UDEFIO_LOG(info, "removed the stale socket %s", path.c_str());
    else if (errno != ENOENT)
        return errno_error("remove the stale socket " + path);
    UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!socket)
        return errno_error("socket(AF_UNIX, SOCK_SEQPACKET)");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return errno_error("bind " + path);
    if (::listen(socket.get(), 128) != 0) {
        const Error error = errno_error("listen on " + path);
        ::unlink(path.c_str());
        return error;
    }
    auto listener =
        std::make_unique<SocketListener>(path, std::move(lock), std::move(socket), std::move(on_client));
    auto watch = loop.watch_readable(listener->socket_.get(), [l = listener.get()] { l->accept_clients(); });
    if (!watch)
        return watch.error();  // the destructor removes the files
    listener->watch_ = std::move(watch).value();
    return listener;
}

SocketListener::SocketListener(std::string path, UniqueFd lock, UniqueFd socket, OnClient on_client)
    : path_(std::move(path)), lock_(std::move(lock)), socket_(std::move(socket)), on_client_(std::move(on_client))
{
}

SocketListener::~SocketListener()
{
    watch_ = EventSource();
    ::unlink(path_.c_str());
    ::unlink((path_ + ".lock").c_str());
}

void SocketListener::accept_clients()
{
    for (;;) {
        UniqueFd client(::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!client) {
            if (errno != EAGAIN && errno != EINTR)
                UDEFIO_LOG(warn, "accept on %s: %s", path_.c_str(), std::strerror(errno));
            return;
        }
        on_client_(std::move(client));
    }
}

}  // namespace udefio
