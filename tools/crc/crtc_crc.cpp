#include "tools/crc/crtc_crc.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

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

std::string CrtcCrc::settled()
{
    (void)latest();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return latest().crc;
}

}  // namespace udefio
