// Small helpers the unit and integration tests share.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "defio/tracker_probe.hpp"

namespace udefio::test {

// Polls `pred` every millisecond until it holds or `limit` passes.
template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5000))
{
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// How many fds this process has open (/proc/self/fd): what a test counts
// before and after to show nothing leaked.
inline size_t open_fds()
{
    size_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(d))
        n += e->d_name[0] != '.';
    ::closedir(d);
    return n - 1;  // the directory's own fd
}

// Why the probe says `kind` cannot run on this kernel; empty if it can.
inline std::string why_tracker_cannot_run(TrackerKind kind)
{
    for (const auto& r : probe_trackers()) {
        if (r.kind == kind && !r.works)
            return std::string(tracker_name(kind)) + " does not work on this kernel: " + r.reason;
    }
    return {};
}

// Every tracker that finds written pages by itself (all but explicit).
inline std::vector<TrackerKind> page_trackers()
{
    std::vector<TrackerKind> kinds;
    for (TrackerKind k : kAllTrackers) {
        if (k != TrackerKind::explicit_damage)
            kinds.push_back(k);
    }
    return kinds;
}

// Test names for INSTANTIATE_TEST_SUITE_P: "uffd_async", ...
inline std::string tracker_test_name(const testing::TestParamInfo<TrackerKind>& param)
{
    std::string name(tracker_name(param.param));
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

}  // namespace udefio::test
