#include "tools/profile/trace_json.hpp"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

namespace udefio::profile {
namespace {

using nlohmann::json;

// The trace's tracks, in the order the UI shows them.
enum Track : int { kCoalesce = 1, kFlush, kCommit, kFence, kPresent, kWrites, kGaps };

double us(std::chrono::nanoseconds t) { return double(t.count()) / 1e3; }

json track_name(Track track, const char* name)
{
    return {{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", int(track)}, {"args", {{"name", name}}}};
}

json span(Track track, const char* name, uint64_t frame, std::chrono::nanoseconds from, std::chrono::nanoseconds to,
          json args = json::object())
{
    args["frame"] = frame;
    return {{"name", name}, {"ph", "X"}, {"pid", 1}, {"tid", int(track)}, {"ts", us(from)},
            {"dur", us(to - from)}, {"args", std::move(args)}};
}

json rects_json(const std::vector<Rect>& rects)
{
    json out = json::array();
    for (const Rect& r : rects)
        out.push_back({r.x, r.y, r.width, r.height});
    return out;
}

int64_t ns(std::chrono::nanoseconds t) { return t.count(); }

}  // namespace

std::string perfetto_trace(const std::vector<FrameRecord>& frames, const std::vector<OutputGap>& gaps)
{
    json events = json::array();
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "udefio"}}}});
    events.push_back(track_name(kWrites, "0 first write seen"));
    events.push_back(track_name(kCoalesce, "1 write -> flush (coalescing)"));
    events.push_back(track_name(kFlush, "2 flush, whole: collect, damage, copy, commit"));
    events.push_back(track_name(kCommit, "3 flush start -> commit"));
    events.push_back(track_name(kFence, "4 commit -> fence signalled"));
    events.push_back(track_name(kPresent, "5 commit -> presented"));
    events.push_back(track_name(kGaps, "6 outputs off (seat switched away, blanked)"));
    for (const OutputGap& g : gaps)
        events.push_back({{"name", g.why}, {"ph", "X"}, {"pid", 1}, {"tid", int(kGaps)}, {"ts", us(g.start)},
                          {"dur", us(g.end - g.start)}});
    for (const FrameRecord& f : frames) {
        events.push_back({{"name", f.first_write_exact ? "first write" : "first write (bound)"}, {"ph", "i"},
                          {"s", "t"}, {"pid", 1}, {"tid", int(kWrites)}, {"ts", us(f.first_write)},
                          {"args", {{"frame", f.frame}}}});
        events.push_back(span(kCoalesce, "coalesce", f.frame, f.first_write, f.flush_start));
        events.push_back(span(kFlush, "flush", f.frame, f.flush_start, f.flush_end,
                              {{"pages", f.pages}, {"rects", f.rects.size()}, {"bytes", f.bytes_copied},
                               {"tracker", tracker_name(f.tracker)}, {"faults_taken", f.faults_taken},
                               {"faults_avoided", f.faults_avoided}, {"pages_compared", f.pages_compared},
                               {"pages_unchanged", f.pages_unchanged}, {"full_copy", f.full_copy}}));
        if (f.committed.count())
            events.push_back(span(kCommit, "commit", f.frame, f.flush_start, f.committed));
        if (f.committed.count() && f.fence_signalled.count())
            events.push_back(span(kFence, "fence", f.frame, f.committed, f.fence_signalled));
        if (f.committed.count() && f.presented.count())
            events.push_back(span(kPresent, "present", f.frame, f.committed, f.presented,
                                  {{"sequence", f.present_sequence}}));
        events.push_back({{"name", "bytes copied"}, {"ph", "C"}, {"pid", 1}, {"ts", us(f.flush_end)},
                          {"args", {{"bytes", f.bytes_copied}}}});
    }
    return json{{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}}.dump();
}

std::string frames_csv(const std::vector<FrameRecord>& frames)
{
    std::string out = "frame,tracker,first_write_ns,first_write_exact,flush_start_ns,flush_end_ns,committed_ns,"
                      "fence_signalled_ns,presented_ns,present_sequence,pages,rects,damage_pixels,bytes_copied,"
                      "full_frame_bytes,faults_taken,faults_avoided,pages_compared,pages_unchanged,full_copy\n";
    char line[512];
    for (const FrameRecord& f : frames) {
        std::snprintf(line, sizeof line,
                      "%llu,%s,%lld,%d,%lld,%lld,%lld,%lld,%lld,%llu,%u,%zu,%llu,%llu,%llu,%u,%u,%u,%u,%d\n",
                      (unsigned long long)f.frame, tracker_name(f.tracker).data(), (long long)ns(f.first_write),
                      int(f.first_write_exact), (long long)ns(f.flush_start), (long long)ns(f.flush_end),
                      (long long)ns(f.committed), (long long)ns(f.fence_signalled), (long long)ns(f.presented),
                      (unsigned long long)f.present_sequence, f.pages, f.rects.size(),
                      (unsigned long long)f.damage_pixels, (unsigned long long)f.bytes_copied,
                      (unsigned long long)f.full_frame_bytes, f.faults_taken, f.faults_avoided, f.pages_compared,
                      f.pages_unchanged, int(f.full_copy));
        out += line;
    }
    return out;
}

std::string frames_json(const std::vector<FrameRecord>& frames)
{
    json out = json::array();
    for (const FrameRecord& f : frames) {
        out.push_back({{"frame", f.frame},
                       {"tracker", tracker_name(f.tracker)},
                       {"first_write_ns", ns(f.first_write)},
                       {"first_write_exact", f.first_write_exact},
                       {"flush_start_ns", ns(f.flush_start)},
                       {"flush_end_ns", ns(f.flush_end)},
                       {"committed_ns", ns(f.committed)},
                       {"fence_signalled_ns", ns(f.fence_signalled)},
                       {"presented_ns", ns(f.presented)},
                       {"present_sequence", f.present_sequence},
                       {"pages", f.pages},
                       {"rects", rects_json(f.rects)},
                       {"damage_pixels", f.damage_pixels},
                       {"bytes_copied", f.bytes_copied},
                       {"full_frame_bytes", f.full_frame_bytes},
                       {"faults_taken", f.faults_taken},
                       {"faults_avoided", f.faults_avoided},
                       {"pages_compared", f.pages_compared},
                       {"pages_unchanged", f.pages_unchanged},
                       {"full_copy", f.full_copy}});
    }
    return out.dump(1);
}

Result<void> write_text_file(const std::string& path, const std::string& text)
{
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
        return errno_error("open " + path + " for writing");
    file << text;
    file.close();
    if (!file)
        return errno_error("write " + path);
    return {};
}

}  // namespace udefio::profile
