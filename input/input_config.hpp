// How the input layer is configured: the keymap (the values of
// --xkb-rules/-model/-layout/-variant/-options) and key repeat.
#pragma once

#include <chrono>
#include <string>

namespace udefio {

struct KeyboardConfig {
    // xkb rule names; empty fields take xkbcommon's defaults (XKB_DEFAULT_*
    // from the environment, else evdev, pc105, us).
    std::string rules;
    std::string model;
    std::string layout;   // "us", "de", "us,ru"
    std::string variant;  // "dvorak", "nodeadkeys"
    std::string options;  // "ctrl:nocaps,grp:alt_shift_toggle"
    // A held key repeats after `repeat_delay`, `repeat_rate` times a second
    // (0: no repeat), as kmscon and the Linux console do.
    std::chrono::milliseconds repeat_delay{600};
    unsigned repeat_rate = 25;
};

struct InputConfig {
    KeyboardConfig keyboard;
};

}  // namespace udefio
