#pragma once

namespace udefio::bench {

// profiling/off/cursor_flush and profiling/on/cursor_flush.
void register_profiling_benchmarks();

}  // namespace udefio::bench
