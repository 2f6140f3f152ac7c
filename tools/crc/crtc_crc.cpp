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

std::string CrtcCrc::latest()
{
    std::string last;
    char line[64];
    ssize_t n;
    while ((n = ::read(data_.get(), line, sizeof line - 1)) > 0) {
        line[n] = 0;
        const std::string entry = line;
        if (const auto space = entry.find(' '); space != std::string::npos)
            last = entry.substr(space + 1, 10);  // "0xFRAME 0xCRC": keep the CRC
    }
    return last;
}

std::string CrtcCrc::settled()
{
    (void)latest();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return latest();
}

}  // namespace udefio
