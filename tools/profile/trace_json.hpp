// A Chrome/Perfetto trace (the JSON trace event format, which the Perfetto
// UI opens) with one track per stage of a frame, and the per-frame table as
// CSV and JSON.
#pragma once

#include <string>
#include <vector>

#include "profile/frame_recorder.hpp"
#include "util/result.hpp"

namespace udefio::profile {

// `gaps` each with an end: a track of their own.
std::string perfetto_trace(const std::vector<FrameRecord>& frames, const std::vector<OutputGap>& gaps = {});
std::string frames_csv(const std::vector<FrameRecord>& frames);
std::string frames_json(const std::vector<FrameRecord>& frames);

Result<void> write_text_file(const std::string& path, const std::string& text);

}  // namespace udefio::profile
