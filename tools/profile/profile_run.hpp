// One profiled run (`udefio profile`, `--profile DIR`): owns the recorder the
// deferred I/O state fills, shows a live one-line status while a terminal
// watches, and at the end writes the summary, trace.json (Perfetto),
// frames.csv, frames.json and heatmap.png into the output directory.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "defio/deferred_io_state.hpp"
#include "loop/event_loop.hpp"
#include "profile/frame_recorder.hpp"

namespace udefio::profile {

class ProfileRun {
public:
    // Creates `dir` if needed. The live status goes to stderr if it is a TTY.
    static Result<std::unique_ptr<ProfileRun>> start(EventLoop& loop, std::string dir);

    const std::shared_ptr<FrameRecorder>& recorder() const { return recorder_; }

    // Writes the files; returns the summary table. `stats` are the state's.
    Result<std::string> finish(const FlushStats& stats, uint32_t width, uint32_t height);

    ProfileRun(std::string dir, EventSource status_timer);

private:
    void print_status();

    const std::string dir_;
    const std::shared_ptr<FrameRecorder> recorder_ = std::make_shared<FrameRecorder>();
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    EventSource status_timer_;  // inactive when stderr is not a TTY
    bool status_shown_ = false;
};

}  // namespace udefio::profile
