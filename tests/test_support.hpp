// Small helpers the unit and integration tests share.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "defio/tracker_probe.hpp"
#include "tests/read_file.hpp"

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

// The scheduler state of thread `tid` of this process, as /proc shows it
// ('R' running, 'S' or 'D' asleep in the kernel, ...); 0 once it is gone.
inline char thread_state(pid_t tid)
{
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return 0;
    const size_t comm_end = line.rfind(')');  // the name may hold spaces and parentheses
    return comm_end != std::string::npos && comm_end + 2 < line.size() ? line[comm_end + 2] : 0;
}

// Waits until thread `tid` sleeps in the kernel: the event that proves it is
// blocked (in a wait, a lock, poll()) rather than still on its way there.
// False if it ended or did not block within `limit`.
inline bool wait_until_blocked(pid_t tid, std::chrono::milliseconds limit = std::chrono::milliseconds(5000))
{
    char state = 0;
    return wait_for(
               [&] {
                   state = thread_state(tid);
                   return state == 'S' || state == 'D' || state == 0;
               },
               limit) &&
           state != 0;
}

// The same for a thread that stores its id (gettid()) in `tid` first thing.
inline bool wait_until_blocked(const std::atomic<pid_t>& tid,
                               std::chrono::milliseconds limit = std::chrono::milliseconds(5000))
{
    return wait_for([&] { return tid.load() != 0; }, limit) && wait_until_blocked(tid.load(), limit);
}

// The ids of this process's threads named `name` (pthread_setname_np).
inline std::vector<pid_t> threads_named(const std::string& name)
{
    std::vector<pid_t> tids;
    DIR* dir = ::opendir("/proc/self/task");
    while (dirent* e = dir ? ::readdir(dir) : nullptr) {
        if (e->d_name[0] == '.')
            continue;
        std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
        std::string line;
        if (!std::getline(comm, line) || line != name)
            continue;
        // A thread joined a moment ago may still be listed while it exits
        // (a busy machine widens that): it is not one of the living.
        const pid_t tid = pid_t(std::atoi(e->d_name));
        const char state = thread_state(tid);
        if (state != 'Z' && state != 'X' && state != 0)
            tids.push_back(tid);
    }
    if (dir)
        ::closedir(dir);
    return tids;
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
