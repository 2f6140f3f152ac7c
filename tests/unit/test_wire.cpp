// The wire format: every message survives encode → decode; anything else a
// peer can send (short, long, lying about its size, unknown, with the wrong
// fds, with bad fields) is refused with a message that says what was wrong.
#include <gtest/gtest.h>

#include <cstring>

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

TEST(Wire, EveryMessageSaysTheVersionThatIntroducedIt)
{
    EXPECT_EQ(since_of(Request(Hello{1})), 1u);
    EXPECT_EQ(since_of(Request(CreateSurfaceOn{1, 1})), 2u);
    EXPECT_EQ(since_of(Event(OutputInfo{})), 2u);
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
                                      CreateSurfaceOn{7, 2}};
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
                                    SurfaceOutput{7, 2}};
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
