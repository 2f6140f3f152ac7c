// Finds out which trackers really work on the running kernel by trying each on
// a scratch buffer: write a page, collect, check that exactly it was reported;
// and what a write fault costs with each that faults.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "defio/tracker.hpp"

namespace udefio {

struct TrackerProbeResult {
    TrackerKind kind;
    bool works = false;
    std::string reason;  // why not, or a short note on how it works here
    double fault_ns = 0; // the first store to an armed page, timed on 32 pages (0: it does not fault)
};

// Probes every tracker (cached after the first call; thread-safe).
const std::vector<TrackerProbeResult>& probe_trackers();

// `forced` set: that tracker or an error explaining why it cannot run here.
// Otherwise the best working tracker, with a log line naming each one skipped.
Result<std::unique_ptr<Tracker>> make_best_tracker(std::span<std::byte> range,
                                                   std::optional<TrackerKind> forced = std::nullopt);

}  // namespace udefio
