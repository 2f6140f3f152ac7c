// The emulated VT's ioctls (vt_ioctl.c, keyboard.c rules), its keyboard in
// each mode and its release/acquire with the seat, in-process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/kd.h>
#include <linux/keyboard.h>
#include <linux/vt.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "fbdev/open_paths.hpp"
#include "fbdev/vt_console.hpp"
#include "tests/fbdev/own_memory.hpp"

using namespace udefio;
using namespace udefio::fbdev;

namespace {

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

class VtConsoleTest : public testing::Test {
protected:
    void SetUp() override
    {
        loop_ = EventLoop::create().value();
        console_ = VtConsole::create(*loop_).value();
        auto program = console_->open_for_program(O_RDWR | O_NONBLOCK);
        ASSERT_TRUE(program);
        program_ = std::move(program).value();
        // Raw, as SDL sets it: no line editing, no translation.
        termios t{};
        ASSERT_EQ(::tcgetattr(program_.get(), &t), 0);
        ::cfmakeraw(&t);
        ASSERT_EQ(::tcsetattr(program_.get(), TCSANOW, &t), 0);
    }
    IoctlOutcome ioctl(unsigned long cmd, uint64_t arg) { return console_->ioctl(::getpid(), cmd, arg, memory_); }
    std::vector<uint8_t> read_program_input()
    {
        std::vector<uint8_t> bytes(64);
        pollfd p{program_.get(), POLLIN, 0};
        if (::poll(&p, 1, 2000) != 1)
            return {};
        const ssize_t n = ::read(program_.get(), bytes.data(), bytes.size());
        bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
        return bytes;
    }

    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<VtConsole> console_;
    UniqueFd program_;
    test::OwnMemory memory_;
};

}  // namespace

TEST_F(VtConsoleTest, IsTheActiveConsole)
{
    vt_stat state{};
    ASSERT_EQ(ioctl(VT_GETSTATE, addr(&state)).error, 0);
    EXPECT_EQ(state.v_active, VtConsole::kVtNumber);
    int mode = -1;
    ASSERT_EQ(ioctl(KDGKBMODE, addr(&mode)).error, 0);
    EXPECT_EQ(mode, K_UNICODE);
    int free_vt = 0;
    ASSERT_EQ(ioctl(VT_OPENQRY, addr(&free_vt)).error, 0);
    EXPECT_EQ(free_vt, VtConsole::kVtNumber);
    char type = 0;
    ASSERT_EQ(ioctl(KDGKBTYPE, addr(&type)).error, 0);
    EXPECT_EQ(type, KB_101);
    EXPECT_EQ(ioctl(VT_GETSTATE, 8).error, EFAULT);
}

TEST_F(VtConsoleTest, ModesAreCheckedAsTheKernelDoes)
{
    EXPECT_EQ(ioctl(KDSETMODE, KD_GRAPHICS).error, 0);
    EXPECT_EQ(console_->display_mode(), KD_GRAPHICS);
    EXPECT_EQ(ioctl(KDSETMODE, KD_TEXT1).error, 0);
    EXPECT_EQ(console_->display_mode(), KD_TEXT);
    EXPECT_EQ(ioctl(KDSETMODE, 7).error, EINVAL);
    EXPECT_EQ(ioctl(KDSKBMODE, K_MEDIUMRAW).error, 0);
    EXPECT_EQ(ioctl(KDSKBMODE, 9).error, EINVAL);
    EXPECT_EQ(ioctl(KDSETLED, 8).error, EINVAL);
    EXPECT_EQ(ioctl(VT_ACTIVATE, 0).error, ENXIO);
    EXPECT_EQ(ioctl(VT_ACTIVATE, VtConsole::kVtNumber).error, 0);
    EXPECT_EQ(ioctl(VT_ACTIVATE, 5).error, EINVAL);
    EXPECT_EQ(ioctl(VT_DISALLOCATE, VtConsole::kVtNumber).error, EBUSY);
    vt_mode bad{7, 0, 0, 0, 0};
    EXPECT_EQ(ioctl(VT_SETMODE, addr(&bad)).error, EINVAL);
    EXPECT_EQ(ioctl(VT_RELDISP, 1).error, EINVAL) << "only a VT_PROCESS console releases";
    EXPECT_EQ(ioctl(KDFONTOP, 0).error, ENOTTY);
}

TEST_F(VtConsoleTest, KeymapIsUs)
{
    kbentry entry{0, 16, 0};  // KEY_Q
    ASSERT_EQ(ioctl(KDGKBENT, addr(&entry)).error, 0);
    EXPECT_EQ(entry.kb_value, K(KT_LETTER, 'q'));
    entry = {1, 16, 0};
    ASSERT_EQ(ioctl(KDGKBENT, addr(&entry)).error, 0);
    EXPECT_EQ(entry.kb_value, K(KT_LETTER, 'Q'));
    entry = {0, 28, 0};
    ASSERT_EQ(ioctl(KDGKBENT, addr(&entry)).error, 0);
    EXPECT_EQ(entry.kb_value, K_ENTER);
    entry = {5, 16, 0};
    ASSERT_EQ(ioctl(KDGKBENT, addr(&entry)).error, 0);
    EXPECT_EQ(entry.kb_value, K_NOSUCHMAP);
}

TEST_F(VtConsoleTest, KeyboardInputFollowsTheKeyboardMode)
{
    console_->keyboard_input(std::vector<uint8_t>{'h', 'i'});
    EXPECT_EQ(read_program_input(), (std::vector<uint8_t>{'h', 'i'}));
    ASSERT_EQ(ioctl(KDSKBMODE, K_MEDIUMRAW).error, 0);
    // "A" is shift + a; then the up arrow.
    console_->keyboard_input(std::vector<uint8_t>{'A', 0x1b, '[', 'A'});
    EXPECT_EQ(read_program_input(), (std::vector<uint8_t>{42, 30, 30 | 0x80, 42 | 0x80, 103, 103 | 0x80}));
    ASSERT_EQ(ioctl(KDSKBMODE, K_OFF).error, 0);
    console_->keyboard_input(std::vector<uint8_t>{'x'});
    ASSERT_EQ(ioctl(KDSKBMODE, K_UNICODE).error, 0);
    console_->keyboard_input(std::vector<uint8_t>{'y'});
    EXPECT_EQ(read_program_input(), (std::vector<uint8_t>{'y'})) << "K_OFF dropped the x";
}

TEST_F(VtConsoleTest, ProcessModeIsSignalledWithTheSeat)
{
    // This process owns the VT: block the signals and wait for them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGUSR1);
    sigaddset(&signals, SIGUSR2);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &signals, nullptr), 0);
    vt_mode mode{VT_PROCESS, 0, SIGUSR1, SIGUSR2, 0};
    ASSERT_EQ(ioctl(VT_SETMODE, addr(&mode)).error, 0);
    vt_mode got{};
    ASSERT_EQ(ioctl(VT_GETMODE, addr(&got)).error, 0);
    EXPECT_EQ(got.mode, VT_PROCESS);
    EXPECT_EQ(got.relsig, SIGUSR1);

    console_->seat_disabled();
    const timespec limit{5, 0};
    EXPECT_EQ(::sigtimedwait(&signals, nullptr, &limit), SIGUSR1);
    EXPECT_TRUE(console_->release_pending());
    // VT_WAITACTIVE waits while the seat is away.
    EXPECT_EQ(ioctl(VT_WAITACTIVE, VtConsole::kVtNumber).wait, Deferral::console_active);
    EXPECT_EQ(ioctl(VT_RELDISP, 1).error, 0);
    EXPECT_FALSE(console_->release_pending());
    bool woke = false;
    console_->when_active([&] { woke = true; });
    EXPECT_FALSE(woke);

    console_->seat_enabled();
    EXPECT_EQ(::sigtimedwait(&signals, nullptr, &limit), SIGUSR2);
    EXPECT_TRUE(woke);
    EXPECT_EQ(ioctl(VT_RELDISP, VT_ACKACQ).error, 0);
    EXPECT_EQ(ioctl(VT_RELDISP, 1).error, EINVAL) << "nothing to release";
    ASSERT_EQ(::pthread_sigmask(SIG_UNBLOCK, &signals, nullptr), 0);
}

TEST(OpenPaths, NamesOfTheFramebufferAndTheConsole)
{
    EXPECT_EQ(normalize_path("/dev//./fb0"), "/dev/fb0");
    EXPECT_EQ(normalize_path("/tmp/../dev/graphics/./fb0"), "/dev/graphics/fb0");
    EXPECT_EQ(normalize_path("/../.."), "/");
    struct Case {
        const char* path;
        const char* framebuffer_env;
        OpenTarget target;
    };
    const Case cases[] = {
        {"/dev/fb0", "", OpenTarget::framebuffer},
        {"/dev/fb", "", OpenTarget::framebuffer},
        {"/dev/graphics/fb0", "", OpenTarget::framebuffer},
        {"/dev/fb1", "", OpenTarget::missing_framebuffer},
        {"/dev/fb1", "/dev/fb1", OpenTarget::framebuffer},
        {"/dev/fb31", "", OpenTarget::missing_framebuffer},
        {"/dev/fbx", "", OpenTarget::other},
        {"/dev/tty0", "", OpenTarget::console},
        {"/dev/tty7", "", OpenTarget::console},
        {"/dev/tty", "", OpenTarget::console},
        {"/dev/vc/0", "", OpenTarget::console},
        {"/dev/ttyS0", "", OpenTarget::other},
        {"/dev/null", "", OpenTarget::other},
    };
    for (const Case& c : cases)
        EXPECT_EQ(classify_path(c.path, c.framebuffer_env), c.target)
            << c.path << " with $FRAMEBUFFER=" << c.framebuffer_env;
    // Relative to the working directory of a task, or to a directory fd: ours.
    UniqueFd dev(::open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dev);
    EXPECT_EQ(absolute_path(::getpid(), dev.get(), "fb0"), "/dev/fb0");
    EXPECT_EQ(absolute_path(::getpid(), dev.get(), "../dev/./fb0"), "/dev/fb0");
    EXPECT_EQ(absolute_path(::getpid(), AT_FDCWD, "/dev/fb0"), "/dev/fb0");
}
