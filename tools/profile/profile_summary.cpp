#include "tools/profile/profile_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace udefio::profile {
namespace {

Percentiles percentiles(std::vector<double> ms)
{
    Percentiles p;
    p.count = ms.size();
    if (ms.empty())
        return p;
    std::sort(ms.begin(), ms.end());
    // Nearest rank: the smallest value with at least q of the samples at or below it.
    auto at = [&](double q) { return ms[size_t(std::ceil(q * double(ms.size()))) - 1]; };
    p.p50_ms = at(0.50);
    p.p95_ms = at(0.95);
    p.p99_ms = at(0.99);
    p.max_ms = ms.back();
    return p;
}

double to_ms(std::chrono::nanoseconds d) { return double(d.count()) / 1e6; }

using Edge = std::chrono::nanoseconds FrameRecord::*;

Stage stage(const std::vector<FrameRecord>& frames, std::string name, Edge from, Edge to)
{
    std::vector<double> ms;
    for (const FrameRecord& f : frames) {
        if ((f.*from).count() && (f.*to).count() && f.*to >= f.*from)
            ms.push_back(to_ms(f.*to - f.*from));
    }
    return {std::move(name), percentiles(std::move(ms))};
}

}  // namespace

ProfileSummary summarize(const std::vector<FrameRecord>& frames, uint64_t wakeups, std::chrono::nanoseconds run,
                         std::vector<OutputGap> gaps)
{
    ProfileSummary s;
    s.gaps = std::move(gaps);
    s.frames = frames.size();
    s.seconds = double(run.count()) / 1e9;
    std::vector<double> latency;
    double bytes = 0;
    for (const FrameRecord& f : frames) {
        bytes += double(f.bytes_copied);
        s.full_frame_bytes = double(f.full_frame_bytes);
        s.faults_taken += f.faults_taken;
        s.faults_avoided += f.faults_avoided;
        s.pages_compared += f.pages_compared;
        s.pages_unchanged += f.pages_unchanged;
        s.full_copy_frames += f.full_copy;
        s.exact_first_writes += f.first_write_exact;
        if (f.presented.count()) {
            ++s.presented;
            s.frames_across_gaps += std::any_of(s.gaps.begin(), s.gaps.end(), [&](const OutputGap& g) {
                return g.start < f.presented && g.end > f.first_write;
            });
            latency.push_back(to_ms(f.presented - f.first_write));
        }
    }
    if (!frames.empty()) {
        const double n = double(frames.size());
        s.bytes_per_frame = bytes / n;
        s.faults_taken /= n;
        s.faults_avoided /= n;
        s.pages_compared /= n;
        s.pages_unchanged /= n;
        s.tracker = std::string(tracker_name(frames.front().tracker));
    }
    s.write_to_present = percentiles(std::move(latency));
    s.wakeups_per_second = s.seconds > 0 ? double(wakeups) / s.seconds : 0;
    s.stages = {
        stage(frames, "write -> flush start (coalescing delay)", &FrameRecord::first_write, &FrameRecord::flush_start),
        stage(frames, "flush start -> commit (collect, copy, commit)", &FrameRecord::flush_start,
              &FrameRecord::committed),
        stage(frames, "flush, whole (the worker is busy)", &FrameRecord::flush_start, &FrameRecord::flush_end),
        stage(frames, "commit -> fence signalled", &FrameRecord::committed, &FrameRecord::fence_signalled),
        stage(frames, "commit -> presented", &FrameRecord::committed, &FrameRecord::presented),
    };
    return s;
}

std::string format_summary(const ProfileSummary& s)
{
    std::string out;
    char line[256];
    auto add = [&](const char* fmt, auto... args) {
        std::snprintf(line, sizeof line, fmt, args...);
        out += line;
    };
    add("profile: %zu frames in %.1f s (%.1f fps), %zu presented, tracker %s\n", s.frames, s.seconds,
        s.seconds > 0 ? double(s.frames) / s.seconds : 0.0, s.presented, s.tracker.empty() ? "-" : s.tracker.c_str());
    add("  write -> present   p50 %7.2f ms   p95 %7.2f ms   p99 %7.2f ms   max %7.2f ms\n", s.write_to_present.p50_ms,
        s.write_to_present.p95_ms, s.write_to_present.p99_ms, s.write_to_present.max_ms);
    add("  first write exact  %zu of %zu frames (others: the previous look, an upper bound)\n", s.exact_first_writes,
        s.frames);
    add("  bytes per frame    %.0f (%.2f%% of a full frame, %.0f bytes)\n", s.bytes_per_frame,
        s.full_frame_bytes > 0 ? 100.0 * s.bytes_per_frame / s.full_frame_bytes : 0.0, s.full_frame_bytes);
    add("  wakeups            %.1f per second (flush worker)\n", s.wakeups_per_second);
    add("  per frame          %.1f write faults taken, %.1f avoided (hot pages), %.1f pages compared, %.1f of them "
        "unchanged; %zu frames sent whole (full copy)\n",
        s.faults_taken, s.faults_avoided, s.pages_compared, s.pages_unchanged, s.full_copy_frames);
    for (const OutputGap& g : s.gaps)
        add("  output gap         %s for %.3f s\n", g.why.c_str(), to_ms(g.end - g.start) / 1000);
    if (!s.gaps.empty())
        add("  across a gap       %zu frames (their write -> present is in the figures above)\n",
            s.frames_across_gaps);
    add("  %-46s %6s %9s %9s %9s\n", "stage", "frames", "p50 ms", "p99 ms", "max ms");
    for (const Stage& st : s.stages)
        add("  %-46s %6zu %9.3f %9.3f %9.3f\n", st.name.c_str(), st.time.count, st.time.p50_ms, st.time.p99_ms,
            st.time.max_ms);
    return out;
}

}  // namespace udefio::profile
