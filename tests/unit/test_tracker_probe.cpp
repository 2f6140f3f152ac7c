#include <gtest/gtest.h>

#include "defio/buffer_layout.hpp"
#include "defio/shared_buffer.hpp"
#include "defio/tracker_probe.hpp"

using namespace udefio;

namespace {

TEST(TrackerProbe, ReportsEveryTrackerWithAReason)
{
    const auto& results = probe_trackers();
    ASSERT_EQ(results.size(), std::size(kAllTrackers));
    for (const auto& r : results) {
        EXPECT_FALSE(r.reason.empty()) << tracker_name(r.kind);
        std::printf("%-10s %-3s %s\n", std::string(tracker_name(r.kind)).c_str(), r.works ? "yes" : "no",
                    r.reason.c_str());
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
    auto layout = BufferLayout::make(256, 256);
    ASSERT_TRUE(layout.ok());
    auto buffer = SharedBuffer::create(*layout);
    ASSERT_TRUE(buffer.ok());
    auto tracker = make_best_tracker(buffer->bytes());
    ASSERT_TRUE(tracker.ok()) << tracker.error().message();
    for (const auto& r : probe_trackers()) {
        if (r.works) {
            EXPECT_EQ((*tracker)->kind(), r.kind);
            break;
        }
    }
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
