// Profiling mode: what happened to each frame (one flush) on its way from
// the first write seen to the screen. The deferred I/O state records the
// flush; the output records commit, fence and presentation, each of which
// applies to every frame that reached the stage before it and not yet this
// one (a vblank presents every flush since the last one). Times are
// CLOCK_MONOTONIC; 0 means the stage did not happen (yet).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "util/rect.hpp"
#include "defio/tracker.hpp"

namespace udefio {

struct FrameRecord {
    uint64_t frame = 0;  // 1, 2, ... in flush order
    TrackerKind tracker = TrackerKind::explicit_damage;
    // When the first write of this frame was seen. Exact when a doorbell or
    // explicit damage announced it; otherwise (a tracker that only looks, or
    // a client that never paused) the previous look, so write→present is an
    // upper bound.
    std::chrono::nanoseconds first_write{};
    bool first_write_exact = false;
    // The stages that follow, on the same clock (0: the frame did not get there).
    std::chrono::nanoseconds flush_start{}, flush_end{}, committed{}, fence_signalled{}, presented{};
    uint64_t present_sequence = 0;
    uint32_t pages = 0;
    std::vector<Rect> rects;
    uint64_t damage_pixels = 0;
    uint64_t bytes_copied = 0, full_frame_bytes = 0;
    // How the damage was found (defio/damage_finder.hpp): write faults the
    // writer took for this frame's pages, stores to open (hot) pages that
    // would have faulted, pages compared with the shadow and of those the
    // ones found unchanged (not sent), and whether the whole frame was sent
    // with one copy (adaptive full copy: then nothing is compared).
    uint32_t faults_taken = 0, faults_avoided = 0;
    uint32_t pages_compared = 0, pages_unchanged = 0;
    bool full_copy = false;
};

// A time the outputs showed nothing new on purpose: the seat was switched
// away (no commits allowed) or the outputs were blanked. The profile shows it,
// so that a frame that waited through one is not read as a slow frame.
struct OutputGap {
    std::string why;  // "seat switched away", "blanked"
    std::chrono::nanoseconds start{};
    std::chrono::nanoseconds end{};  // 0: it lasted to the end of the run
};

class FrameRecorder {
public:
    // Keeps at most `capacity` frames (the oldest are dropped, and counted).
    explicit FrameRecorder(size_t capacity = 1 << 18) : capacity_(capacity) {}

    // The flush worker: a flush starts (before the output's copy and commit,
    // which may record the commit) and ends. flush_started numbers the frame
    // (record.frame is ignored) and returns its number: frames keep counting
    // when a new state of another size takes over the same recorder.
    uint64_t flush_started(FrameRecord record);
    void flush_ended(uint64_t frame, std::chrono::nanoseconds at, uint64_t bytes_copied);
    // The output. Each returns/takes a token: the last frame the stage covers,
    // so a fence or flip event applies to exactly the frames of its commit.
    // A commit covers the frames flushed since the last one, up to `upto`
    // when it was made after later flushes began (recorded() at its copy).
    uint64_t committed(std::chrono::nanoseconds at, uint64_t upto = UINT64_MAX);
    void fence_signalled(uint64_t upto, std::chrono::nanoseconds at);
    void presented(uint64_t upto, std::chrono::nanoseconds at, uint64_t sequence);

    // The session (loop thread): a gap begins, and the latest open one for
    // the same reason ends.
    void gap_began(std::string why, std::chrono::nanoseconds at);
    void gap_ended(const std::string& why, std::chrono::nanoseconds at);

    std::vector<FrameRecord> frames() const;
    std::vector<OutputGap> gaps() const;
    // The newest `n` frames, and how many were recorded in all (a live status).
    std::vector<FrameRecord> recent(size_t n) const;
    uint64_t recorded() const;
    uint64_t dropped() const;

private:
    FrameRecord* find(uint64_t frame);

    const size_t capacity_;
    // mutex_ protects everything below. Taken by the flush worker (flushed,
    // and committed from inside a flush), the loop thread (fence, present,
    // gaps) and readers; never held while calling out.
    mutable std::mutex mutex_;
    std::deque<FrameRecord> frames_;
    std::vector<OutputGap> gaps_;  // a few per run: seat switches and blanking
    uint64_t dropped_ = 0;
    uint64_t last_frame_ = 0;
    uint64_t committed_upto_ = 0;  // frames up to here have a commit time
    uint64_t fenced_upto_ = 0;
    uint64_t presented_upto_ = 0;
};

}  // namespace udefio
