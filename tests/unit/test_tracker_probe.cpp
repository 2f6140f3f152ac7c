#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <vector>

#include "defio/buffer_layout.hpp"
#include "defio/shared_buffer.hpp"
#include "util/mapping.hpp"
#include "defio/tracker_probe.hpp"

using namespace udefio;

namespace {

// Whether `kind` finds writes on this kernel, tried here rather than taken
// from the probe: it can be made, and reports exactly the page written, twice
// (so it re-arms).
bool tracks_writes(TrackerKind kind)
{
    const size_t page = page_size();
    auto layout = BufferLayout::make(static_cast<uint32_t>(page / 4), 8);
    auto buffer = layout ? SharedBuffer::create(*layout) : Result<SharedBuffer>(layout.error());
    if (!buffer)
        return false;
    auto tracker = make_tracker(kind, buffer->bytes());
    if (!tracker)
        return false;
    for (uint32_t written : {5u, 3u}) {
        std::vector<uint32_t> pages;
        if (!(*tracker)->collect(pages))
            return false;
        buffer->data()[written * page + 100] = std::byte{0x7e};
        pages.clear();
        if (!(*tracker)->collect(pages) || pages != std::vector<uint32_t>{written})
            return false;
    }
    return true;
}

TEST(TrackerProbe, ReportsEveryTrackerTruthfullyWithAReason)
{
    const auto& results = probe_trackers();
    ASSERT_EQ(results.size(), std::size(kAllTrackers));
    for (size_t i = 0; i < results.size(); ++i) {
        const TrackerProbeResult& r = results[i];
        SCOPED_TRACE(std::string(tracker_name(r.kind)) + ": " + r.reason);
        EXPECT_EQ(r.kind, kAllTrackers[i]);
        EXPECT_FALSE(r.reason.empty());
        if (r.kind != TrackerKind::explicit_damage) {
            EXPECT_EQ(r.works, tracks_writes(r.kind)) << "the probe's verdict is not what the tracker does";
        }
    }
}

TEST(TrackerProbe, ShadowAndExplicitAlwaysWork)
{
    for (const auto& r : probe_trackers()) {
        if (r.kind == TrackerKind::shadow || r.kind == TrackerKind::explicit_damage) {
            EXPECT_TRUE(r.works) << r.reason;
        }
    }
}

TEST(TrackerProbe, BestTrackerIsTheFirstThatWorks)
{
    // The order of preference tracker.hpp promises; explicit damage is never picked.
    constexpr TrackerKind kPreference[] = {TrackerKind::uffd_async, TrackerKind::uffd_sync, TrackerKind::mprotect,
                                           TrackerKind::soft_dirty, TrackerKind::shadow};
    const auto first = std::find_if(std::begin(kPreference), std::end(kPreference), tracks_writes);
    ASSERT_NE(first, std::end(kPreference)) << "not even shadow compare works";
    auto layout = BufferLayout::make(256, 256);
    ASSERT_TRUE(layout.ok());
    auto buffer = SharedBuffer::create(*layout);
    ASSERT_TRUE(buffer.ok());
    auto tracker = make_best_tracker(buffer->bytes());
    ASSERT_TRUE(tracker.ok()) << tracker.error().message();
    EXPECT_EQ((*tracker)->kind(), *first) << tracker_name((*tracker)->kind()) << " instead of " << tracker_name(*first);
}

TEST(TrackerProbe, ForcingAnUnavailableTrackerIsAClearError)
{
    for (const auto& r : probe_trackers()) {
        if (r.works)
            continue;
        auto layout = BufferLayout::make(256, 256);
        ASSERT_TRUE(layout.ok());
        auto buffer = SharedBuffer::create(*layout);
        ASSERT_TRUE(buffer.ok());
        auto tracker = make_best_tracker(buffer->bytes(), r.kind);
        ASSERT_FALSE(tracker.ok());
        EXPECT_NE(tracker.error().message().find(tracker_name(r.kind)), std::string::npos)
            << tracker.error().message();
        return;
    }
    GTEST_SKIP() << "every tracker works on this kernel";
}

TEST(TrackerProbe, ParsesNamesAndRejectsUnknownOnes)
{
    for (TrackerKind k : kAllTrackers) {
        auto parsed = parse_tracker_kind(tracker_name(k));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(*parsed, k);
    }
    auto bad = parse_tracker_kind("magic");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("magic"), std::string::npos);
}

}  // namespace
