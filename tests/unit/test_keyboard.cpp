// The seat keyboard (xkbcommon keymaps from rule names, keysyms, text,
// modifiers, which keys repeat) and the tty bytes a console program reads.
#include <gtest/gtest.h>
#include <linux/input-event-codes.h>
#include <xkbcommon/xkbcommon-keysyms.h>

#include <string>
#include <vector>

#include "input/keyboard.hpp"
#include "input/tty_keys.hpp"

using namespace udefio;

namespace {

KeyboardConfig layout(const std::string& name, const std::string& options = "")
{
    KeyboardConfig c;
    c.rules = "evdev";  // explicit: XKB_DEFAULT_* in the environment must not change the test
    c.model = "pc105";
    c.layout = name;
    c.options = options;
    return c;
}

std::unique_ptr<Keyboard> us() { return Keyboard::create(layout("us")).value(); }

// Presses and releases `key`, returning the press.
KeyEvent tap(Keyboard& k, uint32_t key)
{
    KeyEvent e = k.key(key, true);
    k.key(key, false);
    return e;
}

std::string bytes_of(Keyboard& k, uint32_t key, const TtyKeyMode& mode = {})
{
    return tty_bytes(tap(k, key), mode);
}

}  // namespace

TEST(Keyboard, LettersTypeThemselvesAndShiftMakesCapitals)
{
    auto k = us();
    KeyEvent a = tap(*k, KEY_A);
    EXPECT_EQ(a.key, uint32_t(KEY_A));
    EXPECT_TRUE(a.pressed);
    EXPECT_EQ(a.keysym, uint32_t(XKB_KEY_a));
    EXPECT_EQ(a.utf8, "a");
    EXPECT_FALSE(a.mods.shift);

    k->key(KEY_LEFTSHIFT, true);
    EXPECT_TRUE(k->modifiers().shift);
    EXPECT_NE(k->modifiers().depressed, 0u);
    KeyEvent big = k->key(KEY_A, true);
    EXPECT_EQ(big.keysym, uint32_t(XKB_KEY_A));
    EXPECT_EQ(big.utf8, "A");
    EXPECT_TRUE(big.mods.shift);
    KeyEvent release = k->key(KEY_A, false);
    EXPECT_FALSE(release.pressed);
    EXPECT_EQ(release.utf8, "");
    k->key(KEY_LEFTSHIFT, false);
    EXPECT_FALSE(k->modifiers().shift);
    EXPECT_EQ(k->modifiers().depressed, 0u);
}

TEST(Keyboard, TheLayoutComesFromTheRuleNames)
{
    auto de = Keyboard::create(layout("de")).value();
    EXPECT_EQ(tap(*de, KEY_Y).utf8, "z");  // QWERTZ
    EXPECT_EQ(tap(*de, KEY_SEMICOLON).utf8, "\xc3\xb6");  // ö, as UTF-8

    KeyboardConfig dvorak = layout("us");
    dvorak.variant = "dvorak";
    auto dv = Keyboard::create(dvorak).value();
    EXPECT_EQ(tap(*dv, KEY_S).utf8, "o");
}

TEST(Keyboard, OptionsApply)
{
    // ctrl:nocaps: Caps Lock is another Control.
    auto k = Keyboard::create(layout("us", "ctrl:nocaps")).value();
    k->key(KEY_CAPSLOCK, true);
    KeyEvent c = k->key(KEY_C, true);
    EXPECT_TRUE(c.mods.ctrl);
    EXPECT_EQ(c.utf8, "\x03");
}

TEST(Keyboard, AnUnknownLayoutIsAClearError)
{
    auto k = Keyboard::create(layout("no-such-layout"));
    ASSERT_FALSE(k);
    EXPECT_NE(k.error().message().find("layout=no-such-layout"), std::string::npos) << k.error().message();
}

TEST(Keyboard, AnUnknownVariantOrOptionIsAClearError)
{
    KeyboardConfig config = layout("us");
    config.variant = "no-such-variant";
    auto v = Keyboard::create(config);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message().find("us(no-such-variant)"), std::string::npos) << v.error().message();
    // xkbcommon only logs an option no rule knows and leaves it out: the keymap is not the one asked for.
    auto o = Keyboard::create(layout("us", "ctrl:nocap"));
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().message().find("\"ctrl:nocap\""), std::string::npos) << o.error().message();
}

TEST(Keyboard, LettersRepeatAndModifiersDoNot)
{
    auto k = us();
    EXPECT_TRUE(k->repeats(KEY_A));
    EXPECT_TRUE(k->repeats(KEY_BACKSPACE));
    EXPECT_FALSE(k->repeats(KEY_LEFTSHIFT));
    EXPECT_FALSE(k->repeats(KEY_LEFTCTRL));
    // A repeat takes the modifiers in effect at the time it fires.
    k->key(KEY_A, true);
    EXPECT_EQ(k->repeat(KEY_A).utf8, "a");
    k->key(KEY_LEFTSHIFT, true);
    KeyEvent r = k->repeat(KEY_A);
    EXPECT_TRUE(r.repeat);
    EXPECT_TRUE(r.pressed);
    EXPECT_EQ(r.utf8, "A");
}

TEST(TtyKeys, TextAndControlCharacters)
{
    auto k = us();
    EXPECT_EQ(bytes_of(*k, KEY_A), "a");
    EXPECT_EQ(bytes_of(*k, KEY_ENTER), "\r");
    EXPECT_EQ(bytes_of(*k, KEY_KPENTER), "\r");
    EXPECT_EQ(bytes_of(*k, KEY_BACKSPACE), "\x7f");
    EXPECT_EQ(bytes_of(*k, KEY_TAB), "\t");
    EXPECT_EQ(bytes_of(*k, KEY_ESC), "\x1b");
    EXPECT_EQ(bytes_of(*k, KEY_LEFTSHIFT), "");
    k->key(KEY_LEFTCTRL, true);
    EXPECT_EQ(bytes_of(*k, KEY_C), "\x03");
    EXPECT_EQ(bytes_of(*k, KEY_D), "\x04");
    k->key(KEY_LEFTCTRL, false);
    k->key(KEY_LEFTALT, true);
    EXPECT_EQ(bytes_of(*k, KEY_X), "\x1bx");  // Meta sends ESC first
    k->key(KEY_LEFTALT, false);
    k->key(KEY_LEFTSHIFT, true);
    EXPECT_EQ(bytes_of(*k, KEY_TAB), "\x1b[Z");
    k->key(KEY_LEFTSHIFT, false);
    // A release types nothing.
    k->key(KEY_A, true);
    EXPECT_EQ(tty_bytes(k->key(KEY_A, false), {}), "");
}

TEST(TtyKeys, TheLinuxConsolesSequences)
{
    auto k = us();
    const std::vector<std::pair<uint32_t, std::string>> expected = {
        {KEY_UP, "\x1b[A"},       {KEY_DOWN, "\x1b[B"},     {KEY_RIGHT, "\x1b[C"},    {KEY_LEFT, "\x1b[D"},
        {KEY_HOME, "\x1b[1~"},    {KEY_INSERT, "\x1b[2~"},  {KEY_DELETE, "\x1b[3~"},  {KEY_END, "\x1b[4~"},
        {KEY_PAGEUP, "\x1b[5~"},  {KEY_PAGEDOWN, "\x1b[6~"}, {KEY_F1, "\x1b[[A"},     {KEY_F5, "\x1b[[E"},
        {KEY_F6, "\x1b[17~"},     {KEY_F10, "\x1b[21~"},    {KEY_F11, "\x1b[23~"},    {KEY_F12, "\x1b[24~"},
    };
    for (const auto& [key, bytes] : expected)
        EXPECT_EQ(bytes_of(*k, key), bytes) << key;
    // DECCKM: the program asked for application cursor keys.
    EXPECT_EQ(bytes_of(*k, KEY_UP, {true}), "\x1bOA");
    EXPECT_EQ(bytes_of(*k, KEY_LEFT, {true}), "\x1bOD");
    EXPECT_EQ(bytes_of(*k, KEY_HOME, {true}), "\x1b[1~");
}

TEST(TtyKeys, TheKeypadFollowsNumLock)
{
    auto k = us();
    EXPECT_EQ(bytes_of(*k, KEY_KP8), "\x1b[A");  // Num Lock off: KP_Up
    EXPECT_EQ(bytes_of(*k, KEY_KP5), "\x1b[G");
    tap(*k, KEY_NUMLOCK);
    EXPECT_EQ(bytes_of(*k, KEY_KP8), "8");
}

namespace {
struct Collect final : TtyListener {
    std::string got;
    void on_tty_bytes(std::string_view bytes) override { got += bytes; }
};
}  // namespace

TEST(TtyKeys, TtyInputForwardsKeysOnly)
{
    auto k = us();
    Collect tty;
    TtyInput input(tty);
    input.on_input({{}, 1, PointerButton{0x110, true, {}}});
    input.on_input({{}, 1, tap(*k, KEY_H)});
    input.on_input({{}, 1, k->key(KEY_I, true)});
    input.on_input({{}, 1, k->repeat(KEY_I)});
    input.on_input({{}, 1, k->key(KEY_I, false)});
    input.set_mode({true});
    input.on_input({{}, 1, tap(*k, KEY_UP)});
    EXPECT_EQ(tty.got, "hii\x1bOA");
}
