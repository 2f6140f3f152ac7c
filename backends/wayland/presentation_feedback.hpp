// wp_presentation feedback for commits: when the compositor showed one
// (converted to CLOCK_MONOTONIC, the clock Presentation uses) and at which
// refresh period, or that it never showed it (discarded: replaced by a later
// commit before a repaint, or the window was hidden). Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "backends/output.hpp"
#include "backends/wayland/wayland_connection.hpp"

namespace udefio {

// What `clock` reads now.
std::chrono::nanoseconds clock_now(clockid_t clock);

class PresentationFeedback {
public:
    // `token` is what request() was given for that commit (the profiler's).
    using PresentedCallback =
        std::function<void(const Presentation&, std::chrono::nanoseconds refresh, uint64_t token)>;

    PresentationFeedback(const WaylandConnection& connection, PresentedCallback presented,
                         std::function<void()> discarded);
    PresentationFeedback(const PresentationFeedback&) = delete;
    PresentationFeedback& operator=(const PresentationFeedback&) = delete;

    // False if the compositor has no wp_presentation.
    bool available() const { return connection_.presentation() != nullptr; }
    // Asks for feedback on the surface's next commit. Does nothing when not available().
    void request(wl_surface* surface, uint64_t token);

private:
    static void on_sync_output(void* data, wp_presentation_feedback* feedback, wl_output* output);
    static void on_presented(void* data, wp_presentation_feedback* feedback, uint32_t tv_sec_hi,
                             uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi,
                             uint32_t seq_lo, uint32_t flags);
    static void on_discarded(void* data, wp_presentation_feedback* feedback);
    // Drops the feedback; returns its token.
    uint64_t forget(wp_presentation_feedback* feedback);

    const WaylandConnection& connection_;
    PresentedCallback presented_;
    std::function<void()> discarded_;
    // Each commit's feedback until its one event arrived; a few at most.
    struct Outstanding {
        WlPtr<wp_presentation_feedback> feedback;
        uint64_t token;
    };
    std::vector<Outstanding> outstanding_;
};

}  // namespace udefio
