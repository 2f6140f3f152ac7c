#include "protocol/wire.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "util/mapping.hpp"

namespace udefio::wire {
namespace {

template <class T>
std::vector<std::byte> encode_one(const T& body)
{
    static_assert(std::is_trivially_copyable_v<T> && sizeof(Header) + sizeof(T) <= kMaxMessage);
    static_assert(std::has_unique_object_representations_v<T>, "padding other than fields named pad");
    const Header header{T::opcode, uint32_t(sizeof(Header) + sizeof(T))};
    std::vector<std::byte> out(header.size);
    std::memcpy(out.data(), &header, sizeof header);
    std::memcpy(out.data() + sizeof header, &body, sizeof body);
    return out;
}

Error bad(const std::string& what) { return plain_error(what); }

// Field checks beyond the size: what makes a well-formed message of this type.
Result<void> check(const Hello&) { return {}; }
Result<void> check(const CreateSurface&) { return {}; }
Result<void> check(const LeaseBuffer& m)
{
    const uint64_t page = page_size();
    if (m.offset % page || m.length % page)
        return bad("lease_buffer: offset " + std::to_string(m.offset) + " and length " + std::to_string(m.length) +
                   " must be page aligned (" + std::to_string(page) + ")");
    if (m.offset > (uint64_t(1) << 40) || m.length > (uint64_t(1) << 40))
        return bad("lease_buffer: offset or length beyond any buffer");
    return {};
}
Result<void> check(const DamageRect& m)
{
    if (m.width <= 0 || m.height <= 0 || m.x < 0 || m.y < 0 || m.x > kMaxCoordinate || m.y > kMaxCoordinate ||
        m.width > kMaxCoordinate || m.height > kMaxCoordinate)
        return bad("damage: rectangle " + std::to_string(m.x) + "," + std::to_string(m.y) + " " +
                   std::to_string(m.width) + "x" + std::to_string(m.height) + " is empty or out of range");
    return {};
}
Result<void> check(const Commit&) { return {}; }
Result<void> check(const AttachFence&) { return {}; }
Result<void> check(const DestroySurface&) { return {}; }
Result<void> check(const ReleaseLease&) { return {}; }
Result<void> check(const TrackLease& m)
{
    if (m.address % page_size() || m.address == 0)
        return bad("track_lease: address " + std::to_string(m.address) + " is not a page address");
    return {};
}
Result<void> check(const Welcome&) { return {}; }
Result<void> check(const Configure& m)
{
    if (m.width == 0 || m.height == 0 || m.stride < m.width * 4)
        return bad("configure: impossible size or stride");
    return {};
}
Result<void> check(const Leased& m) { return m.length ? Result<void>() : bad("leased: empty lease"); }
Result<void> check(const Frame&) { return {}; }
Result<void> check(const Presented&) { return {}; }
Result<void> check(const Revoked&) { return {}; }
Result<void> check(const ErrorEvent& m)
{
    if (!std::memchr(m.message, 0, sizeof m.message))
        return bad("error: message not NUL-terminated");
    return {};
}
Result<void> check(const CreateSurfaceOn&) { return {}; }
Result<void> check(const OutputInfo& m)
{
    if (!std::memchr(m.name, 0, sizeof m.name))
        return bad("output: name not NUL-terminated");
    if (m.width == 0 || m.height == 0 || m.stride < m.width * 4)
        return bad("output: impossible size or stride");
    return {};
}
Result<void> check(const OutputRemoved&) { return {}; }
Result<void> check(const SurfaceOutput&) { return {}; }
Result<void> check(const RequestFocus&) { return {}; }
Result<void> flag(std::string_view message, std::string_view field, uint32_t value, uint32_t most = 1)
{
    if (value <= most)
        return {};
    return bad(std::string(message) + ": " + std::string(field) + " " + std::to_string(value) + " (at most " +
               std::to_string(most) + ")");
}
Result<void> check(const Focus& m) { return flag("focus", "focused", m.focused); }
Result<void> check(const Key& m)
{
    if (!std::memchr(m.text, 0, sizeof m.text))
        return bad("key: text not NUL-terminated");
    return flag("key", "state", m.state, uint32_t(KeyState::repeated));
}
Result<void> check(const PointerMotion& m) { return flag("pointer_motion", "absolute", m.absolute); }
Result<void> check(const PointerButton& m) { return flag("pointer_button", "pressed", m.pressed); }
Result<void> check(const PointerAxis& m)
{
    return flag("pointer_axis", "source", m.source, uint32_t(AxisSource::continuous));
}
Result<void> check(const TouchDown&) { return {}; }
Result<void> check(const TouchMotion&) { return {}; }
Result<void> check(const TouchUp&) { return {}; }
Result<void> check(const TouchFrame&) { return {}; }
Result<void> check(const TouchCancel&) { return {}; }

template <class Variant, class T>
Result<Variant> decode_as(std::span<const std::byte> bytes, size_t fds)
{
    if (bytes.size() != sizeof(Header) + sizeof(T))
        return bad(std::string(T::wire_name) + ": " + std::to_string(bytes.size()) +
                   " bytes, expected " + std::to_string(sizeof(Header) + sizeof(T)));
    if (fds != T::fds)
        return bad(std::string(T::wire_name) + ": came with " + std::to_string(fds) + " fds, expected " +
                   std::to_string(T::fds));
    T body;
    std::memcpy(&body, bytes.data() + sizeof(Header), sizeof body);
    if (auto r = check(body); !r)
        return r.error();
    return Variant(body);
}

Result<Header> read_header(std::span<const std::byte> bytes)
{
    if (bytes.size() < sizeof(Header))
        return bad("truncated message: " + std::to_string(bytes.size()) + " bytes, less than a header");
    if (bytes.size() > kMaxMessage)
        return bad("oversized message: " + std::to_string(bytes.size()) + " bytes (at most " +
                   std::to_string(kMaxMessage) + ")");
    Header h;
    std::memcpy(&h, bytes.data(), sizeof h);
    if (h.size != bytes.size())
        return bad("message says " + std::to_string(h.size) + " bytes but " + std::to_string(bytes.size()) +
                   " arrived");
    return h;
}

// The message of the variant whose opcode this is.
template <class Variant, size_t... I>
Result<Variant> decode_alternative(uint32_t opcode, std::span<const std::byte> bytes, size_t fds,
                                   std::index_sequence<I...>)
{
    std::optional<Result<Variant>> decoded;
    (void)((std::variant_alternative_t<I, Variant>::opcode == opcode &&
            (decoded.emplace(decode_as<Variant, std::variant_alternative_t<I, Variant>>(bytes, fds)), true)) ||
           ...);
    if (decoded)
        return *decoded;
    return bad(std::string(std::is_same_v<Variant, Request> ? "unknown request" : "unknown event") +
               " opcode " + std::to_string(opcode));
}

template <class Variant>
Result<Variant> decode(std::span<const std::byte> bytes, size_t fds)
{
    auto header = read_header(bytes);
    if (!header)
        return header.error();
    return decode_alternative<Variant>(header->opcode, bytes, fds,
                                       std::make_index_sequence<std::variant_size_v<Variant>>());
}

template <class Variant, size_t... I>
std::string_view name_in(uint32_t opcode, std::index_sequence<I...>)
{
    std::string_view name;
    (void)((std::variant_alternative_t<I, Variant>::opcode == opcode &&
            (name = std::variant_alternative_t<I, Variant>::wire_name, true)) ||
           ...);
    return name;
}

}  // namespace

Result<Request> decode_request(std::span<const std::byte> bytes, size_t fds) { return decode<Request>(bytes, fds); }

Result<Event> decode_event(std::span<const std::byte> bytes, size_t fds) { return decode<Event>(bytes, fds); }

std::vector<std::byte> encode(const Request& request)
{
    return std::visit([](const auto& m) { return encode_one(m); }, request);
}

std::vector<std::byte> encode(const Event& event)
{
    return std::visit([](const auto& m) { return encode_one(m); }, event);
}

size_t fds_of(const Request& request)
{
    return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::fds; }, request);
}

size_t fds_of(const Event& event)
{
    return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::fds; }, event);
}

uint32_t since_of(const Request& request)
{
    return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::since; }, request);
}

uint32_t since_of(const Event& event)
{
    return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::since; }, event);
}

Fixed to_fixed(double value)
{
    constexpr double kMost = double(std::numeric_limits<Fixed>::max()) / 256;
    return Fixed(std::lround(std::clamp(value, -kMost, kMost) * 256));
}

ErrorEvent make_error(ErrorCode code, const std::string& message)
{
    ErrorEvent e{};
    e.code = uint32_t(code);
    std::strncpy(e.message, message.c_str(), sizeof e.message - 1);
    return e;
}

OutputInfo make_output_info(uint32_t output, const std::string& name, uint32_t width, uint32_t height,
                            uint32_t stride, uint32_t refresh_mhz)
{
    OutputInfo o{.output = output,
                 .width = width,
                 .height = height,
                 .stride = stride,
                 .format = kFormatXrgb8888,
                 .refresh_mhz = refresh_mhz,
                 .name = {}};
    std::strncpy(o.name, name.c_str(), sizeof o.name - 1);
    return o;
}

std::string_view opcode_name(uint32_t opcode)
{
    std::string_view name = name_in<Request>(opcode, std::make_index_sequence<std::variant_size_v<Request>>());
    if (name.empty())
        name = name_in<Event>(opcode, std::make_index_sequence<std::variant_size_v<Event>>());
    return name.empty() ? "unknown" : name;
}

}  // namespace udefio::wire
