#include "defio/tracking_cost.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include "defio/tracker_probe.hpp"
#include "util/mapping.hpp"

namespace udefio {
namespace {

struct MemoryCost {
    double compare_ns = 0;
    double copy_ns = 0;
};

// The best of three runs over buffers larger than L2: what a frame costs
// when the machine is not busy elsewhere.
MemoryCost measure_memory()
{
    const size_t page = page_size();
    const size_t bytes = size_t{8} << 20;
    std::vector<std::byte> a(bytes, std::byte{1}), b(bytes, std::byte{1});
    using clock = std::chrono::steady_clock;
    double copy = 1e18, compare = 1e18;
    for (int run = 0; run < 3; ++run) {
        auto t0 = clock::now();
        std::memcpy(b.data(), a.data(), bytes);
        auto t1 = clock::now();
        size_t differ = 0;
        for (size_t off = 0; off < bytes; off += page)
            differ += std::memcmp(a.data() + off, b.data() + off, page) != 0;
        auto t2 = clock::now();
        asm volatile("" : : "r"(differ) : "memory");
        copy = std::min(copy, std::chrono::duration<double, std::nano>(t1 - t0).count());
        compare = std::min(compare, std::chrono::duration<double, std::nano>(t2 - t1).count());
    }
    const double pages = double(bytes / page);
    return {compare / pages, copy / pages};
}

}  // namespace

TrackingCost tracking_cost(TrackerKind kind)
{
    static std::once_flag once;
    static MemoryCost memory;
    std::call_once(once, [] { memory = measure_memory(); });
    TrackingCost cost{0, memory.compare_ns, memory.copy_ns};
    for (const TrackerProbeResult& r : probe_trackers()) {
        if (r.kind == kind)
            cost.fault_ns = r.fault_ns;
    }
    return cost;
}

}  // namespace udefio
