#include "protocol/wire.hpp"

#include <cstring>
#include <type_traits>

namespace udefio::wire {
namespace {

constexpr uint64_t kPage = 4096;

// The opcode, and the number of fds, of each message type.
template <class T> struct Traits;
template <> struct Traits<Hello> { static constexpr Opcode op = Opcode::hello; static constexpr size_t fds = 0; };
template <> struct Traits<CreateSurface> { static constexpr Opcode op = Opcode::create_surface; static constexpr size_t fds = 0; };
template <> struct Traits<LeaseBuffer> { static constexpr Opcode op = Opcode::lease_buffer; static constexpr size_t fds = 0; };
template <> struct Traits<DamageRect> { static constexpr Opcode op = Opcode::damage; static constexpr size_t fds = 0; };
template <> struct Traits<Commit> { static constexpr Opcode op = Opcode::commit; static constexpr size_t fds = 0; };
template <> struct Traits<AttachFence> { static constexpr Opcode op = Opcode::attach_fence; static constexpr size_t fds = 1; };
template <> struct Traits<DestroySurface> { static constexpr Opcode op = Opcode::destroy_surface; static constexpr size_t fds = 0; };
template <> struct Traits<ReleaseLease> { static constexpr Opcode op = Opcode::release_lease; static constexpr size_t fds = 0; };
template <> struct Traits<TrackLease> { static constexpr Opcode op = Opcode::track_lease; static constexpr size_t fds = 0; };
template <> struct Traits<Welcome> { static constexpr Opcode op = Opcode::welcome; static constexpr size_t fds = 0; };
template <> struct Traits<Configure> { static constexpr Opcode op = Opcode::configure; static constexpr size_t fds = 0; };
template <> struct Traits<Leased> { static constexpr Opcode op = Opcode::leased; static constexpr size_t fds = 1; };
template <> struct Traits<Frame> { static constexpr Opcode op = Opcode::frame; static constexpr size_t fds = 0; };
template <> struct Traits<Presented> { static constexpr Opcode op = Opcode::presented; static constexpr size_t fds = 0; };
template <> struct Traits<Revoked> { static constexpr Opcode op = Opcode::revoked; static constexpr size_t fds = 0; };
template <> struct Traits<ErrorEvent> { static constexpr Opcode op = Opcode::error; static constexpr size_t fds = 0; };

template <class T>
std::vector<std::byte> encode_one(const T& body)
{
    static_assert(std::is_trivially_copyable_v<T> && sizeof(Header) + sizeof(T) <= kMaxMessage);
    const Header header{static_cast<uint32_t>(Traits<T>::op), uint32_t(sizeof(Header) + sizeof(T))};
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
    if (m.offset % kPage || m.length % kPage)
        return bad("lease_buffer: offset " + std::to_string(m.offset) + " and length " + std::to_string(m.length) +
                   " must be page aligned (4096)");
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
    if (m.address % kPage || m.address == 0)
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

template <class Variant, class T>
Result<Variant> decode_as(std::span<const std::byte> bytes, size_t fds)
{
    if (bytes.size() != sizeof(Header) + sizeof(T))
        return bad(std::string(opcode_name(uint32_t(Traits<T>::op))) + ": " + std::to_string(bytes.size()) +
                   " bytes, expected " + std::to_string(sizeof(Header) + sizeof(T)));
    if (fds != Traits<T>::fds)
        return bad(std::string(opcode_name(uint32_t(Traits<T>::op))) + ": came with " + std::to_string(fds) +
                   " fds, expected " + std::to_string(Traits<T>::fds));
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

}  // namespace

Result<Request> decode_request(std::span<const std::byte> bytes, size_t fds)
{
    auto header = read_header(bytes);
    if (!header)
        return header.error();
    switch (Opcode(header->opcode)) {
    case Opcode::hello: return decode_as<Request, Hello>(bytes, fds);
    case Opcode::create_surface: return decode_as<Request, CreateSurface>(bytes, fds);
    case Opcode::lease_buffer: return decode_as<Request, LeaseBuffer>(bytes, fds);
    case Opcode::damage: return decode_as<Request, DamageRect>(bytes, fds);
    case Opcode::commit: return decode_as<Request, Commit>(bytes, fds);
    case Opcode::attach_fence: return decode_as<Request, AttachFence>(bytes, fds);
    case Opcode::destroy_surface: return decode_as<Request, DestroySurface>(bytes, fds);
    case Opcode::release_lease: return decode_as<Request, ReleaseLease>(bytes, fds);
    case Opcode::track_lease: return decode_as<Request, TrackLease>(bytes, fds);
    default: break;
    }
    return bad("unknown request opcode " + std::to_string(header->opcode));
}

Result<Event> decode_event(std::span<const std::byte> bytes, size_t fds)
{
    auto header = read_header(bytes);
    if (!header)
        return header.error();
    switch (Opcode(header->opcode)) {
    case Opcode::welcome: return decode_as<Event, Welcome>(bytes, fds);
    case Opcode::configure: return decode_as<Event, Configure>(bytes, fds);
    case Opcode::leased: return decode_as<Event, Leased>(bytes, fds);
    case Opcode::frame: return decode_as<Event, Frame>(bytes, fds);
    case Opcode::presented: return decode_as<Event, Presented>(bytes, fds);
    case Opcode::revoked: return decode_as<Event, Revoked>(bytes, fds);
    case Opcode::error: return decode_as<Event, ErrorEvent>(bytes, fds);
    default: break;
    }
    return bad("unknown event opcode " + std::to_string(header->opcode));
}

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
    return std::visit([](const auto& m) { return Traits<std::decay_t<decltype(m)>>::fds; }, request);
}

size_t fds_of(const Event& event)
{
    return std::visit([](const auto& m) { return Traits<std::decay_t<decltype(m)>>::fds; }, event);
}

ErrorEvent make_error(ErrorCode code, const std::string& message)
{
    ErrorEvent e{};
    e.code = uint32_t(code);
    std::strncpy(e.message, message.c_str(), sizeof e.message - 1);
    return e;
}

std::string_view opcode_name(uint32_t opcode)
{
    switch (Opcode(opcode)) {
    case Opcode::hello: return "hello";
    case Opcode::create_surface: return "create_surface";
    case Opcode::lease_buffer: return "lease_buffer";
    case Opcode::damage: return "damage";
    case Opcode::commit: return "commit";
    case Opcode::attach_fence: return "attach_fence";
    case Opcode::destroy_surface: return "destroy_surface";
    case Opcode::release_lease: return "release_lease";
    case Opcode::track_lease: return "track_lease";
    case Opcode::welcome: return "welcome";
    case Opcode::configure: return "configure";
    case Opcode::leased: return "leased";
    case Opcode::frame: return "frame";
    case Opcode::presented: return "presented";
    case Opcode::revoked: return "revoked";
    case Opcode::error: return "error";
    }
    return "unknown";
}

}  // namespace udefio::wire
