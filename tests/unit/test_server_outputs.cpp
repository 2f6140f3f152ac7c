// Protocol version 2: clients learn the outputs and choose one; an output
// that goes away revokes its leases and moves its surfaces to the default
// output; a mode change revokes them with output_changed and configures the
// new size; version 1 clients keep working as before; an expired lease's id
// names only the lease it was armed for.
#include <sys/mman.h>
#include <sys/stat.h>

#include <thread>

#include "tests/unit/server_fixture.hpp"

using namespace udefio;
using namespace std::chrono_literals;
using test::ServerTest;
using test::SteppedServerTest;
using test::TestClient;

namespace {

std::string name_of(const wire::OutputInfo& o) { return std::string(o.name); }

}  // namespace

TEST_F(ServerTest, Version2ClientsHearOfEveryOutputAndChooseOne)
{
    add_output(2, "test-1", 128, 32);
    TestClient c = greeted(2);
    ASSERT_EQ(c.outputs.size(), 2u) << "the outputs come before the welcome";
    const auto first = c.outputs[0];
    const auto second = c.outputs[1];
    EXPECT_EQ(name_of(first), "test-0");
    EXPECT_EQ(first.width, 256u);
    EXPECT_EQ(name_of(second), "test-1");
    EXPECT_EQ(second.width, 128u);
    EXPECT_EQ(second.height, 32u);
    EXPECT_EQ(second.stride, 512u);
    EXPECT_EQ(second.refresh_mhz, 60'000u);
    c.send(wire::CreateSurfaceOn{5, second.output});
    EXPECT_EQ(c.expect<wire::SurfaceOutput>().output, second.output);
    const auto conf = c.expect<wire::Configure>();
    EXPECT_EQ(conf.surface, 5u);
    EXPECT_EQ(conf.width, 128u);
    // A lease of that output's frame lands there.
    c.send(wire::LeaseBuffer{5, 1, 0, 0});
    UniqueFd fd;
    auto leased = c.next(&fd);
    ASSERT_TRUE(leased && std::holds_alternative<wire::Leased>(*leased));
    EXPECT_EQ(std::get<wire::Leased>(*leased).length, 512u * 32);
}

TEST_F(ServerTest, AnOutputThatGoesRevokesItsLeasesAndItsSurfacesMoveToTheDefault)
{
    add_output(2, "test-1", 128, 32);
    TestClient c = greeted(2);
    c.send(wire::CreateSurfaceOn{5, 2});
    (void)c.expect<wire::SurfaceOutput>();
    (void)c.expect<wire::Configure>();
    c.send(wire::LeaseBuffer{5, 1, 0, 0});
    UniqueFd fd;
    ASSERT_TRUE(c.next(&fd).has_value());
    loop_.run_on_loop([&] { server_->remove_output(2); });
    const auto revoked = c.expect<wire::Revoked>();
    EXPECT_EQ(revoked.lease, 1u);
    EXPECT_EQ(revoked.reason, uint32_t(wire::RevokeReason::output_gone));
    EXPECT_EQ(c.expect<wire::OutputRemoved>().output, 2u);
    EXPECT_EQ(c.expect<wire::SurfaceOutput>().output, kOutput) << "moved to the default output";
    EXPECT_EQ(c.expect<wire::Configure>().width, 256u);
}

TEST_F(ServerTest, AModeChangeRevokesWithOutputChangedAndConfiguresTheNewSize)
{
    TestClient v2 = greeted(2);
    TestClient v1 = greeted(1);
    for (TestClient* c : {&v2, &v1}) {
        c->send(wire::CreateSurface{1});
        if (c == &v2)
            (void)c->expect<wire::SurfaceOutput>();
        (void)c->expect<wire::Configure>();
        c->send(wire::LeaseBuffer{1, 3, 0, 0});
        UniqueFd fd;
        ASSERT_TRUE(c->next(&fd).has_value());
    }
    // The output's frame is replaced by one of another size (the same id).
    DeferredIoOptions options;
    options.tracker = TrackerKind::explicit_damage;
    auto bigger = DeferredIoState::create(BufferLayout::make(512, 64).value(), options).value();
    ASSERT_TRUE(bigger->attach(sink_).ok());
    auto target = LeaseTarget::create(bigger).value();
    loop_.run_on_loop([&] { server_->replace_output({kOutput, "test-0", 60'000, target.get()}); });
    EXPECT_EQ(v2.expect<wire::Revoked>().reason, uint32_t(wire::RevokeReason::output_changed));
    EXPECT_EQ(v2.expect<wire::OutputInfo>().width, 512u);
    EXPECT_EQ(v2.expect<wire::SurfaceOutput>().output, kOutput);
    EXPECT_EQ(v2.expect<wire::Configure>().width, 512u);
    // Version 1 knows no output_changed: for it the old frame's lease is gone.
    EXPECT_EQ(v1.expect<wire::Revoked>().reason, uint32_t(wire::RevokeReason::output_gone));
    EXPECT_EQ(v1.expect<wire::Configure>().width, 512u);
    // Both lease the new frame and keep drawing.
    v1.send(wire::LeaseBuffer{1, 4, 0, 0});
    UniqueFd fd;
    auto leased = v1.next(&fd);
    ASSERT_TRUE(leased && std::holds_alternative<wire::Leased>(*leased));
    EXPECT_EQ(std::get<wire::Leased>(*leased).stride, 2048u);
    loop_.run_on_loop([&] { server_->remove_output(kOutput); });
    target.reset();
    bigger->detach();
}

TEST_F(ServerTest, ASurfaceWithoutAnOutputWaitsAndALeaseOfItIsRefusedGently)
{
    loop_.run_on_loop([&] { server_->remove_output(kOutput); });
    TestClient c = greeted(1);
    c.send(wire::CreateSurface{1});
    c.send(wire::LeaseBuffer{1, 2, 0, 0});
    const auto revoked = c.expect<wire::Revoked>();  // no configure came: no output
    EXPECT_EQ(revoked.lease, 2u);
    EXPECT_EQ(revoked.reason, uint32_t(wire::RevokeReason::output_gone));
    // An output appears: it is the default now, and the surface is configured there.
    add_output(9, "test-9", 64, 16);
    EXPECT_EQ(c.expect<wire::Configure>().width, 64u);
}

TEST_F(ServerTest, AVersion2RequestOnAVersion1ConnectionIsAProtocolError)
{
    TestClient c = greeted(1);
    c.send(wire::CreateSurfaceOn{1, kOutput});
    EXPECT_NE(c.expect_error_and_disconnect().find("needs protocol version 2"), std::string::npos);
}

// The race that lost a lease (the expired entry was erased by a callback
// posted at its expiry, matched by its address): the expiry and the client's
// new lease of that id land in consecutive wakeups, with that callback,
// had there been one, queued behind the new lease. The loop is stepped by
// the test: 64 requests that need no answer fill the wakeup in which the
// expiry fires, so the new lease is read first thing in the next.
TEST_F(SteppedServerTest, ANewLeaseUnderAnExpiredLeasesIdIsNotErasedWithIt)
{
    TestClient c = greeted();
    c.send(wire::CreateSurface{1});
    (void)await<wire::Configure>(c);
    server_->set_lease_lifetime(1ms);
    c.send(wire::LeaseBuffer{1, 7, 0, 4096});
    UniqueFd first;
    (void)await<wire::Leased>(c, &first);
    const auto due = std::chrono::steady_clock::now() + 1ms;  // the expiry's deadline is before this
    server_->set_lease_lifetime(0ms);
    for (int i = 0; i < ClientConnection::kMaxRequestsPerWakeup; ++i)
        c.send(wire::DamageRect{1, 0, 0, 1, 1});
    c.send(wire::LeaseBuffer{1, 7, 0, 4096});
    while (std::chrono::steady_clock::now() < due)  // the loop's own clock: the timer is due after this
        std::this_thread::yield();
    step();  // the 64 damage requests, then the expiry (a wakeup runs fds before timers)
    ASSERT_TRUE(c.has_event());
    const auto revoked = c.expect<wire::Revoked>();
    EXPECT_EQ(revoked.reason, uint32_t(wire::RevokeReason::expired));
    step();  // the new lease, then whatever the expiry posted
    ASSERT_TRUE(c.has_event()) << "the new lease was not read in the wakeup after the expiry";
    UniqueFd second;
    auto leased = c.next(&second);
    ASSERT_TRUE(leased && std::holds_alternative<wire::Leased>(*leased));
    step();
    // Released by its id, the new lease is revoked: its memfd is truncated.
    c.send(wire::ReleaseLease{7});
    c.send(wire::CreateSurface{100});  // a reply that proves the release was handled
    EXPECT_EQ(await<wire::Configure>(c).surface, 100u);
    struct stat st{};
    ASSERT_EQ(::fstat(second.get(), &st), 0);
    EXPECT_EQ(st.st_size, 0) << "lease 7 was lost: releasing it did not revoke its memfd";
}
