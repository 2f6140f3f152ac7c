// The seat's keyboard: one xkb keymap and state that every keyboard device
// feeds (as on a console, Shift on one keyboard shifts the other), turning
// evdev key codes into keysyms, text and modifiers.
#pragma once

#include <memory>

#include "input/input_config.hpp"
#include "input/input_event.hpp"
#include "util/result.hpp"

struct xkb_context;
struct xkb_keymap;
struct xkb_state;

namespace udefio {

class Keyboard {
public:
    // Compiles the keymap; an unknown layout, variant or option is an error
    // that names the rule names tried.
    static Result<std::unique_ptr<Keyboard>> create(const KeyboardConfig& config);
    ~Keyboard();
    Keyboard(const Keyboard&) = delete;
    Keyboard& operator=(const Keyboard&) = delete;

    // A key went down or up (on the seat: the first press, the last
    // release). Returns its event, then updates the state with it.
    KeyEvent key(uint32_t key, bool pressed);
    // The event of a repeat of the held `key`, under the modifiers now.
    KeyEvent repeat(uint32_t key) const;
    // Whether holding `key` repeats it (letters do, modifiers do not).
    bool repeats(uint32_t key) const;
    Modifiers modifiers() const;

    struct Key {
        explicit Key() = default;
    };
    Keyboard(Key, xkb_context* context, xkb_keymap* keymap, xkb_state* state);

private:
    KeyEvent describe(uint32_t key, bool pressed) const;

    xkb_context* context_;
    xkb_keymap* keymap_;
    xkb_state* state_;
};

}  // namespace udefio
