#pragma once

namespace udefio::bench {

// Registers first_write/, collect/, frame/ per working tracker and the baseline/ benchmarks.
void register_tracker_benchmarks();

}  // namespace udefio::bench
