#pragma once

#include <cstdint>
#include <vector>

namespace udefio::bench {

// Registers span_gap/, hot/ and dirty/ (damage_benchmarks.cpp).
void register_damage_benchmarks();
// The dirty fractions dirty/ sweeps, in percent of the rows.
const std::vector<uint32_t>& dirty_percents();

}  // namespace udefio::bench
