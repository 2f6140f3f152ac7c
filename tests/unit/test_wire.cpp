// The wire format: every message survives encode → decode; anything else a
// peer can send (short, long, lying about its size, unknown, with the wrong
// fds, with bad fields) is refused with a message that says what was wrong.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "protocol/wire.hpp"

using namespace udefio;
using namespace udefio::wire;

namespace {

std::vector<std::byte> raw(uint32_t opcode, uint32_t size, size_t actual)
{
    std::vector<std::byte> bytes(actual);
    const Header h{opcode, size};
    std::memcpy(bytes.data(), &h, std::min(sizeof h, actual));
    return bytes;
}

std::string error_of(std::span<const std::byte> bytes, size_t fds)
{
    auto r = decode_request(bytes, fds);
    return r.ok() ? std::string() : r.error().message();
}

}  // namespace

// The sizes docs/PROTOCOL.md gives, byte for byte.
static_assert(sizeof(Header) + sizeof(CreateSurfaceOn) == 16);
static_assert(sizeof(Header) + sizeof(OutputInfo) == 64);
static_assert(sizeof(Header) + sizeof(OutputRemoved) == 12);
static_assert(sizeof(Header) + sizeof(SurfaceOutput) == 16);
static_assert(sizeof(Header) + sizeof(ErrorEvent) == 128);
static_assert(sizeof(Header) + sizeof(RequestFocus) == 12);
static_assert(sizeof(Header) + sizeof(Focus) == 16);
static_assert(sizeof(Header) + sizeof(Key) == 64);
static_assert(sizeof(Header) + sizeof(PointerMotion) == 40);
static_assert(sizeof(Header) + sizeof(PointerButton) == 40);
static_assert(sizeof(Header) + sizeof(PointerAxis) == 48);
static_assert(sizeof(Header) + sizeof(TouchDown) == 32);
static_assert(sizeof(Header) + sizeof(TouchMotion) == 32);
static_assert(sizeof(Header) + sizeof(TouchUp) == 24);
static_assert(sizeof(Header) + sizeof(TouchFrame) == 12);
static_assert(sizeof(Header) + sizeof(TouchCancel) == 12);

TEST(Wire, EveryMessageSaysTheVersionThatIntroducedIt)
{
    EXPECT_EQ(since_of(Request(Hello{1})), 1u);
    EXPECT_EQ(since_of(Request(CreateSurfaceOn{1, 1})), 2u);
    EXPECT_EQ(since_of(Event(OutputInfo{})), 2u);
    EXPECT_EQ(since_of(Request(RequestFocus{1})), 3u);
    EXPECT_EQ(since_of(Event(Key{})), 3u);
    EXPECT_EQ(since_of(Event(TouchCancel{})), 3u);
    EXPECT_EQ(opcode_name(PointerAxis::opcode), "pointer_axis");
    EXPECT_EQ(opcode_name(CreateSurfaceOn::opcode), "create_surface_on");
    EXPECT_EQ(opcode_name(OutputRemoved::opcode), "output_removed");
    EXPECT_EQ(opcode_name(999), "unknown");
}

TEST(Wire, AnOutputNameMustBeTerminated)
{
    OutputInfo o = make_output_info(1, "x", 8, 8, 32, 60'000);
    std::memset(o.name, 'a', sizeof o.name);
    auto bytes = encode(Event(o));
    EXPECT_FALSE(decode_event(bytes, 0).ok());
}

TEST(Wire, EveryRequestRoundTrips)
{
    const std::vector<Request> all = {Hello{kVersion},     CreateSurface{7},          LeaseBuffer{7, 3, 4096, 8192},
                                      DamageRect{7, 1, 2, 3, 4}, Commit{7, 99},       AttachFence{7},
                                      DestroySurface{7},   ReleaseLease{3},       TrackLease{3, 0, 0x7f0000001000},
                                      CreateSurfaceOn{7, 2},    RequestFocus{7}};
    for (const Request& request : all) {
        const auto bytes = encode(request);
        auto back = decode_request(bytes, fds_of(request));
        ASSERT_TRUE(back.ok()) << back.error().message();
        EXPECT_EQ(encode(*back), bytes);
    }
}

TEST(Wire, EveryEventRoundTrips)
{
    const std::vector<Event> all = {Welcome{kVersion},
                                    Configure{7, 640, 480, 2560, 0x34325258},
                                    Leased{7, 3, 0, 4096 * 75, 2560, 0},
                                    Frame{7, 1},
                                    Presented{7, 1, 42, 123456789},
                                    Revoked{3, uint32_t(RevokeReason::output_gone)},
                                    make_error(ErrorCode::bad_message, "truncated"),
                                    make_output_info(2, "HDMI-A-1", 1920, 1080, 7680, 60'000),
                                    OutputRemoved{2},
                                    SurfaceOutput{7, 2},
                                    Focus{7, 1},
                                    Key{7, 1, 1000, 30, 0x61, 1, 0, 2, 0, "a"},
                                    PointerMotion{7, 0, 1000, to_fixed(10.5), to_fixed(20), to_fixed(-1.25), 0},
                                    PointerButton{7, 1, 1000, 0x110, to_fixed(10.5), to_fixed(20), 0},
                                    PointerAxis{7, 0, 1000, to_fixed(15), 0, 120, 0, 1, 2},
                                    TouchDown{7, 3, 1000, to_fixed(1), to_fixed(2)},
                                    TouchMotion{7, 3, 1000, to_fixed(3), to_fixed(4)},
                                    TouchUp{7, 3, 1000},
                                    TouchFrame{7},
                                    TouchCancel{7}};
    for (const Event& event : all) {
        const auto bytes = encode(event);
        auto back = decode_event(bytes, fds_of(event));
        ASSERT_TRUE(back.ok()) << back.error().message();
        EXPECT_EQ(encode(*back), bytes);
    }
}

TEST(Wire, TruncatedOversizedAndLyingMessagesAreRefused)
{
    EXPECT_NE(error_of(raw(1, 12, 3), 0).find("truncated"), std::string::npos);
    EXPECT_NE(error_of(raw(1, 300, 300), 0).find("oversized"), std::string::npos);
    EXPECT_NE(error_of(raw(1, 16, 12), 0).find("says 16 bytes but 12"), std::string::npos);
    EXPECT_NE(error_of(raw(1, 16, 16), 0).find("hello: 16 bytes, expected 12"), std::string::npos);
    EXPECT_NE(error_of(raw(77, 12, 12), 0).find("unknown request opcode 77"), std::string::npos);
    EXPECT_NE(error_of(raw(Welcome::opcode, 12, 12), 0).find("unknown request"), std::string::npos)
        << "an event is not a request";
}

TEST(Wire, FdsMustMatchTheOpcode)
{
    EXPECT_NE(error_of(encode(Request(Hello{kVersion})), 1).find("came with 1 fds, expected 0"), std::string::npos);
    EXPECT_NE(error_of(encode(Request(AttachFence{1})), 0).find("came with 0 fds, expected 1"), std::string::npos);
    EXPECT_FALSE(decode_event(encode(Event(Leased{1, 1, 0, 4096, 4096, 0})), 0).ok());
}

TEST(Wire, FieldsAreChecked)
{
    EXPECT_NE(error_of(encode(Request(LeaseBuffer{1, 1, 100, 4096})), 0).find("page aligned"), std::string::npos);
    EXPECT_NE(error_of(encode(Request(DamageRect{1, 0, 0, 0, 5})), 0).find("empty or out of range"),
              std::string::npos);
    EXPECT_NE(error_of(encode(Request(DamageRect{1, -4, 0, 5, 5})), 0).find("out of range"), std::string::npos);
    ErrorEvent unterminated{};
    std::memset(unterminated.message, 'x', sizeof unterminated.message);
    EXPECT_FALSE(decode_event(encode(Event(unterminated)), 0).ok());
    EXPECT_EQ(std::string(make_error(ErrorCode::bad_fd, std::string(500, 'y')).message).size(), 115u);
}

TEST(Wire, InputEventFieldsAreChecked)
{
    Key key{7, 1, 0, 30, 0x61, 0, 0, 0, 0, "a"};
    std::memset(key.text, 'a', sizeof key.text);
    EXPECT_FALSE(decode_event(encode(Event(key)), 0).ok()) << "text not terminated";
    auto error = [](const Event& e) {
        auto r = decode_event(encode(e), 0);
        return r.ok() ? std::string() : r.error().message();
    };
    EXPECT_NE(error(Key{7, 3, 0, 30, 0, 0, 0, 0, 0, ""}).find("key: state 3 (at most 2)"), std::string::npos);
    EXPECT_NE(error(Focus{7, 2}).find("focused 2"), std::string::npos);
    EXPECT_NE(error(PointerMotion{7, 5, 0, 0, 0, 0, 0}).find("absolute 5"), std::string::npos);
    EXPECT_NE(error(PointerButton{7, 9, 0, 0, 0, 0, 0}).find("pressed 9"), std::string::npos);
    EXPECT_NE(error(PointerAxis{7, 3, 0, 0, 0, 0, 0, 0, 0}).find("source 3"), std::string::npos);
}

TEST(Wire, FixedPointIsWaylands)
{
    EXPECT_EQ(to_fixed(1.0), 256);
    EXPECT_EQ(to_fixed(-0.5), -128);
    EXPECT_DOUBLE_EQ(from_fixed(to_fixed(639.75)), 639.75);
    EXPECT_EQ(to_fixed(1e12), std::numeric_limits<Fixed>::max()) << "clamped, not wrapped";
}
