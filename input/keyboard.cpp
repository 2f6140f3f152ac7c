#include "input/keyboard.hpp"

#include <xkbcommon/xkbcommon.h>

#include <cstdarg>
#include <cstdio>
#include <string>

#include "util/log.hpp"

namespace udefio {
namespace {

// evdev codes are xkb keycodes minus 8 (the X11 offset xkbcommon keeps).
constexpr uint32_t kEvdevOffset = 8;

const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

std::string describe_names(const KeyboardConfig& c)
{
    auto field = [](const char* name, const std::string& v) { return std::string(name) + "=" + (v.empty() ? "(default)" : v); };
    return field("rules", c.rules) + " " + field("model", c.model) + " " + field("layout", c.layout) + " " +
           field("variant", c.variant) + " " + field("options", c.options);
}

// xkbcommon's complaints (a missing symbols file, ...) in udefio's log. While
// the keymap is compiled, the context's user data collects its errors: one of
// them (an option no rule knows, which xkbcommon only logs and ignores) makes
// the keymap another than the one asked for, so it fails the keymap.
void log_xkb(xkb_context* context, xkb_log_level level, const char* format, va_list args)
{
    auto* errors = static_cast<std::string*>(xkb_context_get_user_data(context));
    if (errors && errors->empty() && level <= XKB_LOG_LEVEL_ERROR) {
        char line[512];
        va_list copy;
        va_copy(copy, args);
        std::vsnprintf(line, sizeof line, format, copy);
        va_end(copy);
        std::string text = line;
        while (!text.empty() && text.back() == '\n')
            text.pop_back();
        *errors = text;  // the first says what; the rest list include paths
    }
    log_library(level <= XKB_LOG_LEVEL_ERROR && !errors ? LogLevel::warn : LogLevel::debug, "xkbcommon", format,
                args);
}

}  // namespace

Result<std::unique_ptr<Keyboard>> Keyboard::create(const KeyboardConfig& config)
{
    xkb_context* context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
    if (!context)
        return plain_error("xkb_context_new failed (is xkb-data installed?)");
    std::string errors;
    xkb_context_set_user_data(context, &errors);
    xkb_context_set_log_fn(context, log_xkb);
    const xkb_rule_names names{or_null(config.rules), or_null(config.model), or_null(config.layout),
                               or_null(config.variant), or_null(config.options)};
    xkb_keymap* keymap = xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
    xkb_context_set_user_data(context, nullptr);
    if (!keymap || !errors.empty()) {
        if (keymap)
            xkb_keymap_unref(keymap);
        xkb_context_unref(context);
        return plain_error("no xkb keymap for " + describe_names(config) + ": " +
                           (errors.empty() ? std::string("xkbcommon failed") : errors) +
                           " (see /usr/share/X11/xkb/rules/evdev.lst for the known names)");
    }
    xkb_state* state = xkb_state_new(keymap);
    if (!state) {
        xkb_keymap_unref(keymap);
        xkb_context_unref(context);
        return plain_error("xkb_state_new failed");
    }
    return std::make_unique<Keyboard>(Key{}, context, keymap, state);
}

Keyboard::Keyboard(Key, xkb_context* context, xkb_keymap* keymap, xkb_state* state)
    : context_(context), keymap_(keymap), state_(state)
{
}

Keyboard::~Keyboard()
{
    xkb_state_unref(state_);
    xkb_keymap_unref(keymap_);
    xkb_context_unref(context_);
}

Modifiers Keyboard::modifiers() const
{
    auto active = [this](const char* name) {
        return xkb_state_mod_name_is_active(state_, name, XKB_STATE_MODS_EFFECTIVE) > 0;
    };
    return Modifiers{xkb_state_serialize_mods(state_, XKB_STATE_MODS_DEPRESSED),
                     xkb_state_serialize_mods(state_, XKB_STATE_MODS_LATCHED),
                     xkb_state_serialize_mods(state_, XKB_STATE_MODS_LOCKED),
                     xkb_state_serialize_layout(state_, XKB_STATE_LAYOUT_EFFECTIVE),
                     active(XKB_MOD_NAME_SHIFT),
                     active(XKB_MOD_NAME_CTRL),
                     active(XKB_MOD_NAME_ALT),
                     active(XKB_MOD_NAME_LOGO)};
}

KeyEvent Keyboard::describe(uint32_t key, bool pressed) const
{
    const xkb_keycode_t code = key + kEvdevOffset;
    KeyEvent e;
    e.key = key;
    e.pressed = pressed;
    e.keysym = xkb_state_key_get_one_sym(state_, code);
    if (pressed) {
        // With Ctrl held, xkbcommon applies the control transformation
        // (Ctrl+C types U+0003), as a terminal expects.
        char text[64];
        const int n = xkb_state_key_get_utf8(state_, code, text, sizeof text);
        if (n > 0 && size_t(n) < sizeof text)
            e.utf8.assign(text, size_t(n));
    }
    e.mods = modifiers();
    return e;
}

KeyEvent Keyboard::key(uint32_t key, bool pressed)
{
    KeyEvent e = describe(key, pressed);
    xkb_state_update_key(state_, key + kEvdevOffset, pressed ? XKB_KEY_DOWN : XKB_KEY_UP);
    return e;
}

KeyEvent Keyboard::repeat(uint32_t key) const
{
    KeyEvent e = describe(key, true);
    e.repeat = true;
    return e;
}

bool Keyboard::repeats(uint32_t key) const { return xkb_keymap_key_repeats(keymap_, key + kEvdevOffset) != 0; }

}  // namespace udefio
