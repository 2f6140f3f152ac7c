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
#include "util/scm_rights.hpp"

using namespace udefio;

struct udefio_client {
    // What udefio last said of a surface.
    struct Surface {
        uint32_t output = 0;
        uint32_t width = 0, height = 0, stride = 0;  // 0 until configured
        bool fresh = false;                          // configured since its last lease
    };

    int fd = -1;
    std::string error;
    uint32_t version = 0;  // what this connection speaks
    uint32_t next_id = 1;
    uint32_t next_serial = 1;
    std::map<uint32_t, Surface> surfaces;
    std::map<uint32_t, wire::OutputInfo> outputs;  // by id (protocol version 2)
    std::map<uint32_t, uint32_t> presented;  // surface -> last presented serial
    std::map<uint32_t, uint32_t> revoked;    // lease -> why udefio revoked it
    std::map<uint32_t, uint32_t> lease_surface;  // lease -> its surface
    udefio_frame_fn frame_fn = nullptr;
    void* frame_data = nullptr;
    udefio_presented_fn presented_fn = nullptr;
    void* presented_data = nullptr;
    udefio_revoked_fn revoked_fn = nullptr;
    void* revoked_data = nullptr;
    udefio_input_fn input_fn = nullptr;
    void* input_data = nullptr;
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

namespace {

// The fields each wire input event fills in udefio_input_event.
struct InputFields {
    udefio_input_event& out;

    void operator()(const wire::Focus& e) { out.type = UDEFIO_INPUT_FOCUS, out.focused = int(e.focused); }
    void operator()(const wire::Key& e)
    {
        out.type = UDEFIO_INPUT_KEY;
        out.time_us = e.time_us;
        out.key_state = int(e.state);
        out.key = e.key;
        out.keysym = e.keysym;
        out.mods_depressed = e.mods_depressed;
        out.mods_latched = e.mods_latched;
        out.mods_locked = e.mods_locked;
        out.group = e.group;
        out.text = e.text;  // checked to be NUL-terminated
    }
    void operator()(const wire::PointerMotion& e)
    {
        out.type = UDEFIO_INPUT_POINTER_MOTION;
        out.time_us = e.time_us;
        at(e.x, e.y);
        out.dx = wire::from_fixed(e.dx);
        out.dy = wire::from_fixed(e.dy);
        out.absolute = int(e.absolute);
    }
    void operator()(const wire::PointerButton& e)
    {
        out.type = UDEFIO_INPUT_POINTER_BUTTON;
        out.time_us = e.time_us;
        at(e.x, e.y);
        out.button = e.button;
        out.pressed = int(e.pressed);
    }
    void operator()(const wire::PointerAxis& e)
    {
        out.type = UDEFIO_INPUT_POINTER_AXIS;
        out.time_us = e.time_us;
        at(e.x, e.y);
        out.axis_source = int(e.source);
        out.vertical = wire::from_fixed(e.vertical);
        out.horizontal = wire::from_fixed(e.horizontal);
        out.vertical_v120 = e.vertical_v120;
        out.horizontal_v120 = e.horizontal_v120;
    }
    void operator()(const wire::TouchDown& e) { touch(UDEFIO_INPUT_TOUCH_DOWN, e.id, e.time_us), at(e.x, e.y); }
    void operator()(const wire::TouchMotion& e) { touch(UDEFIO_INPUT_TOUCH_MOTION, e.id, e.time_us), at(e.x, e.y); }
    void operator()(const wire::TouchUp& e) { touch(UDEFIO_INPUT_TOUCH_UP, e.id, e.time_us); }
    void operator()(const wire::TouchFrame&) { out.type = UDEFIO_INPUT_TOUCH_FRAME; }
    void operator()(const wire::TouchCancel&) { out.type = UDEFIO_INPUT_TOUCH_CANCEL; }
    void at(wire::Fixed x, wire::Fixed y) { out.x = wire::from_fixed(x), out.y = wire::from_fixed(y); }
    void touch(udefio_input_type type, int32_t id, uint64_t time_us)
    {
        out.type = type;
        out.touch_id = id;
        out.time_us = time_us;
    }
};

}  // namespace

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
    ReceivedPacket packet = receive_with_fds(fd, data, wire::kMaxFds);
    if (packet.bytes <= 0) {
        fail(packet.bytes == 0 ? "udefio closed the connection" : std::string("recvmsg: ") + std::strerror(errno));
        return std::nullopt;
    }
    auto event = wire::decode_event(std::span(data, size_t(packet.bytes)), packet.fds.size());
    if (!event) {
        fail("a bad event from udefio: " + event.error().message());
        return std::nullopt;
    }
    if (fd_out && !packet.fds.empty())
        *fd_out = packet.fds.front().release();
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, wire::OutputInfo>) {
                outputs[e.output] = e;
            } else if constexpr (std::is_same_v<T, wire::OutputRemoved>) {
                outputs.erase(e.output);
            } else if constexpr (std::is_same_v<T, wire::SurfaceOutput>) {
                surfaces[e.surface].output = e.output;
            } else if constexpr (std::is_same_v<T, wire::Configure>) {
                Surface& s = surfaces[e.surface];
                s.width = e.width;
                s.height = e.height;
                s.stride = e.stride;
                s.fresh = true;
            } else if constexpr (std::is_same_v<T, wire::Frame>) {
                if (frame_fn)
                    frame_fn(frame_data, e.surface, e.serial);
            } else if constexpr (std::is_same_v<T, wire::Presented>) {
                presented[e.surface] = e.serial;
                if (presented_fn)
                    presented_fn(presented_data, e.surface, e.serial, e.sequence, e.timestamp_ns);
            } else if constexpr (std::is_same_v<T, wire::Revoked>) {
                revoked[e.lease] = e.reason;
                if (revoked_fn)
                    revoked_fn(revoked_data, e.lease, e.reason);
            } else if constexpr (std::is_same_v<T, wire::ErrorEvent>) {
                error = std::string("udefio: ") + e.message;
            } else if constexpr (std::is_invocable_v<InputFields, const T&>) {
                if (input_fn) {
                    udefio_input_event out{};
                    out.surface = e.surface;
                    out.text = "";
                    InputFields{out}(e);
                    input_fn(input_data, &out);
                }
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
    std::optional<wire::Welcome> welcome;
    if (client->send(wire::Hello{wire::kVersion}) != 0 || !(welcome = client->wait_for<wire::Welcome>())) {
        const std::string why = client->error;
        udefio_disconnect(client);
        return report(why);
    }
    client->version = welcome->version;  // the outputs came before it
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
    return udefio_create_surface_on(client, nullptr, surface, width, height);
}

int udefio_create_surface_on(struct udefio_client* client, const char* output, uint32_t* surface, uint32_t* width,
                             uint32_t* height)
{
    if (!output)
        output = std::getenv("UDEFIO_OUTPUT");
    uint32_t output_id = 0;  // the default
    if (output && *output) {
        std::string names;
        for (const auto& [id, o] : client->outputs) {
            names += (names.empty() ? "" : ", ") + std::string(o.name);
            if (std::strcmp(o.name, output) == 0)
                output_id = id;
        }
        if (!output_id)
            return client->fail(std::string("no output ") + output + " (udefio has: " +
                                (names.empty() ? "none that it names: an older udefio" : names) + ")");
    }
    const uint32_t id = client->next_id++;
    const int sent = output_id ? client->send(wire::CreateSurfaceOn{id, output_id})
                               : client->send(wire::CreateSurface{id});
    if (sent != 0)
        return -1;
    return udefio_wait_configure(client, id, width, height, 5000) == 0 ? (*surface = id, 0) : -1;
}

int udefio_wait_configure(struct udefio_client* client, uint32_t surface, uint32_t* width, uint32_t* height,
                          int timeout_ms)
{
    while (!client->surfaces[surface].fresh) {
        auto event = client->read_event(timeout_ms, nullptr);
        if (!event || std::holds_alternative<wire::ErrorEvent>(*event))
            return -1;
    }
    const auto& s = client->surfaces[surface];
    if (width)
        *width = s.width;
    if (height)
        *height = s.height;
    return 0;
}

int udefio_output_count(const struct udefio_client* client) { return int(client->outputs.size()); }

const char* udefio_output_name(const struct udefio_client* client, int index)
{
    if (index < 0 || size_t(index) >= client->outputs.size())
        return nullptr;
    return std::next(client->outputs.begin(), index)->second.name;
}

int udefio_lease(struct udefio_client* client, uint32_t surface, uint32_t first_row, uint32_t rows,
                 struct udefio_buffer* buffer)
{
    auto known = client->surfaces.find(surface);
    if (known == client->surfaces.end() || !known->second.stride)
        return client->fail("no surface " + std::to_string(surface) + " configured yet");
    udefio_client::Surface& s = known->second;
    s.fresh = false;
    const uint32_t id = client->next_id++;
    const uint64_t offset = uint64_t(first_row) * s.stride;
    const uint64_t length = uint64_t(rows) * s.stride;
    if (client->send(wire::LeaseBuffer{surface, id, offset, length}) != 0)
        return -1;
    // Either the lease, or its refusal because the output went away meanwhile.
    int fd = -1;
    std::optional<wire::Leased> leased;
    while (!leased) {
        auto event = client->read_event(5000, &fd);
        if (!event || std::holds_alternative<wire::ErrorEvent>(*event))
            return -1;
        if (auto* l = std::get_if<wire::Leased>(&*event); l && l->lease == id)
            leased = *l;
        else if (auto* r = std::get_if<wire::Revoked>(&*event); r && r->lease == id)
            return client->fail("lease refused: the surface's output went away (udefio_wait_configure, then lease again)");
    }
    void* data = ::mmap(nullptr, leased->length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (data == MAP_FAILED)
        return client->fail(std::string("mmap of the lease: ") + std::strerror(errno));
    client->lease_surface[id] = surface;
    *buffer = {data, size_t(leased->length), s.width, uint32_t(leased->length / leased->stride),
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
    client->lease_surface.erase(buffer->lease);
    ::munmap(buffer->data, buffer->size);
    // A lease udefio revoked is gone already.
    const int r = client->revoked.erase(buffer->lease) ? 0 : client->send(wire::ReleaseLease{buffer->lease});
    *buffer = {};
    return r;
}

int udefio_revoke_reason(struct udefio_client* client, uint32_t lease)
{
    (void)udefio_dispatch(client);
    auto it = client->revoked.find(lease);
    return it == client->revoked.end() ? 0 : int(it->second);
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
        // What was committed will not be shown now: say so instead of timing out.
        if (auto* r = std::get_if<wire::Revoked>(&*event); r && client->lease_surface[r->lease] == surface)
            return client->fail("a lease of the surface was revoked (udefio_revoke_reason says why)");
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

void udefio_set_input_callback(struct udefio_client* client, udefio_input_fn fn, void* data)
{
    client->input_fn = fn;
    client->input_data = data;
}

int udefio_request_focus(struct udefio_client* client, uint32_t surface)
{
    if (client->version < wire::RequestFocus::since)
        return client->fail("udefio speaks protocol version " + std::to_string(client->version) +
                            ": it sends no input (version " + std::to_string(wire::RequestFocus::since) + ")");
    return client->send(wire::RequestFocus{surface});
}

void udefio_set_revoked_callback(struct udefio_client* client, udefio_revoked_fn fn, void* data)
{
    client->revoked_fn = fn;
    client->revoked_data = data;
}

}  // extern "C"
