// Input over the protocol (version 3): the surface with the input focus gets
// every kind of event, in its pixels; the focus is asked for and the policy
// decides (--focus-requests); the main program has it from its first
// surface; it goes back to the main client when its client leaves, destroys
// the surface, or stops reading; older clients never see input.
#include <linux/input-event-codes.h>
#include <unistd.h>

#include <xkbcommon/xkbcommon-keysyms.h>

#include "tests/unit/server_fixture.hpp"

using namespace udefio;
using namespace std::chrono_literals;
using test::ServerTest;
using test::TestClient;

namespace {

class ServerInputTest : public ServerTest {
protected:
    // A version-3 client with surface 5 on the output.
    TestClient with_surface()
    {
        TestClient c = greeted(3);
        c.send(wire::CreateSurface{5});
        (void)c.expect<wire::SurfaceOutput>();
        (void)c.expect<wire::Configure>();
        return c;
    }
    void set_policy(FocusRequests requests, pid_t main_group = 0)
    {
        loop_.run_on_loop([&] { server_->set_focus_policy(requests, [main_group] { return main_group; }); });
    }
    // Whether a protocol client took the event (false: the main client's).
    bool deliver(InputEvent event)
    {
        bool taken = false;
        loop_.run_on_loop([&] { taken = server_->deliver_input(event); });
        return taken;
    }
    std::optional<std::pair<uint32_t, uint32_t>> focus()
    {
        std::optional<std::pair<uint32_t, uint32_t>> f;
        loop_.run_on_loop([&] { f = server_->focus(); });
        return f;
    }
    static InputEvent key(uint32_t code, bool pressed, std::string utf8)
    {
        KeyEvent k;
        k.key = code;
        k.pressed = pressed;
        k.keysym = XKB_KEY_a;
        k.utf8 = std::move(utf8);
        k.mods.depressed = 1;
        return InputEvent{std::chrono::microseconds(1234), 1, k};
    }
};

}  // namespace

TEST_F(ServerInputTest, TheFocusedSurfaceGetsEveryKindOfInputInItsPixels)
{
    TestClient c = with_surface();
    EXPECT_FALSE(deliver(key(KEY_A, true, "a"))) << "no focus yet: the main client's";
    c.send(wire::RequestFocus{5});
    const auto granted = c.expect<wire::Focus>();
    EXPECT_EQ(granted.surface, 5u);
    EXPECT_EQ(granted.focused, 1u);

    ASSERT_TRUE(deliver(key(KEY_A, true, "a")));
    const auto k = c.expect<wire::Key>();
    EXPECT_EQ(k.surface, 5u);
    EXPECT_EQ(k.state, uint32_t(wire::KeyState::pressed));
    EXPECT_EQ(k.key, uint32_t(KEY_A));
    EXPECT_EQ(k.keysym, uint32_t(XKB_KEY_a));
    EXPECT_EQ(k.mods_depressed, 1u);
    EXPECT_EQ(k.time_us, 1234u);
    EXPECT_STREQ(k.text, "a");
    KeyEvent repeat;
    repeat.pressed = repeat.repeat = true;
    repeat.utf8 = "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac";  // 6 euro signs, 18 bytes
    ASSERT_TRUE(deliver({{}, 1, repeat}));
    const auto r = c.expect<wire::Key>();
    EXPECT_EQ(r.state, uint32_t(wire::KeyState::repeated));
    EXPECT_STREQ(r.text, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac") << "cut at a character";

    ASSERT_TRUE(deliver({{}, 2, PointerMotion{{100.5, 20.25}, {1.5, -2}, false}}));
    const auto m = c.expect<wire::PointerMotion>();
    EXPECT_EQ(m.x, wire::to_fixed(100.5));
    EXPECT_EQ(m.y, wire::to_fixed(20.25));
    EXPECT_EQ(m.dx, wire::to_fixed(1.5));
    EXPECT_EQ(m.dy, wire::to_fixed(-2));
    EXPECT_EQ(m.absolute, 0u);
    ASSERT_TRUE(deliver({{}, 2, PointerButton{BTN_LEFT, true, {100.5, 20.25}}}));
    const auto b = c.expect<wire::PointerButton>();
    EXPECT_EQ(b.button, uint32_t(BTN_LEFT));
    EXPECT_EQ(b.pressed, 1u);
    EXPECT_EQ(b.x, wire::to_fixed(100.5));
    PointerAxis wheel;
    wheel.vertical = 15;
    wheel.vertical_v120 = 120;
    ASSERT_TRUE(deliver({{}, 2, wheel}));
    const auto a = c.expect<wire::PointerAxis>();
    EXPECT_EQ(a.source, uint32_t(wire::AxisSource::wheel));
    EXPECT_EQ(a.vertical, wire::to_fixed(15));
    EXPECT_EQ(a.vertical_v120, 120);

    ASSERT_TRUE(deliver({{}, 3, TouchDown{4, {10, 11}}}));
    ASSERT_TRUE(deliver({{}, 3, TouchMotion{4, {12, 13}}}));
    ASSERT_TRUE(deliver({{}, 3, TouchFrame{}}));
    ASSERT_TRUE(deliver({{}, 3, TouchUp{4}}));
    ASSERT_TRUE(deliver({{}, 3, TouchCancel{}}));
    const auto down = c.expect<wire::TouchDown>();
    EXPECT_EQ(down.id, 4);
    EXPECT_EQ(down.x, wire::to_fixed(10));
    EXPECT_EQ(c.expect<wire::TouchMotion>().y, wire::to_fixed(13));
    (void)c.expect<wire::TouchFrame>();
    EXPECT_EQ(c.expect<wire::TouchUp>().id, 4);
    (void)c.expect<wire::TouchCancel>();
    // Devices coming and going are not the client's business, but they are not the main client's either.
    ASSERT_TRUE(deliver({{}, 3, DeviceRemoved{"touch"}}));
    EXPECT_FALSE(c.has_event());
}

TEST_F(ServerInputTest, ThePolicyDecidesAndTheFocusMovesWithTheRequests)
{
    TestClient first = with_surface();
    TestClient second = with_surface();
    first.send(wire::RequestFocus{5});
    EXPECT_EQ(first.expect<wire::Focus>().focused, 1u);
    second.send(wire::RequestFocus{5});
    EXPECT_EQ(first.expect<wire::Focus>().focused, 0u) << "the first is told it lost it";
    EXPECT_EQ(second.expect<wire::Focus>().focused, 1u);
    ASSERT_TRUE(deliver(key(KEY_B, true, "b")));
    EXPECT_EQ(second.expect<wire::Key>().key, uint32_t(KEY_B));
    EXPECT_FALSE(first.has_event());

    // `none`: a request is answered with focused 0, and the holder keeps it.
    set_policy(FocusRequests::none);
    first.send(wire::RequestFocus{5});
    EXPECT_EQ(first.expect<wire::Focus>().focused, 0u);
    ASSERT_TRUE(deliver(key(KEY_C, true, "c")));
    EXPECT_EQ(second.expect<wire::Key>().key, uint32_t(KEY_C));
    // `main` with no main program running: refused as well.
    set_policy(FocusRequests::main_program, 0);
    first.send(wire::RequestFocus{5});
    EXPECT_EQ(first.expect<wire::Focus>().focused, 0u);

    // The holder destroys its surface: the main client has the input again.
    second.send(wire::DestroySurface{5});
    ASSERT_TRUE(test::wait_for([&] { return !focus().has_value(); }, 5s));
    EXPECT_FALSE(deliver(key(KEY_D, true, "d")));
}

TEST_F(ServerInputTest, TheMainProgramHasTheFocusFromItsFirstSurface)
{
    // This test's process plays the main program: its own group is the main program's.
    set_policy(FocusRequests::main_program, ::getpgrp());
    TestClient main = greeted(3);
    main.send(wire::CreateSurface{5});
    (void)main.expect<wire::SurfaceOutput>();
    (void)main.expect<wire::Configure>();
    const auto f = main.expect<wire::Focus>();
    EXPECT_EQ(f.surface, 5u);
    EXPECT_EQ(f.focused, 1u) << "without asking";
    // A client of another group is refused under `main` (here: the main program is a group that is not ours).
    set_policy(FocusRequests::main_program, ::getpgrp() + 100000);
    TestClient other = with_surface();
    other.send(wire::RequestFocus{5});
    EXPECT_EQ(other.expect<wire::Focus>().focused, 0u);
    EXPECT_TRUE(focus().has_value());
    // The main program leaves: the input goes back to the main client.
    main = TestClient(-1);
    ASSERT_TRUE(test::wait_for([&] { return !focus().has_value(); }, 5s));
    EXPECT_FALSE(deliver(key(KEY_A, true, "a")));
}

TEST_F(ServerInputTest, AFocusedClientThatNeverReadsIsDroppedAndTheInputGoesBack)
{
    TestClient c = with_surface();
    c.send(wire::RequestFocus{5});
    EXPECT_EQ(c.expect<wire::Focus>().focused, 1u);
    // A key repeat storm into a client that reads nothing: its queue of
    // unsent events is bounded, and past it the client is dropped.
    for (size_t i = 0; i < 64 * ClientConnection::kMaxQueuedEvents && focus(); ++i)
        deliver(key(KEY_A, true, "a"));
    ASSERT_TRUE(test::wait_for([&] { return !focus().has_value() && clients() == 0; }, 10s));
    EXPECT_FALSE(deliver(key(KEY_A, true, "a")));
}

TEST_F(ServerInputTest, OlderClientsNeitherAskNorGetInput)
{
    TestClient old = greeted(2);
    old.send(wire::CreateSurface{5});
    (void)old.expect<wire::SurfaceOutput>();
    (void)old.expect<wire::Configure>();
    old.send(wire::RequestFocus{5});
    EXPECT_NE(old.expect_error_and_disconnect().find("request_focus needs protocol version 3"), std::string::npos);
    // Even as the main program, a version-2 client is not given the focus.
    set_policy(FocusRequests::any, ::getpgrp());
    TestClient main = greeted(2);
    main.send(wire::CreateSurface{5});
    (void)main.expect<wire::SurfaceOutput>();
    (void)main.expect<wire::Configure>();
    EXPECT_FALSE(deliver(key(KEY_A, true, "a")));
    EXPECT_FALSE(main.has_event());
}

TEST_F(ServerInputTest, AskingForTheFocusOfASurfaceThatIsNotThereIsAnError)
{
    TestClient c = greeted(3);
    c.send(wire::RequestFocus{9});
    EXPECT_NE(c.expect_error_and_disconnect().find("no surface 9"), std::string::npos);
}
