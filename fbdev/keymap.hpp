// A US keyboard as the Linux console knows it: keycode -> keysym (what
// KDGKBENT reports for the plain and shifted tables), and the way back from
// the tty bytes the kiosk receives to the keycodes a program in K_MEDIUMRAW
// or K_RAW mode reads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace udefio::fbdev {

// KDGKBENT: the keysym of `keycode` in keymap `table` (0 plain, 1 shift);
// K_HOLE for a key without one, K_NOSUCHMAP for any other table.
uint16_t keysym(uint8_t table, uint8_t keycode);

// Press and release keycodes (release = keycode | 0x80) that type `bytes`;
// bytes no key types are dropped. Arrows come as ESC [ A..D.
std::vector<uint8_t> keycodes_for(std::span<const uint8_t> bytes);

}  // namespace udefio::fbdev
