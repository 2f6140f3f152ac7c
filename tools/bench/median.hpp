// The median of the samples of a benchmark run in the QEMU guest; -1 when
// there are none (printed as such: a measurement that did not happen).
#pragma once

#include <algorithm>
#include <vector>

namespace udefio::bench {

inline double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? -1 : v[v.size() / 2];
}

}  // namespace udefio::bench
