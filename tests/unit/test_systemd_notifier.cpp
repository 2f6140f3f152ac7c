// udefio as a Type=notify service: READY=1 once, with the first presented
// frame; WATCHDOG=1 from the event loop while it runs; STOPPING=1 at the
// end. A datagram socket stands in for systemd's NOTIFY_SOCKET.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "compositor/systemd_notifier.hpp"
#include "tests/loop_thread.hpp"

using namespace udefio;

namespace {

class FakeSystemd {
public:
    FakeSystemd()
    {
        char dir[] = "/tmp/udefio-notify-XXXXXX";
        EXPECT_NE(::mkdtemp(dir), nullptr);
        dir_ = dir;
        path_ = dir_ + "/notify";
        socket_ = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        EXPECT_EQ(::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
        ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
        ::setenv("WATCHDOG_USEC", "20000", 1);  // a ping every 10 ms
        ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    }
    ~FakeSystemd()
    {
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        ::unsetenv("WATCHDOG_PID");
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }
    // The next message, "" if none came within 30 s.
    std::string next()
    {
        pollfd p{socket_.get(), POLLIN, 0};
        if (::poll(&p, 1, 30'000) != 1)
            return {};
        char buffer[512];
        const ssize_t n = ::recv(socket_.get(), buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, size_t(n)) : std::string();
    }

private:
    std::string dir_, path_;
    UniqueFd socket_;
};

}  // namespace

TEST(SystemdNotifier, ReadyOnceWithTheFirstFrameThenTheWatchdogFromTheLoop)
{
    FakeSystemd systemd;
    test::LoopThread thread;
    std::unique_ptr<SystemdNotifier> notifier;
    thread.run_on_loop([&] {
        auto started = SystemdNotifier::start(thread.loop());
        ASSERT_TRUE(started.ok()) << started.error().message();
        notifier = std::move(started).value();
    });
    ASSERT_TRUE(notifier);
    EXPECT_FALSE(notifier->ready());
    thread.run_on_loop([&] { notifier->frame_presented("kiosk on headless-0"); });
    // Datagrams keep their order: nothing was sent before the first frame.
    EXPECT_EQ(systemd.next(), "READY=1\nSTATUS=kiosk on headless-0");
    thread.run_on_loop([&] { notifier->frame_presented("again"); });
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(systemd.next(), "WATCHDOG=1") << "READY=1 is sent once; then the loop pets the watchdog";
    thread.run_on_loop([&] { notifier.reset(); });
    std::string last;
    while ((last = systemd.next()) == "WATCHDOG=1") {
    }
    EXPECT_EQ(last, "STOPPING=1");
}

TEST(SystemdNotifier, OutsideSystemdItDoesNothing)
{
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    auto loop = EventLoop::create().value();
    auto notifier = SystemdNotifier::start(*loop);
    ASSERT_TRUE(notifier.ok()) << notifier.error().message();
    (*notifier)->frame_presented("headless");
    EXPECT_TRUE((*notifier)->ready());
}
