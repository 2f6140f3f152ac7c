// The udefio wire protocol: fixed-layout messages over a SOCK_SEQPACKET unix
// socket (one message per packet, so a message is never split or merged),
// fds alongside with SCM_RIGHTS. Native byte order: the socket never leaves
// the machine. docs/PROTOCOL.md has the byte layout of every message.
//
// Every message starts with a Header; `size` is the whole message in bytes
// and must equal the packet's length and the opcode's body size exactly.
// decode_request()/decode_event() check all of it and every field, and say
// what was wrong; a bad message is that client's protocol error, never more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "util/result.hpp"
#include "util/rect.hpp"

namespace udefio::wire {

inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kMaxMessage = 256;  // bytes; every message is smaller
inline constexpr size_t kMaxFds = 1;        // per message
inline constexpr int32_t kMaxCoordinate = 1 << 15;
inline constexpr uint32_t kFormatXrgb8888 = 0x34325258;  // DRM_FORMAT_XRGB8888 ("XR24")

struct Header {
    uint32_t opcode;
    uint32_t size;  // header included
};

enum class Opcode : uint32_t {
    // requests, client → compositor
    hello = 1,
    create_surface = 2,
    lease_buffer = 3,
    damage = 4,
    commit = 5,
    attach_fence = 6,  // + 1 fd: a sync_file
    destroy_surface = 7,
    release_lease = 8,
    track_lease = 9,
    // events, compositor → client
    welcome = 101,
    configure = 102,
    leased = 103,  // + 1 fd: the lease's memfd
    frame = 104,
    presented = 105,
    revoked = 106,
    error = 107,
};

// Requests.
struct Hello {
    uint32_t version;
};
struct CreateSurface {
    uint32_t surface;
};
// A lease of the surface's buffer: `offset` and `length` page aligned;
// length 0 = from offset to the end.
struct LeaseBuffer {
    uint32_t surface;
    uint32_t lease;
    uint64_t offset;
    uint64_t length;
};
struct DamageRect {
    uint32_t surface;
    int32_t x, y, width, height;
};
struct Commit {
    uint32_t surface;
    uint32_t serial;
};
struct AttachFence {
    uint32_t surface;
};
struct DestroySurface {
    uint32_t surface;
};
struct ReleaseLease {
    uint32_t lease;
};
// The client registered its mapping of the lease (at `address`) with a
// write-protect-async userfaultfd: udefio finds the pages it writes through
// /proc/PID/pagemap (PAGEMAP_SCAN) instead of comparing the whole lease.
struct TrackLease {
    uint32_t lease;
    uint32_t pad;
    uint64_t address;
};

// Events.
struct Welcome {
    uint32_t version;
};
struct Configure {
    uint32_t surface;
    uint32_t width, height, stride, format;  // format: a DRM fourcc
};
struct Leased {
    uint32_t surface;
    uint32_t lease;
    uint64_t offset;
    uint64_t length;
    uint32_t stride;
    uint32_t pad;
};
struct Frame {
    uint32_t surface;
    uint32_t serial;
};
struct Presented {
    uint32_t surface;
    uint32_t serial;
    uint64_t sequence;
    uint64_t timestamp_ns;  // CLOCK_MONOTONIC
};
enum class RevokeReason : uint32_t { compositor = 1, output_gone = 2, expired = 3, client_gone = 4 };
struct Revoked {
    uint32_t lease;
    uint32_t reason;  // RevokeReason
};
enum class ErrorCode : uint32_t { bad_message = 1, bad_fd = 2, bad_object = 3, no_memory = 4, revoked = 5 };
struct ErrorEvent {
    uint32_t code;  // ErrorCode
    char message[116];  // NUL-terminated
};

using Request = std::variant<Hello, CreateSurface, LeaseBuffer, DamageRect, Commit, AttachFence, DestroySurface,
                             ReleaseLease, TrackLease>;
using Event = std::variant<Welcome, Configure, Leased, Frame, Presented, Revoked, ErrorEvent>;

// A decoded message and how many fds it carries (0 or 1).
Result<Request> decode_request(std::span<const std::byte> bytes, size_t fds);
Result<Event> decode_event(std::span<const std::byte> bytes, size_t fds);

// The bytes of one message (its fd, if any, travels beside it).
std::vector<std::byte> encode(const Request& request);
std::vector<std::byte> encode(const Event& event);
// How many fds the message's opcode carries.
size_t fds_of(const Request& request);
size_t fds_of(const Event& event);

ErrorEvent make_error(ErrorCode code, const std::string& message);
std::string_view opcode_name(uint32_t opcode);

}  // namespace udefio::wire
