#include "input/tty_keys.hpp"

#include <xkbcommon/xkbcommon-keysyms.h>

namespace udefio {
namespace {

// The Linux console's sequences (drivers/tty/vt/defkeymap.c_shipped: the
// func_table, and the cursor keys of drivers/tty/vt/keyboard.c).
std::string_view special(uint32_t keysym, const TtyKeyMode& mode)
{
    const bool app = mode.application_cursor;
    switch (keysym) {
    case XKB_KEY_Up: case XKB_KEY_KP_Up: return app ? "\x1bOA" : "\x1b[A";
    case XKB_KEY_Down: case XKB_KEY_KP_Down: return app ? "\x1bOB" : "\x1b[B";
    case XKB_KEY_Right: case XKB_KEY_KP_Right: return app ? "\x1bOC" : "\x1b[C";
    case XKB_KEY_Left: case XKB_KEY_KP_Left: return app ? "\x1bOD" : "\x1b[D";
    case XKB_KEY_KP_Begin: return "\x1b[G";
    case XKB_KEY_Home: case XKB_KEY_KP_Home: return "\x1b[1~";
    case XKB_KEY_Insert: case XKB_KEY_KP_Insert: return "\x1b[2~";
    case XKB_KEY_Delete: case XKB_KEY_KP_Delete: return "\x1b[3~";
    case XKB_KEY_End: case XKB_KEY_KP_End: return "\x1b[4~";
    case XKB_KEY_Prior: case XKB_KEY_KP_Prior: return "\x1b[5~";
    case XKB_KEY_Next: case XKB_KEY_KP_Next: return "\x1b[6~";
    case XKB_KEY_F1: return "\x1b[[A";
    case XKB_KEY_F2: return "\x1b[[B";
    case XKB_KEY_F3: return "\x1b[[C";
    case XKB_KEY_F4: return "\x1b[[D";
    case XKB_KEY_F5: return "\x1b[[E";
    case XKB_KEY_F6: return "\x1b[17~";
    case XKB_KEY_F7: return "\x1b[18~";
    case XKB_KEY_F8: return "\x1b[19~";
    case XKB_KEY_F9: return "\x1b[20~";
    case XKB_KEY_F10: return "\x1b[21~";
    case XKB_KEY_F11: return "\x1b[23~";
    case XKB_KEY_F12: return "\x1b[24~";
    case XKB_KEY_Return: case XKB_KEY_KP_Enter: return "\r";
    case XKB_KEY_BackSpace: return "\x7f";
    case XKB_KEY_ISO_Left_Tab: return "\x1b[Z";  // Shift+Tab
    default: return {};
    }
}

}  // namespace

std::string tty_bytes(const KeyEvent& key, const TtyKeyMode& mode)
{
    if (!key.pressed)
        return {};
    if (const std::string_view sequence = special(key.keysym, mode); !sequence.empty())
        return std::string(sequence);
    // Tab, Escape and Ctrl+letter are control characters in the text already.
    // The console's Meta: Alt with a key that types sends ESC first.
    if (key.mods.alt && !key.utf8.empty())
        return "\x1b" + key.utf8;
    return key.utf8;
}

void TtyInput::on_input(const InputEvent& event)
{
    const auto* key = std::get_if<KeyEvent>(&event.what);
    if (!key)
        return;
    const std::string bytes = tty_bytes(*key, mode_);
    if (!bytes.empty())
        tty_.on_tty_bytes(bytes);
}

}  // namespace udefio
