#include "fbdev/keymap.hpp"

#include <linux/keyboard.h>

#include <array>

namespace udefio::fbdev {
namespace {

struct Key {
    uint8_t code;
    char plain;
    char shifted;
};

// linux/input-event-codes.h keycodes 1..57 of the US layout.
constexpr std::array kKeys = {
    Key{1, '\x1b', '\x1b'}, Key{2, '1', '!'},   Key{3, '2', '@'},   Key{4, '3', '#'},   Key{5, '4', '$'},
    Key{6, '5', '%'},       Key{7, '6', '^'},   Key{8, '7', '&'},   Key{9, '8', '*'},   Key{10, '9', '('},
    Key{11, '0', ')'},      Key{12, '-', '_'},  Key{13, '=', '+'},  Key{14, '\x7f', '\x7f'}, Key{15, '\t', '\t'},
    Key{16, 'q', 'Q'},      Key{17, 'w', 'W'},  Key{18, 'e', 'E'},  Key{19, 'r', 'R'},  Key{20, 't', 'T'},
    Key{21, 'y', 'Y'},      Key{22, 'u', 'U'},  Key{23, 'i', 'I'},  Key{24, 'o', 'O'},  Key{25, 'p', 'P'},
    Key{26, '[', '{'},      Key{27, ']', '}'},  Key{28, '\r', '\r'}, Key{30, 'a', 'A'}, Key{31, 's', 'S'},
    Key{32, 'd', 'D'},      Key{33, 'f', 'F'},  Key{34, 'g', 'G'},  Key{35, 'h', 'H'},  Key{36, 'j', 'J'},
    Key{37, 'k', 'K'},      Key{38, 'l', 'L'},  Key{39, ';', ':'},  Key{40, '\'', '"'}, Key{41, '`', '~'},
    Key{43, '\\', '|'},     Key{44, 'z', 'Z'},  Key{45, 'x', 'X'},  Key{46, 'c', 'C'},  Key{47, 'v', 'V'},
    Key{48, 'b', 'B'},      Key{49, 'n', 'N'},  Key{50, 'm', 'M'},  Key{51, ',', '<'},  Key{52, '.', '>'},
    Key{53, '/', '?'},      Key{57, ' ', ' '},
};
constexpr uint8_t kLeftCtrl = 29, kLeftShift = 42, kRightShift = 54, kLeftAlt = 56;
constexpr uint8_t kUp = 103, kLeft = 105, kRight = 106, kDown = 108;
constexpr uint8_t kRelease = 0x80;

const Key* key_of(uint8_t code)
{
    for (const Key& k : kKeys) {
        if (k.code == code)
            return &k;
    }
    return nullptr;
}

uint16_t keysym_of_char(char c)
{
    if (c == '\r')
        return K_ENTER;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return K(KT_LETTER, static_cast<uint8_t>(c));
    return K(KT_LATIN, static_cast<uint8_t>(c));
}

const Key* key_typing(char c, bool shifted)
{
    for (const Key& k : kKeys) {
        if ((shifted ? k.shifted : k.plain) == c)
            return &k;
    }
    return nullptr;
}

void tap(std::vector<uint8_t>& out, uint8_t code)
{
    out.push_back(code);
    out.push_back(code | kRelease);
}

void tap_with(std::vector<uint8_t>& out, uint8_t modifier, uint8_t code)
{
    out.push_back(modifier);
    tap(out, code);
    out.push_back(modifier | kRelease);
}

}  // namespace

uint16_t keysym(uint8_t table, uint8_t keycode)
{
    if (table > 1)
        return K_NOSUCHMAP;
    switch (keycode) {
    case kLeftShift:
    case kRightShift:
        return K(KT_SHIFT, KG_SHIFT);
    case kLeftCtrl:
        return K(KT_SHIFT, KG_CTRL);
    case kLeftAlt:
        return K(KT_SHIFT, KG_ALT);
    case kUp:
        return K_UP;
    case kDown:
        return K_DOWN;
    case kLeft:
        return K_LEFT;
    case kRight:
        return K_RIGHT;
    default:
        break;
    }
    const Key* key = key_of(keycode);
    if (!key)
        return K_HOLE;
    return keysym_of_char(table == 0 ? key->plain : key->shifted);
}

std::vector<uint8_t> keycodes_for(std::span<const uint8_t> bytes)
{
    std::vector<uint8_t> out;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == '\x1b' && i + 2 < bytes.size() && bytes[i + 1] == '[' && bytes[i + 2] >= 'A' &&
            bytes[i + 2] <= 'D') {
            constexpr uint8_t arrows[] = {kUp, kDown, kRight, kLeft};
            tap(out, arrows[bytes[i + 2] - 'A']);
            i += 2;
            continue;
        }
        const char c = bytes[i] == '\n' ? '\r' : static_cast<char>(bytes[i]);
        if (const Key* k = key_typing(c, false)) {
            tap(out, k->code);
        } else if (const Key* shifted = key_typing(c, true)) {
            tap_with(out, kLeftShift, shifted->code);
        } else if (c >= 1 && c <= 26) {  // Ctrl-A .. Ctrl-Z
            if (const Key* letter = key_typing(static_cast<char>('a' + c - 1), false))
                tap_with(out, kLeftCtrl, letter->code);
        }
    }
    return out;
}

}  // namespace udefio::fbdev
