#pragma once

#include <string>

namespace udefio::bench {

// For every working tracker: flush-worker wakeups during `seconds` with nothing
// written, then that one write produces exactly one flush. Returns a table.
std::string measure_idle_wakeups(double seconds);

}  // namespace udefio::bench
