// CLOCK_MONOTONIC as a duration: the clock page-flip events, sync_file
// timestamps and wp_presentation use, so every stage of a frame compares.
#pragma once

#include <time.h>

#include <chrono>

namespace udefio {

inline std::chrono::nanoseconds monotonic_now()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace udefio
