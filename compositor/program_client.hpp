// A program as the session's main client (`udefio kiosk -- PROGRAM`,
// `udefio profile -- PROGRAM`): it gets the whole frame of its output
// pre-leased, the fd in UDEFIO_BUFFER_FD (with UDEFIO_WIDTH, UDEFIO_HEIGHT,
// UDEFIO_STRIDE, UDEFIO_FORMAT, UDEFIO_OUTPUT) and the socket in
// UDEFIO_SOCKET, and is kept running by a ProgramSupervisor. Moved to
// another output, it is restarted there with that output's frame.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compositor/main_client.hpp"
#include "compositor/program_supervisor.hpp"

namespace udefio {

class ProgramClient final : public MainClient {
public:
    ProgramClient(EventLoop& loop, std::vector<std::string> argv, std::string socket, RestartOptions restart);
    ~ProgramClient() override;

    std::string name() const override { return argv_.front(); }
    std::optional<TrackerKind> tracker() const override { return TrackerKind::shadow; }
    Result<void> attach(OutputBinding& binding) override;
    void detach() override;
    pid_t process_group() const override { return supervisor_ ? supervisor_->process_group() : 0; }

private:
    EventLoop& loop_;
    const std::vector<std::string> argv_;
    const std::string socket_;  // empty: no protocol server
    const RestartOptions restart_;
    std::unique_ptr<ProgramSupervisor> supervisor_;
};

}  // namespace udefio
