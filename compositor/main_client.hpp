// What runs full screen on one output of the session: the built-in demo (a
// thread of ours), or a program with the whole frame pre-leased
// (compositor/program_client.hpp). The session attaches it to an output's
// binding, detaches it before that binding goes, and attaches it again when
// an output it may use appears.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "compositor/child_process.hpp"
#include "compositor/output_binding.hpp"
#include "input/input_event.hpp"

namespace udefio {

class MainClient {
public:
    virtual ~MainClient() = default;

    // For logs: "the demo", the program's name.
    virtual std::string name() const = 0;
    // How the frame it draws into must be tracked: another process's stores
    // are not in our page tables, so a program's frame is compared with a
    // shadow. nullopt: as configured.
    virtual std::optional<TrackerKind> tracker() const = 0;

    // Starts drawing into the binding's frame.
    virtual Result<void> attach(OutputBinding& binding) = 0;
    // Stops drawing, before the frame is revoked.
    virtual void detach() = 0;

    // The process group of the program running now (0: none, or the demo):
    // a protocol client of this group is the main program, which the input
    // focus goes to (compositor/server.hpp).
    virtual pid_t process_group() const { return 0; }

    // The session's input focus is the main client unless a protocol client
    // has it: every input event of the seat (an fbdev program's console gets
    // the keys as tty bytes), and the seat switched away and back (its
    // VT_PROCESS console is told). Loop thread.
    virtual void on_input(const InputEvent&) {}
    virtual void on_seat_disabled() {}
    virtual void on_seat_enabled() {}

    // Runs on the loop thread when the client ended for good (a program
    // that its restart policy does not restart): the session ends with it.
    void set_ended_callback(std::function<void(const ChildExit&)> callback) { ended_ = std::move(callback); }

protected:
    void notify_ended(const ChildExit& exit)
    {
        if (ended_)
            ended_(exit);
    }

private:
    std::function<void(const ChildExit&)> ended_;
};

}  // namespace udefio
