// How an fbdev program's stores are found on this kernel, found by doing it
// (for `udefio info`): a forked child of ours runs under the fbdev layer,
// opens /dev/fb0, maps it and stores into it; the answer is what the layer
// says of its tracking, and whether the store reached the screen.
#pragma once

#include <string>

#include "util/result.hpp"

namespace udefio::fbdev {

struct FbdevProbe {
    std::string tracking;  // FbdevProgram::tracking()
    bool store_shown = false;
    bool private_dev = false;
};

// An error says what stopped the probe (no seccomp user notification, ...).
Result<FbdevProbe> probe_fbdev();

}  // namespace udefio::fbdev
