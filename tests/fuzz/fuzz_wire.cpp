// libFuzzer target for the wire decoder: the first byte says how many fds
// came with the packet (0-2), the rest is the packet. Whatever it is, the
// decoder must return (no crash, no sanitizer report), and what it accepts
// must encode back to the very same bytes.
#include <cstdlib>
#include <cstring>

#include "protocol/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const size_t fds = data[0] % 3;
    const std::span<const std::byte> packet(reinterpret_cast<const std::byte*>(data + 1), size - 1);
    using namespace udefio::wire;
    if (auto request = decode_request(packet, fds); request.ok()) {
        const auto again = encode(*request);
        if (again.size() != packet.size() || std::memcmp(again.data(), packet.data(), again.size()) != 0)
            std::abort();
    }
    if (auto event = decode_event(packet, fds); event.ok()) {
        const auto again = encode(*event);
        if (again.size() != packet.size() || std::memcmp(again.data(), packet.data(), again.size()) != 0)
            std::abort();
    }
    return 0;
}
