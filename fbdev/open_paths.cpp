#include "fbdev/open_paths.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <vector>

namespace udefio::fbdev {
namespace {

bool all_digits(std::string_view s)
{
    if (s.empty() || s.size() > 3)
        return false;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

// "<prefix><number>" with number < limit.
bool numbered(std::string_view path, std::string_view prefix, int limit)
{
    if (path.substr(0, prefix.size()) != prefix)
        return false;
    const std::string_view number = path.substr(prefix.size());
    return all_digits(number) && std::stoi(std::string(number)) < limit;
}

std::optional<std::string> read_link(const std::string& link)
{
    char target[PATH_MAX];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    if (n <= 0 || n == sizeof target)
        return std::nullopt;
    return std::string(target, static_cast<size_t>(n));
}

}  // namespace

std::string normalize_path(std::string_view path)
{
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < path.size()) {
        const size_t end = std::min(path.find('/', i), path.size());
        const std::string_view part = path.substr(i, end - i);
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        i = end + 1;
    }
    std::string out;
    for (std::string_view part : parts) {
        out += '/';
        out += part;
    }
    return out.empty() ? "/" : out;
}

OpenTarget classify_path(const std::string& absolute, const std::string& framebuffer_env)
{
    if (absolute == "/dev/fb0" || absolute == "/dev/fb" || absolute == "/dev/graphics/fb0" ||
        absolute == "/dev/fb/0" || (!framebuffer_env.empty() && absolute == normalize_path(framebuffer_env)))
        return OpenTarget::framebuffer;
    if (numbered(absolute, "/dev/fb", 32) || numbered(absolute, "/dev/fb/", 32) ||
        numbered(absolute, "/dev/graphics/fb", 32))
        return OpenTarget::missing_framebuffer;
    // The VTs (tty0 is the current one), their devfs names, the console and
    // the controlling terminal: all the one emulated VT.
    if (absolute == "/dev/tty" || absolute == "/dev/console" || absolute == "/dev/systty" ||
        numbered(absolute, "/dev/tty", 64) || numbered(absolute, "/dev/vc/", 64))
        return OpenTarget::console;
    return OpenTarget::other;
}

std::optional<std::string> absolute_path(pid_t tid, int dirfd, const std::string& path)
{
    if (!path.empty() && path[0] == '/')
        return normalize_path(path);
    const std::string proc = "/proc/" + std::to_string(tid);
    auto base = read_link(dirfd == AT_FDCWD ? proc + "/cwd" : proc + "/fd/" + std::to_string(dirfd));
    if (!base || base->empty() || (*base)[0] != '/')
        return std::nullopt;
    return normalize_path(*base + "/" + path);
}

}  // namespace udefio::fbdev
