// Which device an open of the program names, from the path it passed and the
// directory it is relative to: the framebuffer, another framebuffer (there is
// none: ENOENT), the console (an emulated VT), or anything else (the kernel
// opens it). Paths are compared after making them absolute and removing
// ".", ".." and repeated slashes; symbolic links are not followed.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace udefio::fbdev {

enum class OpenTarget { other, framebuffer, missing_framebuffer, console };

// "/a//b/./c/../d" -> "/a/b/d"; `path` must be absolute.
std::string normalize_path(std::string_view path);

// `framebuffer_env`: the program's $FRAMEBUFFER ("" if unset), a name of the
// framebuffer too.
OpenTarget classify_path(const std::string& absolute, const std::string& framebuffer_env);

// The absolute form of `path` as the task `tid` sees it: relative to its
// working directory (dirfd AT_FDCWD) or to `dirfd`. nullopt if that cannot
// be read (the kernel will answer the open itself).
std::optional<std::string> absolute_path(pid_t tid, int dirfd, const std::string& path);

}  // namespace udefio::fbdev
