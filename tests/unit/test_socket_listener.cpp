// The compositor's socket: one owner at a time, stale sockets replaced,
// nothing left behind, clients accepted on the loop.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "compositor/socket_listener.hpp"

using namespace udefio;

namespace {

// A scratch directory, removed (empty, as the listener leaves it) at the end.
struct TempDir {
    TempDir()
    {
        char name[] = "/tmp/udefio-sock-XXXXXX";
        EXPECT_NE(::mkdtemp(name), nullptr);
        path = name;
    }
    ~TempDir() { EXPECT_EQ(::rmdir(path.c_str()), 0) << path << " is not empty"; }
    std::string path;
};

UniqueFd connect_to(const std::string& path)
{
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return UniqueFd();
    return fd;
}

bool exists(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST(SocketListener, AcceptsClientsOnTheLoop)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    int accepted = 0;
    auto listener = SocketListener::listen(*loop, path, [&](UniqueFd client) {
        EXPECT_TRUE(client.valid());
        if (++accepted == 2)
            loop->stop();
    });
    ASSERT_TRUE(listener.ok()) << listener.error().message();
    UniqueFd a = connect_to(path), b = connect_to(path);
    ASSERT_TRUE(a.valid() && b.valid());
    loop->run();
    EXPECT_EQ(accepted, 2);
}

TEST(SocketListener, RefusesASocketAnotherInstanceOwns)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    auto first = SocketListener::listen(*loop, path, [](UniqueFd) {});
    ASSERT_TRUE(first.ok());
    auto second = SocketListener::listen(*loop, path, [](UniqueFd) {});
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message().find("another running udefio"), std::string::npos)
        << second.error().message();
    EXPECT_TRUE(connect_to(path).valid()) << "the refused second instance must not break the first";
}

TEST(SocketListener, ReplacesAStaleSocketAndCleansUp)
{
    auto loop = EventLoop::create().value();
    TempDir dir;
    const std::string path = dir.path + "/udefio-0";
    {
        // A udefio that died: its socket file stays, nobody holds the lock.
        UniqueFd dead(::socket(AF_UNIX, SOCK_SEQPACKET, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        ASSERT_EQ(::bind(dead.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    }
    ASSERT_TRUE(exists(path));
    {
        auto listener = SocketListener::listen(*loop, path, [](UniqueFd) {});
        ASSERT_TRUE(listener.ok()) << listener.error().message();
        EXPECT_TRUE(connect_to(path).valid());
    }
    EXPECT_FALSE(exists(path));
    EXPECT_FALSE(exists(path + ".lock"));
}

TEST(SocketListener, ClearErrorsForBadPlaces)
{
    auto loop = EventLoop::create().value();
    auto too_long = SocketListener::listen(*loop, "/tmp/" + std::string(200, 'x'), [](UniqueFd) {});
    ASSERT_FALSE(too_long.ok());
    EXPECT_NE(too_long.error().message().find("longer than"), std::string::npos);
    auto missing_dir = SocketListener::listen(*loop, "/nonexistent/dir/udefio-0", [](UniqueFd) {});
    ASSERT_FALSE(missing_dir.ok());
    EXPECT_NE(missing_dir.error().message().find("/nonexistent/dir/udefio-0.lock"), std::string::npos);
    const char* saved = std::getenv("XDG_RUNTIME_DIR");
    const std::string keep = saved ? saved : "";
    ::unsetenv("XDG_RUNTIME_DIR");
    EXPECT_FALSE(SocketListener::default_path().ok());
    ::setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
    EXPECT_EQ(SocketListener::default_path().value(), "/run/user/7/udefio-0");
    if (saved)
        ::setenv("XDG_RUNTIME_DIR", keep.c_str(), 1);
    else
        ::unsetenv("XDG_RUNTIME_DIR");
}
