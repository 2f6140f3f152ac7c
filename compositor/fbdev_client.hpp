// An unmodified /dev/fb0 program as the session's main client (`udefio kiosk
// -- PROGRAM`, the default): it sees a /dev/fb0 the size of its output
// (fbdev/), and also gets that framebuffer's memory in UDEFIO_BUFFER_FD (with
// UDEFIO_WIDTH, UDEFIO_HEIGHT, UDEFIO_STRIDE, UDEFIO_FORMAT, UDEFIO_OUTPUT),
// so a program written for udefio runs here too: its mapping of that fd is a
// mapping of /dev/fb0, tracked in its own page tables. Only udefio writes the
// output's frame (the framebuffer's flushes, through an FbdevScreen), so the
// frame is tracked by explicit damage and an idle program costs nothing.
//
// The same runs a --client in a band of rows of the main client's output
// (`rows`; 0 rows: all of them). A program that never opens /dev/fb0 (or
// maps UDEFIO_BUFFER_FD) paints nothing there: a protocol client's leases
// are left alone.
//
// Each run (each restart) gets a new FbdevProgram, hence a black
// framebuffer of its own; moved to another output, the program is restarted
// there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compositor/fbdev_screen.hpp"
#include "compositor/main_client.hpp"
#include "compositor/program_supervisor.hpp"
#include "fbdev/fbdev_program.hpp"
#include "input/tty_keys.hpp"

namespace udefio {

class FbdevClient final : public MainClient, private TtyListener {
public:
    FbdevClient(EventLoop& loop, std::vector<std::string> argv, std::string socket, RestartOptions restart,
                fbdev::FbdevOptions options = {}, LeasePlace rows = {});
    ~FbdevClient() override;

    std::string name() const override { return argv_.front(); }
    std::optional<TrackerKind> tracker() const override { return TrackerKind::explicit_damage; }
    Result<void> attach(OutputBinding& binding) override;
    void detach() override;
    pid_t process_group() const override { return supervisor_ ? supervisor_->process_group() : 0; }
    // Keys reach the running program's console as the Linux console sends them.
    void on_input(const InputEvent& event) override { tty_input_.on_input(event); }
    void on_seat_disabled() override;
    void on_seat_enabled() override;

    // How the running program's stores are found (for the log and `udefio
    // info`); empty while none runs.
    std::string tracking() const { return program_ ? program_->tracking() : std::string(); }
    // The running program's fbdev layer, or null.
    const fbdev::FbdevProgram* program() const { return program_.get(); }

private:
    static constexpr int kBufferFd = 3;
    Result<void> prepare_run(ChildSpec& spec);
    void on_tty_bytes(std::string_view bytes) override;

    EventLoop& loop_;
    const std::vector<std::string> argv_;
    const std::string socket_;  // empty: no protocol server
    const RestartOptions restart_;
    const fbdev::FbdevOptions options_;
    const LeasePlace rows_;
    std::unique_ptr<FbdevScreen> screen_;
    std::unique_ptr<fbdev::FbdevProgram> program_;  // the current run's; replaced by the next
    std::unique_ptr<ProgramSupervisor> supervisor_;
    TtyInput tty_input_{*this};
};

}  // namespace udefio
