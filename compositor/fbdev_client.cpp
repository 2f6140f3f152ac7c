#include "compositor/fbdev_client.hpp"

namespace udefio {

FbdevClient::FbdevClient(EventLoop& loop, std::vector<std::string> argv, std::string socket, RestartOptions restart,
                         fbdev::FbdevOptions options, LeasePlace rows)
    : loop_(loop), argv_(std::move(argv)), socket_(std::move(socket)), restart_(restart), options_(std::move(options)),
      rows_(rows)
{
}

FbdevClient::~FbdevClient() { detach(); }

Result<void> FbdevClient::attach(OutputBinding& binding)
{
    const BufferLayout& frame = binding.state().layout();
    const LeasePlace place = rows_.rows ? rows_ : LeasePlace{0, frame.height};
    auto screen = FbdevScreen::create(loop_, binding, place);
    if (!screen)
        return screen.error();
    screen_ = std::move(screen).value();
    // The framebuffer's memory, as fb_screen_info lays out 32 bpp: XRGB8888
    // rows of width * 4 bytes (the memory holds twice the rows, for panning).
    ChildSpec spec{argv_,
                   {{"UDEFIO_BUFFER_FD", std::to_string(kBufferFd)},
                    {"UDEFIO_WIDTH", std::to_string(frame.width)},
                    {"UDEFIO_HEIGHT", std::to_string(place.rows)},
                    {"UDEFIO_STRIDE", std::to_string(frame.width * 4)},
                    {"UDEFIO_FORMAT", std::string(pixel_format_name(PixelFormat::xrgb8888))},
                    {"UDEFIO_OUTPUT", binding.name()}},
                   {}};
    if (!socket_.empty())
        spec.env.emplace_back("UDEFIO_SOCKET", socket_);
    SpawnHooks hooks{[this](ChildSpec& run) { return prepare_run(run); },
                     [this](pid_t pid) { return program_->start(pid); }};
    auto started = ProgramSupervisor::start(
        loop_, std::move(spec), restart_, [this](const ChildExit& exit) { notify_ended(exit); }, std::move(hooks));
    if (!started) {
        program_.reset();
        screen_.reset();
        return started.error();
    }
    supervisor_ = std::move(started).value();
    return {};
}

Result<void> FbdevClient::prepare_run(ChildSpec& spec)
{
    program_.reset();  // the last run's: its framebuffer detaches from the screen
    screen_->unblank_for_new_run();
    auto program = fbdev::FbdevProgram::create(loop_, *screen_, options_);
    if (!program)
        return program.error();
    program_ = std::move(program).value();
    spec.in_child = program_->child_setup();
    for (int fd : program_->child_fds())
        spec.fds.emplace_back(fd, fd);
    spec.fds.emplace_back(program_->memory_fd(), kBufferFd);
    return {};
}

void FbdevClient::on_tty_bytes(std::string_view bytes)
{
    if (program_)
        program_->keyboard_input(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

void FbdevClient::on_seat_disabled()
{
    if (program_)
        program_->seat_disabled();
}

void FbdevClient::on_seat_enabled()
{
    if (program_)
        program_->seat_enabled();
}

void FbdevClient::detach()
{
    if (program_)
        program_->output_gone();  // the program's next store raises SIGBUS; no flush after this
    if (screen_)
        screen_->revoke();
    // Its listener closes first: while the program is ended below (which
    // waits on this thread), its notified calls fail with ENOSYS instead of
    // waiting for us, so a program that cleans up on SIGTERM ends in time.
    program_.reset();
    if (supervisor_) {
        supervisor_->stop();
        supervisor_.reset();
    }
    screen_.reset();
}

}  // namespace udefio
