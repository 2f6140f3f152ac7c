// Keys as the bytes a console program reads from its tty, the way the Linux
// console sends them (TERM=linux): text as UTF-8, Alt+text with an ESC
// prefix, and the console's escape sequences for cursor, editing and
// function keys.
#pragma once

#include <string>
#include <string_view>

#include "input/input_event.hpp"

namespace udefio {

// What the program asked for with escape sequences of its own, which the
// console emulation parses and passes on.
struct TtyKeyMode {
    bool application_cursor = false;  // DECCKM (ESC [ ? 1 h): arrows send ESC O A
};

// The bytes for a press or repeat of the key; empty for releases and for
// keys that type nothing (modifiers).
std::string tty_bytes(const KeyEvent& key, const TtyKeyMode& mode);

// Where a console program's keyboard input goes (the fbdev console emulation).
class TtyListener {
public:
    virtual void on_tty_bytes(std::string_view bytes) = 0;

protected:
    ~TtyListener() = default;
};

// Turns the key events of the input it is given into tty bytes for a
// console program; other events are not for it.
class TtyInput final : public InputListener {
public:
    explicit TtyInput(TtyListener& tty) : tty_(tty) {}
    void set_mode(const TtyKeyMode& mode) { mode_ = mode; }
    void on_input(const InputEvent& event) override;

private:
    TtyListener& tty_;
    TtyKeyMode mode_;
};

}  // namespace udefio
