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
#include <string_view>
#include <variant>
#include <vector>

#include "util/result.hpp"

namespace udefio::wire {

// The version this udefio speaks; it also serves clients of every earlier one.
inline constexpr uint32_t kVersion = 3;
inline constexpr uint32_t kMinVersion = 1;
inline constexpr size_t kMaxMessage = 256;  // bytes; every message is smaller
inline constexpr size_t kMaxFds = 1;        // per message
inline constexpr int32_t kMaxCoordinate = 1 << 15;
inline constexpr uint32_t kFormatXrgb8888 = 0x34325258;  // DRM_FORMAT_XRGB8888 ("XR24")
inline constexpr size_t kMaxOutputName = 32;             // bytes, NUL included
inline constexpr size_t kMaxKeyText = 16;                // bytes, NUL included

// Positions and scroll amounts in input events: signed 24.8 fixed point, as
// Wayland's wl_fixed_t (value = fixed / 256).
using Fixed = int32_t;
Fixed to_fixed(double value);
inline double from_fixed(Fixed f) { return f / 256.0; }

struct Header {
    uint32_t opcode;
    uint32_t size;  // header included
};

// Each message says, once, its opcode, its name (wire_name), how many fds travel with it
// and the protocol version that introduced it. The Request and Event variants
// below are the only lists of messages; encoding, decoding and names come
// from them. Static members do not change a message's layout.
#define UDEFIO_WIRE_MESSAGE(op, text, n_fds, since_version)        \
    static constexpr uint32_t opcode = op;                         \
    static constexpr std::string_view wire_name = text;            \
    static constexpr size_t fds = n_fds;                           \
    static constexpr uint32_t since = since_version

// Requests, client → compositor.
struct Hello { UDEFIO_WIRE_MESSAGE(1, "hello", 0, 1); uint32_t version; };
// A surface on the default output (the main program's).
struct CreateSurface { UDEFIO_WIRE_MESSAGE(2, "create_surface", 0, 1); uint32_t surface; };
// A lease of the surface's buffer: `offset` and `length` page aligned;
// length 0 = from offset to the end.
struct LeaseBuffer { UDEFIO_WIRE_MESSAGE(3, "lease_buffer", 0, 1); uint32_t surface, lease; uint64_t offset, length; };
struct DamageRect { UDEFIO_WIRE_MESSAGE(4, "damage", 0, 1); uint32_t surface; int32_t x, y, width, height; };
struct Commit { UDEFIO_WIRE_MESSAGE(5, "commit", 0, 1); uint32_t surface, serial; };
// + 1 fd: a sync_file the next commit waits for.
struct AttachFence { UDEFIO_WIRE_MESSAGE(6, "attach_fence", 1, 1); uint32_t surface; };
struct DestroySurface { UDEFIO_WIRE_MESSAGE(7, "destroy_surface", 0, 1); uint32_t surface; };
struct ReleaseLease { UDEFIO_WIRE_MESSAGE(8, "release_lease", 0, 1); uint32_t lease; };
// The client registered its mapping of the lease (at `address`) with a
// write-protect-async userfaultfd: udefio finds the pages it writes through
// /proc/PID/pagemap (PAGEMAP_SCAN) instead of comparing the whole lease.
struct TrackLease { UDEFIO_WIRE_MESSAGE(9, "track_lease", 0, 1); uint32_t lease, pad; uint64_t address; };
// A surface on the output of this id (from an `output` event); 0 = the default one.
struct CreateSurfaceOn { UDEFIO_WIRE_MESSAGE(10, "create_surface_on", 0, 2); uint32_t surface, output; };

// Asks for the input focus for the surface (version 3); udefio's focus
// policy decides, and a `focus` event says what it decided.
struct RequestFocus { UDEFIO_WIRE_MESSAGE(11, "request_focus", 0, 3); uint32_t surface; };

// Events, compositor → client.
struct Welcome {
    UDEFIO_WIRE_MESSAGE(101, "welcome", 0, 1);
    uint32_t version;  // what this connection speaks: the client's, if udefio knows it
};
struct Configure {
    UDEFIO_WIRE_MESSAGE(102, "configure", 0, 1);
    uint32_t surface;
    uint32_t width, height, stride, format;  // format: a DRM fourcc
};
// + 1 fd: the lease's memfd.
struct Leased {
    UDEFIO_WIRE_MESSAGE(103, "leased", 1, 1);
    uint32_t surface, lease;
    uint64_t offset, length;
    uint32_t stride, pad;
};
struct Frame { UDEFIO_WIRE_MESSAGE(104, "frame", 0, 1); uint32_t surface, serial; };
struct Presented {
    UDEFIO_WIRE_MESSAGE(105, "presented", 0, 1);
    uint32_t surface, serial;
    uint64_t sequence, timestamp_ns;  // timestamp: CLOCK_MONOTONIC
};
// output_changed (version 2): the output changed its mode; a `configure` of the new size follows.
enum class RevokeReason : uint32_t { compositor = 1, output_gone = 2, expired = 3, client_gone = 4, output_changed = 5 };
struct Revoked {
    UDEFIO_WIRE_MESSAGE(106, "revoked", 0, 1);
    uint32_t lease, reason;  // reason: RevokeReason
};
enum class ErrorCode : uint32_t { bad_message = 1, bad_fd = 2, bad_object = 3, no_memory = 4, revoked = 5 };
struct ErrorEvent {
    UDEFIO_WIRE_MESSAGE(107, "error", 0, 1);
    uint32_t code;  // ErrorCode
    char message[116];  // NUL-terminated
};
// An output a surface can be on: one per output before `welcome`, and one when an output appears.
struct OutputInfo {
    UDEFIO_WIRE_MESSAGE(108, "output", 0, 2);
    uint32_t output;  // its id; never reused while udefio runs
    uint32_t width, height, stride, format;
    uint32_t refresh_mhz;
    char name[kMaxOutputName];  // NUL-terminated: "HDMI-A-1", "headless-0", ...
};
// The output went away (its leases were revoked just before).
struct OutputRemoved { UDEFIO_WIRE_MESSAGE(109, "output_removed", 0, 2); uint32_t output; };
// The surface is on this output now (sent before its `configure`): where it
// was made, or the default output after its own went away.
struct SurfaceOutput { UDEFIO_WIRE_MESSAGE(110, "surface_output", 0, 2); uint32_t surface, output; };

// Input (version 3): only the surface that has the input focus gets it.
// `time_us` is the kernel's timestamp (CLOCK_MONOTONIC, microseconds);
// positions are in the surface's pixels (the output's, after its transform).

// The surface got (1) or lost (0) the input focus; a refused request_focus is
// answered with 0. After a 0 its keys, buttons and touch points count as
// released: no release event follows for them.
struct Focus { UDEFIO_WIRE_MESSAGE(111, "focus", 0, 3); uint32_t surface, focused; };
enum class KeyState : uint32_t { released = 0, pressed = 1, repeated = 2 };
struct Key {
    UDEFIO_WIRE_MESSAGE(112, "key", 0, 3);
    uint32_t surface, state;  // state: KeyState
    uint64_t time_us;
    uint32_t key;     // evdev code (KEY_A); xkb keycode = key + 8
    uint32_t keysym;  // under udefio's keymap (--xkb-layout ...)
    uint32_t mods_depressed, mods_latched, mods_locked, group;  // xkb_state_serialize_mods/layout
    char text[kMaxKeyText];  // what a press types, UTF-8, NUL-terminated; "" for none or a release
};
struct PointerMotion {
    UDEFIO_WIRE_MESSAGE(113, "pointer_motion", 0, 3);
    uint32_t surface, absolute;  // absolute 1: an absolute device (a tablet) set it; 0: moved by dx, dy
    uint64_t time_us;
    Fixed x, y, dx, dy;
};
struct PointerButton {
    UDEFIO_WIRE_MESSAGE(114, "pointer_button", 0, 3);
    uint32_t surface, pressed;
    uint64_t time_us;
    uint32_t button;  // BTN_LEFT, ...
    Fixed x, y;
    uint32_t pad;
};
enum class AxisSource : uint32_t { wheel = 0, finger = 1, continuous = 2 };
struct PointerAxis {
    UDEFIO_WIRE_MESSAGE(115, "pointer_axis", 0, 3);
    uint32_t surface, source;  // source: AxisSource
    uint64_t time_us;
    Fixed vertical, horizontal;          // about pixels
    int32_t vertical_v120, horizontal_v120;  // wheel clicks in 120ths; 0 for other sources
    Fixed x, y;
};
struct TouchDown {
    UDEFIO_WIRE_MESSAGE(116, "touch_down", 0, 3);
    uint32_t surface;
    int32_t id;  // the touch point, until its touch_up
    uint64_t time_us;
    Fixed x, y;
};
struct TouchMotion {
    UDEFIO_WIRE_MESSAGE(117, "touch_motion", 0, 3);
    uint32_t surface;
    int32_t id;
    uint64_t time_us;
    Fixed x, y;
};
struct TouchUp { UDEFIO_WIRE_MESSAGE(118, "touch_up", 0, 3); uint32_t surface; int32_t id; uint64_t time_us; };
// Ends a set of touch changes that happened at once.
struct TouchFrame { UDEFIO_WIRE_MESSAGE(119, "touch_frame", 0, 3); uint32_t surface; };
// Every touch point is gone, without touch_up.
struct TouchCancel { UDEFIO_WIRE_MESSAGE(120, "touch_cancel", 0, 3); uint32_t surface; };

#undef UDEFIO_WIRE_MESSAGE

using Request = std::variant<Hello, CreateSurface, LeaseBuffer, DamageRect, Commit, AttachFence, DestroySurface,
                             ReleaseLease, TrackLease, CreateSurfaceOn, RequestFocus>;
using Event = std::variant<Welcome, Configure, Leased, Frame, Presented, Revoked, ErrorEvent, OutputInfo,
                           OutputRemoved, SurfaceOutput, Focus, Key, PointerMotion, PointerButton, PointerAxis,
                           TouchDown, TouchMotion, TouchUp, TouchFrame, TouchCancel>;

// A decoded message and how many fds it carries (0 or 1).
Result<Request> decode_request(std::span<const std::byte> bytes, size_t fds);
Result<Event> decode_event(std::span<const std::byte> bytes, size_t fds);

// The bytes of one message (its fd, if any, travels beside it).
std::vector<std::byte> encode(const Request& request);
std::vector<std::byte> encode(const Event& event);
// How many fds the message's opcode carries.
size_t fds_of(const Request& request);
size_t fds_of(const Event& event);

// The version that introduced the message.
uint32_t since_of(const Request& request);
uint32_t since_of(const Event& event);

ErrorEvent make_error(ErrorCode code, const std::string& message);
OutputInfo make_output_info(uint32_t output, const std::string& name, uint32_t width, uint32_t height,
                            uint32_t stride, uint32_t refresh_mhz);
std::string_view opcode_name(uint32_t opcode);

}  // namespace udefio::wire
