#include "compositor/program_client.hpp"

namespace udefio {

ProgramClient::ProgramClient(EventLoop& loop, std::vector<std::string> argv, std::string socket,
                             RestartOptions restart)
    : loop_(loop), argv_(std::move(argv)), socket_(std::move(socket)), restart_(restart)
{
}

ProgramClient::~ProgramClient() { detach(); }

Result<void> ProgramClient::attach(OutputBinding& binding)
{
    constexpr int kBufferFd = 3;
    const BufferLayout& layout = binding.state().layout();
    ChildSpec spec{argv_,
                   {{"UDEFIO_BUFFER_FD", std::to_string(kBufferFd)},
                    {"UDEFIO_WIDTH", std::to_string(layout.width)},
                    {"UDEFIO_HEIGHT", std::to_string(layout.height)},
                    {"UDEFIO_STRIDE", std::to_string(layout.stride)},
                    {"UDEFIO_FORMAT", std::string(pixel_format_name(layout.format))},
                    {"UDEFIO_OUTPUT", binding.name()}},
                   {{binding.state().buffer().fd(), kBufferFd}}};
    if (!socket_.empty())
        spec.env.emplace_back("UDEFIO_SOCKET", socket_);
    auto started = ProgramSupervisor::start(loop_, std::move(spec), restart_,
                                            [this](const ChildExit& exit) { notify_ended(exit); });
    if (!started)
        return started.error();
    supervisor_ = std::move(started).value();
    return {};
}

void ProgramClient::detach()
{
    if (!supervisor_)
        return;
    supervisor_->stop();
    supervisor_.reset();
}

}  // namespace udefio
