// libudefio-client: the C API of udefio-client.h over protocol/wire.hpp.
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "defio/trackers/userfaultfd.hpp"
#include "defio/uapi.hpp"
#include "protocol/wire.hpp"
#include "udefio/udefio-client.h"

using namespace udefio;

struct udefio_client {
    int fd = -1;
    std::string error;
    uint32_t next_id = 1;
    uint32_t next_serial = 1;
    uint32_t width = 0, height = 0, stride = 0;
    std::map<uint32_t, uint32_t> presented;  // surface -> last presented serial
    udefio_frame_fn frame_fn = nullptr;
    void* frame_data = nullptr;
    udefio_presented_fn presented_fn = nullptr;
    void* presented_data = nullptr;
    udefio_revoked_fn revoked_fn = nullptr;
    void* revoked_data = nullptr;
    // Leases whose mapping is registered write-protect-async, so that udefio
    // finds our stores through our pagemap (the registration lives with the fd).
    std::map<uint32_t, Userfaultfd> tracked;

    int fail(std::string why)
    {
        error = std::move(why);
        return -1;
    }
    int send(const wire::Request& request);
    // Reads one event (blocking up to timeout_ms); handles the ones callbacks
    // are for. Returns it, or nullopt with `error` set.
    std::optional<wire::Event> read_event(int timeout_ms, int* fd_out);
    // Reads events until one of type T arrives (others are dispatched).
    template <class T>
    std::optional<T> wait_for(int* fd_out = nullptr);
};

int udefio_client::send(const wire::Request& request)
{
    const auto bytes = wire::encode(request);
    if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != ssize_t(bytes.size()))
        return fail(std::string("sending ") + std::string(wire::opcode_name(uint32_t(bytes[0]))) + ": " +
                    std::strerror(errno));
    return 0;
}

std::optional<wire::Event> udefio_client::read_event(int timeout_ms, int* fd_out)
{
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, timeout_ms);
    if (ready <= 0) {
        fail(ready == 0 ? "timed out waiting for udefio" : std::string("poll: ") + std::strerror(errno));
        return std::nullopt;
    }
    std::byte data[wire::kMaxMessage];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t got = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (got <= 0) {
        fail(got == 0 ? "udefio closed the connection" : std::string("recvmsg: ") + std::strerror(errno));
        return std::nullopt;
    }
    int received = -1;
    if (cmsghdr* c = CMSG_FIRSTHDR(&msg); c && c->cmsg_type == SCM_RIGHTS)
        std::memcpy(&received, CMSG_DATA(c), sizeof received);
    auto event = wire::decode_event(std::span(data, size_t(got)), received >= 0 ? 1 : 0);
    if (!event) {
        if (received >= 0)
            ::close(received);
        fail("a bad event from udefio: " + event.error().message());
        return std::nullopt;
    }
    if (fd_out)
        *fd_out = received;
    else if (received >= 0)
        ::close(received);
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, wire::Frame>) {
                if (frame_fn)
                    frame_fn(frame_data, e.surface, e.serial);
            } else if constexpr (std::is_same_v<T, wire::Presented>) {
                presented[e.surface] = e.serial;
                if (presented_fn)
                    presented_fn(presented_data, e.surface, e.serial, e.sequence, e.timestamp_ns);
            } else if constexpr (std::is_same_v<T, wire::Revoked>) {
                if (revoked_fn)
                    revoked_fn(revoked_data, e.lease, e.reason);
            } else if constexpr (std::is_same_v<T, wire::ErrorEvent>) {
                error = std::string("udefio: ") + e.message;
            }
        },
        *event);
    return *event;
}

template <class T>
std::optional<T> udefio_client::wait_for(int* fd_out)
{
    for (;;) {
        int fd_in = -1;
        auto event = read_event(5000, &fd_in);
        if (!event)
            return std::nullopt;
        if (auto* wanted = std::get_if<T>(&*event)) {
            if (fd_out)
                *fd_out = fd_in;
            else if (fd_in >= 0)
                ::close(fd_in);
            return *wanted;
        }
        if (fd_in >= 0)
            ::close(fd_in);
        if (std::holds_alternative<wire::ErrorEvent>(*event))
            return std::nullopt;
    }
}

extern "C" {

struct udefio_client* udefio_connect(const char* socket_path, char* error, size_t error_size)
{
    auto report = [&](const std::string& why) -> udefio_client* {
        if (error && error_size)
            std::snprintf(error, error_size, "%s", why.c_str());
        return nullptr;
    };
    std::string path;
    if (socket_path)
        path = socket_path;
    else if (const char* env = std::getenv("UDEFIO_SOCKET"); env && *env)
        path = env;
    else if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
        path = std::string(runtime) + "/udefio-0";
    else
        return report("no socket: set UDEFIO_SOCKET or XDG_RUNTIME_DIR, or pass a path");
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path)
        return report("socket path too long: " + path);
    // Owned by the caller until udefio_disconnect: a C API hands out the pointer.
    udefio_client* client = std::make_unique<udefio_client>().release();
    client->fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (client->fd < 0 || ::connect(client->fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        const std::string why = "connect to " + path + ": " + std::strerror(errno);
        udefio_disconnect(client);
        return report(why);
    }
    if (client->send(wire::Hello{wire::kVersion}) != 0 || !client->wait_for<wire::Welcome>()) {
        const std::string why = client->error;
        udefio_disconnect(client);
        return report(why);
    }
    return client;
}

void udefio_disconnect(struct udefio_client* client)
{
    if (!client)
        return;
    const std::unique_ptr<udefio_client> owned(client);
    if (owned->fd >= 0)
        ::close(owned->fd);
}

const char* udefio_last_error(const struct udefio_client* client) { return client->error.c_str(); }

int udefio_create_surface(struct udefio_client* client, uint32_t* surface, uint32_t* width, uint32_t* height)
{
    const uint32_t id = client->next_id++;
    if (client->send(wire::CreateSurface{id}) != 0)
        return -1;
    auto configure = client->wait_for<wire::Configure>();
    if (!configure)
        return -1;
    client->width = configure->width;
    client->height = configure->height;
    client->stride = configure->stride;
    *surface = id;
    if (width)
        *width = configure->width;
    if (height)
        *height = configure->height;
    return 0;
}

int udefio_lease(struct udefio_client* client, uint32_t surface, uint32_t first_row, uint32_t rows,
                 struct udefio_buffer* buffer)
{
    if (!client->stride)
        return client->fail("lease before create_surface");
    const uint32_t id = client->next_id++;
    const uint64_t offset = uint64_t(first_row) * client->stride;
    const uint64_t length = uint64_t(rows) * client->stride;
    if (client->send(wire::LeaseBuffer{surface, id, offset, length}) != 0)
        return -1;
    int fd = -1;
    auto leased = client->wait_for<wire::Leased>(&fd);
    if (!leased)
        return -1;
    void* data = ::mmap(nullptr, leased->length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (data == MAP_FAILED)
        return client->fail(std::string("mmap of the lease: ") + std::strerror(errno));
    *buffer = {data, size_t(leased->length), client->width, uint32_t(leased->length / leased->stride),
               leased->stride, uint32_t(leased->offset / leased->stride), id};
    // Best effort: where this kernel and its settings allow it, udefio reads
    // which pages we wrote from our page tables; else it compares the lease.
    auto uffd = Userfaultfd::open_for_write_protect(std::span(static_cast<std::byte*>(data), size_t(leased->length)),
                                                    UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED);
    if (uffd) {
        client->tracked.emplace(id, std::move(uffd).value());
        if (client->send(wire::TrackLease{id, 0, reinterpret_cast<uintptr_t>(data)}) != 0)
            return -1;
    }
    return 0;
}

int udefio_release(struct udefio_client* client, struct udefio_buffer* buffer)
{
    client->tracked.erase(buffer->lease);
    ::munmap(buffer->data, buffer->size);
    const int r = client->send(wire::ReleaseLease{buffer->lease});
    *buffer = {};
    return r;
}

int udefio_damage(struct udefio_client* client, uint32_t surface, int32_t x, int32_t y, int32_t width, int32_t height)
{
    return client->send(wire::DamageRect{surface, x, y, width, height});
}

int64_t udefio_commit(struct udefio_client* client, uint32_t surface)
{
    const uint32_t serial = client->next_serial++;
    if (client->send(wire::Commit{surface, serial}) != 0)
        return -1;
    return serial;
}

int udefio_event_fd(const struct udefio_client* client) { return client->fd; }

int udefio_dispatch(struct udefio_client* client)
{
    int handled = 0;
    for (;;) {
        pollfd p{client->fd, POLLIN, 0};
        if (::poll(&p, 1, 0) != 1)
            return handled;
        auto event = client->read_event(0, nullptr);
        if (!event || std::holds_alternative<wire::ErrorEvent>(*event))
            return -1;
        ++handled;
    }
}

int udefio_wait_presented(struct udefio_client* client, uint32_t surface, int64_t serial, int timeout_ms)
{
    while (client->presented[surface] < serial) {
        auto event = client->read_event(timeout_ms, nullptr);
        if (!event || std::holds_alternative<wire::ErrorEvent>(*event))
            return -1;
    }
    return 0;
}

void udefio_set_frame_callback(struct udefio_client* client, udefio_frame_fn fn, void* data)
{
    client->frame_fn = fn;
    client->frame_data = data;
}

void udefio_set_presented_callback(struct udefio_client* client, udefio_presented_fn fn, void* data)
{
    client->presented_fn = fn;
    client->presented_data = data;
}

void udefio_set_revoked_callback(struct udefio_client* client, udefio_revoked_fn fn, void* data)
{
    client->revoked_fn = fn;
    client->revoked_data = data;
}

}  // extern "C"
