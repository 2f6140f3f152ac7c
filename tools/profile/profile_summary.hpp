// The terminal summary of a profiled run: frames, write→present latency
// percentiles, bytes per frame against a full-frame copy, flush-worker
// wakeups per second and the time each stage took.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "profile/frame_recorder.hpp"

namespace udefio::profile {

struct Percentiles {
    size_t count = 0;
    double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
};

struct Stage {
    std::string name;  // e.g. "write -> flush (coalescing)"
    Percentiles time;
};

struct ProfileSummary {
    size_t frames = 0;
    size_t presented = 0;
    size_t exact_first_writes = 0;  // frames whose first write a doorbell announced
    double seconds = 0;
    Percentiles write_to_present;
    double bytes_per_frame = 0;
    double full_frame_bytes = 0;
    double wakeups_per_second = 0;
    // How the damage was found, per frame on average (defio/damage_finder.hpp).
    double faults_taken = 0, faults_avoided = 0, pages_compared = 0, pages_unchanged = 0;
    size_t full_copy_frames = 0;
    std::vector<Stage> stages;
    std::string tracker;
    // The outputs' gaps (seat switched away, blanked): their time, and the
    // frames whose write -> present spans one (their latency is the gap's).
    std::vector<OutputGap> gaps;
    size_t frames_across_gaps = 0;
};

// `wakeups` over `run`: the flush worker's count (FlushStats::wakeups).
// `gaps` each with an end (the open ones closed at the end of the run).
ProfileSummary summarize(const std::vector<FrameRecord>& frames, uint64_t wakeups, std::chrono::nanoseconds run,
                         std::vector<OutputGap> gaps = {});
std::string format_summary(const ProfileSummary& summary);

}  // namespace udefio::profile
