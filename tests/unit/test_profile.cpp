// Profiling mode's pieces: the recorder's stage bookkeeping, the summary's
// percentiles, the heat map's counts and the trace's structure.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "tools/profile/heat_map.hpp"
#include "tools/profile/profile_summary.hpp"
#include "tools/profile/trace_json.hpp"

using namespace udefio;
using namespace udefio::profile;
using namespace std::chrono_literals;

namespace {

FrameRecord frame(uint64_t n, std::chrono::nanoseconds start, std::vector<Rect> rects = {{0, 0, 8, 8}})
{
    FrameRecord f;
    f.frame = n;
    f.tracker = TrackerKind::uffd_sync;
    f.first_write = start;
    f.first_write_exact = true;
    f.flush_start = start + 10ms;
    f.rects = std::move(rects);
    f.full_frame_bytes = 64 * 64 * 4;
    return f;
}

}  // namespace

TEST(FrameRecorder, EachStageAppliesToTheFramesOfItsCommit)
{
    FrameRecorder recorder;
    recorder.flush_started(frame(1, 0ms));
    recorder.flush_ended(1, 11ms, 256);
    const uint64_t first_commit = recorder.committed(12ms);
    EXPECT_EQ(first_commit, 1u);
    recorder.flush_started(frame(2, 5ms));
    recorder.flush_ended(2, 16ms, 256);
    recorder.flush_started(frame(3, 6ms));  // two flushes, one commit (a flip was in flight)
    const uint64_t second_commit = recorder.committed(20ms);
    EXPECT_EQ(second_commit, 3u);
    // The first commit's fence and flip arrive after the second commit was made.
    recorder.fence_signalled(first_commit, 25ms);
    recorder.presented(first_commit, 26ms, 7);
    auto frames = recorder.frames();
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0].committed, 12ms);
    EXPECT_EQ(frames[0].fence_signalled, 25ms);
    EXPECT_EQ(frames[0].presented, 26ms);
    EXPECT_EQ(frames[0].present_sequence, 7u);
    EXPECT_EQ(frames[0].bytes_copied, 256u);
    EXPECT_EQ(frames[1].committed, 20ms);
    EXPECT_EQ(frames[1].presented.count(), 0) << "the second commit is not on screen yet";
    recorder.presented(UINT64_MAX, 40ms, 8);
    frames = recorder.frames();
    EXPECT_EQ(frames[1].presented, 40ms);
    EXPECT_EQ(frames[2].presented, 40ms);
    EXPECT_EQ(frames[2].present_sequence, 8u);
}

// An output that commits from the loop, after its flush returned: a flush
// that began meanwhile is not in that commit.
TEST(FrameRecorder, ACommitCoversOnlyTheFramesUpToItsCopy)
{
    FrameRecorder recorder;
    recorder.flush_started(frame(1, 0ms));
    const uint64_t copied = recorder.recorded();  // the output copies frame 1, commits later
    recorder.flush_started(frame(2, 5ms));
    EXPECT_EQ(recorder.committed(12ms, copied), 1u);
    auto frames = recorder.frames();
    EXPECT_EQ(frames[0].committed, 12ms);
    EXPECT_EQ(frames[1].committed.count(), 0) << "frame 2 is not in that commit";
    recorder.presented(UINT64_MAX, 14ms, 3);
    EXPECT_EQ(recorder.frames()[1].presented.count(), 0) << "nor shown with it";
    EXPECT_EQ(recorder.committed(20ms, recorder.recorded()), 2u);
    EXPECT_EQ(recorder.frames()[1].committed, 20ms);
}

TEST(FrameRecorder, DropsTheOldestBeyondCapacity)
{
    FrameRecorder recorder(2);
    for (uint64_t n = 1; n <= 5; ++n)
        recorder.flush_started(frame(n, std::chrono::milliseconds(n)));
    EXPECT_EQ(recorder.frames().size(), 2u);
    EXPECT_EQ(recorder.frames().front().frame, 4u);
    EXPECT_EQ(recorder.dropped(), 3u);
    EXPECT_EQ(recorder.recorded(), 5u);
    EXPECT_EQ(recorder.recent(1).front().frame, 5u);
}

TEST(ProfileSummary, PercentilesOfWriteToPresent)
{
    std::vector<FrameRecord> frames;
    for (uint64_t n = 1; n <= 100; ++n) {
        FrameRecord f = frame(n, 0ms);
        f.presented = std::chrono::milliseconds(n);  // latencies 1..100 ms
        f.committed = 0ms;
        f.bytes_copied = 1024;
        frames.push_back(f);
    }
    const ProfileSummary s = summarize(frames, 50, 10s);
    EXPECT_EQ(s.frames, 100u);
    EXPECT_EQ(s.presented, 100u);
    EXPECT_DOUBLE_EQ(s.write_to_present.p50_ms, 50);
    EXPECT_DOUBLE_EQ(s.write_to_present.p95_ms, 95);
    EXPECT_DOUBLE_EQ(s.write_to_present.p99_ms, 99);
    EXPECT_DOUBLE_EQ(s.write_to_present.max_ms, 100);
    EXPECT_DOUBLE_EQ(s.bytes_per_frame, 1024);
    EXPECT_DOUBLE_EQ(s.wakeups_per_second, 5);
    EXPECT_NE(format_summary(s).find("p99"), std::string::npos);
}

TEST(ProfileSummary, HowTheDamageWasFoundPerFrame)
{
    FrameRecord a = frame(1, 0ms), b = frame(2, 0ms);
    a.faults_taken = 64;
    a.pages_compared = 64;
    b.faults_avoided = 60;
    b.pages_compared = 70;
    b.pages_unchanged = 6;
    b.full_copy = true;
    const ProfileSummary s = summarize({a, b}, 0, 1s);
    EXPECT_DOUBLE_EQ(s.faults_taken, 32);
    EXPECT_DOUBLE_EQ(s.faults_avoided, 30);
    EXPECT_DOUBLE_EQ(s.pages_compared, 67);
    EXPECT_DOUBLE_EQ(s.pages_unchanged, 3);
    EXPECT_EQ(s.full_copy_frames, 1u);
    EXPECT_NE(format_summary(s).find("write faults taken"), std::string::npos);
}

TEST(ProfileSummary, OutputGapsAndTheFramesThatWaitedThroughOne)
{
    FrameRecorder recorder;
    recorder.gap_began("seat switched away", 100ms);
    recorder.gap_began("blanked (idle)", 150ms);
    recorder.gap_ended("seat switched away", 1100ms);
    recorder.gap_ended("seat switched away", 1200ms);  // none open: ignored
    const std::vector<OutputGap> gaps = recorder.gaps();
    ASSERT_EQ(gaps.size(), 2u);
    EXPECT_EQ(gaps[0].end, 1100ms);
    EXPECT_EQ(gaps[1].end, 0ms) << "still blanked";

    FrameRecord before = frame(1, 10ms), across = frame(2, 90ms), after = frame(3, 1150ms);
    before.presented = 30ms;
    across.presented = 1120ms;  // written before the switch, shown after it
    after.presented = 1160ms;
    std::vector<OutputGap> closed = {gaps[0]};
    const ProfileSummary s = summarize({before, across, after}, 0, 2s, closed);
    EXPECT_EQ(s.frames_across_gaps, 1u);
    const std::string text = format_summary(s);
    EXPECT_NE(text.find("output gap         seat switched away for 1.000 s"), std::string::npos) << text;
    EXPECT_NE(text.find("across a gap       1 frames"), std::string::npos) << text;
    EXPECT_EQ(format_summary(summarize({before}, 0, 1s)).find("gap"), std::string::npos) << "no gap, no line";

    const auto trace = nlohmann::json::parse(perfetto_trace({before}, closed));
    bool found = false;
    for (const auto& e : trace["traceEvents"])
        found |= e["ph"] == "X" && e["name"] == "seat switched away" && e["dur"].get<double>() == 1e6;
    EXPECT_TRUE(found) << trace.dump();
}

TEST(HeatMap, CountsEachCellOncePerFrame)
{
    std::vector<FrameRecord> frames = {frame(1, 0ms, {{0, 0, 8, 8}, {4, 4, 8, 8}}), frame(2, 0ms, {{0, 0, 16, 8}})};
    const HeatMap map = count_damage(frames, 32, 16, 8);
    ASSERT_EQ(map.columns, 4u);
    ASSERT_EQ(map.rows, 2u);
    EXPECT_EQ(map.counts[0], 2u);  // both frames, counted once in the first
    EXPECT_EQ(map.counts[1], 2u);  // frame 1's second rect and frame 2
    EXPECT_EQ(map.counts[5], 1u);  // only frame 1's second rect reaches (8..15, 8..15)
    EXPECT_EQ(map.counts[3], 0u);
    EXPECT_EQ(map.max_count, 2u);
    const Image image = render(map, 32, 16);
    EXPECT_EQ(image.pixels[31], 0u) << "never flushed is black";
    EXPECT_NE(image.pixels[0], image.pixels[8 * 32 + 8]) << "2 flushes and 1 flush differ";
}

TEST(PerfettoTrace, OneTrackPerStageAndSpansInOrder)
{
    FrameRecord f = frame(1, 1ms);
    f.flush_end = 12ms;
    f.committed = 11ms;
    f.fence_signalled = 20ms;
    f.presented = 20ms;
    const auto trace = nlohmann::json::parse(perfetto_trace({f}));
    std::set<std::string> tracks, spans;
    for (const auto& e : trace["traceEvents"]) {
        if (e["ph"] == "M" && e["name"] == "thread_name")
            tracks.insert(e["args"]["name"].get<std::string>());
        if (e["ph"] == "X") {
            spans.insert(e["name"].get<std::string>());
            EXPECT_GE(e["dur"].get<double>(), 0) << e.dump();
        }
    }
    EXPECT_EQ(tracks.size(), 7u);
    EXPECT_EQ(spans, (std::set<std::string>{"coalesce", "flush", "commit", "fence", "present"}));
    const auto table = nlohmann::json::parse(frames_json({f}));
    EXPECT_EQ(table[0]["presented_ns"], 20'000'000);
    EXPECT_EQ(frames_csv({f}).find("frame,tracker"), 0u);
}
