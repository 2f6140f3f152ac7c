#include "tools/crc/crtc_crc.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>

namespace udefio {
namespace {

constexpr const char* kCrcDir = "/sys/kernel/debug/dri/0/crtc-0/crc";

}  // namespace

CrtcCrc::CrtcCrc()
{
    UniqueFd control(::open((std::string(kCrcDir) + "/control").c_str(), O_WRONLY | O_CLOEXEC));
    if (!control || ::write(control.get(), "auto", 4) != 4)
        return;
    data_.reset(::open((std::string(kCrcDir) + "/data").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
}

CrtcCrc::Entry CrtcCrc::next()
{
    // One read returns one line.
    Entry e;
    char line[64];
    const ssize_t n = ::read(data_.get(), line, sizeof line - 1);
    if (n <= 0)
        return e;
    line[n] = 0;
    const std::string entry = line;  // "0xFRAME 0xCRC"
    if (const auto space = entry.find(' '); space != std::string::npos) {
        e.frame = std::stoull(entry.substr(0, space), nullptr, 16);
        e.crc = entry.substr(space + 1, 10);
    }
    return e;
}

CrtcCrc::Entry CrtcCrc::latest()
{
    Entry last;
    for (Entry e = next(); !e.crc.empty(); e = next())
        last = e;
    return last;
}

template <typename Wanted>
CrtcCrc::Entry CrtcCrc::first_entry(Wanted wanted, std::chrono::milliseconds timeout)
{
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (Entry e = next(); !e.crc.empty(); e = next())
            if (wanted(e))
                return e;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return {};
        pollfd p{data_.get(), POLLIN, 0};
        (void)::poll(&p, 1, int(left.count()) + 1);
    }
}

std::string CrtcCrc::settled(const VblankCounter& vblanks)
{
    const uint64_t now = vblanks.sequence();
    return first_entry([now](const Entry& e) { return e.frame > now; }, std::chrono::seconds(30)).crc;
}

CrtcCrc::Entry CrtcCrc::wait_next(std::chrono::milliseconds timeout)
{
    return first_entry([](const Entry&) { return true; }, timeout);
}

CrtcCrc::Entry CrtcCrc::first_unlike(const std::string& crc, std::chrono::milliseconds timeout)
{
    return first_entry([&crc](const Entry& e) { return e.crc != crc; }, timeout);
}

}  // namespace udefio
