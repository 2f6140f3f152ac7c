// Every tracker against the same contract (defio/tracker.hpp): exactly the
// written pages, each once, and no write lost across a re-arm. A tracker the
// running kernel cannot do is skipped with the probe's reason.
#include <gtest/gtest.h>

#include "tests/test_support.hpp"
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "defio/buffer_layout.hpp"
#include "defio/shared_buffer.hpp"
#include "defio/tracker_probe.hpp"

using namespace udefio;

namespace {

constexpr uint32_t kPages = 256;

bool readable(int fd, int timeout_ms = 0)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

class TrackerContract : public testing::TestWithParam<TrackerKind> {
protected:
    void SetUp() override
    {
        if (const std::string why = test::why_tracker_cannot_run(GetParam()); !why.empty())
            GTEST_SKIP() << why;
        page_ = page_size();
        auto layout = BufferLayout::make(static_cast<uint32_t>(page_ / 4), kPages);
        ASSERT_TRUE(layout.ok());
        auto buffer = SharedBuffer::create(*layout);
        ASSERT_TRUE(buffer.ok()) << buffer.error().message();
        buffer_.emplace(std::move(buffer).value());
        auto tracker = make_tracker(GetParam(), buffer_->bytes());
        ASSERT_TRUE(tracker.ok()) << tracker.error().message();
        tracker_ = std::move(tracker).value();
        ASSERT_TRUE(collect().empty());
    }

    void TearDown() override
    {
        tracker_.reset();  // before the buffer it tracks
        buffer_.reset();
    }

    std::vector<uint32_t> collect(const PageSet& keep_open = PageSet::none())
    {
        std::vector<uint32_t> pages;
        auto r = tracker_->collect(pages, keep_open);
        EXPECT_TRUE(r.ok()) << r.error().message();
        std::vector<uint32_t> sorted = pages;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_TRUE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) << "a page reported twice";
        return sorted;
    }

    std::byte* page(uint32_t index) { return buffer_->data() + index * page_; }

    // Word by word with atomic loads: the writer thread is still storing.
    void copy_page(std::byte* to, std::byte* from) const
    {
        for (size_t i = 0; i < page_; i += 4) {
            const uint32_t word = std::atomic_ref(*reinterpret_cast<uint32_t*>(from + i)).load(std::memory_order_relaxed);
            std::memcpy(to + i, &word, 4);
        }
    }

    // Under ThreadSanitizer every load of copy_page and every store of the
    // writer is instrumented: a third of the collects keeps the test inside
    // its timeout on a busy 2-core machine (a loaded CI run took 25-42 s per
    // case with 300); the plain and ASan builds run them all.
#if defined(__SANITIZE_THREAD__)
    static constexpr int kMinCollects = 100;
#else
    static constexpr int kMinCollects = 300;
#endif

    // A writer thread keeps writing while the main thread collects and
    // "flushes" (copies reported pages into a mirror), leaving open what
    // `keep(collect number, last report)` says. Every write must reach the
    // mirror: at the end, after the pages are re-armed and collected once
    // more, mirror and buffer are equal.
    template <typename Keep>
    void expect_no_write_lost(Keep&& keep)
    {
        const size_t bytes = kPages * page_;
        std::vector<std::byte> mirror(buffer_->data(), buffer_->data() + bytes);
        std::atomic<bool> stop{false};
        std::thread writer([&] {
            std::mt19937 rng(42);
            uint32_t value = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                const uint32_t p = rng() % kPages;
                const size_t offset = (rng() % (page_ / 4)) * 4;
                reinterpret_cast<std::atomic<uint32_t>*>(page(p) + offset)->store(++value, std::memory_order_relaxed);
            }
        });
        // Long enough for many collects to overlap many writes.
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(150);
        int collects = 0;
        std::vector<uint32_t> last;
        while (std::chrono::steady_clock::now() < until || collects < kMinCollects) {
            last = collect(keep(collects, last));
            for (uint32_t p : last)
                copy_page(mirror.data() + p * page_, page(p));
            ++collects;
        }
        stop = true;
        writer.join();
        // The last look re-arms whatever was open, and reports it.
        for (uint32_t p : collect())
            copy_page(mirror.data() + p * page_, page(p));
        // The writer's last store may have landed before the fault path marked its
        // page the second time (uffd-sync marks again after waking the writer):
        // that mark rings the doorbell, and the flush worker looks again. So do we.
        const int bell = tracker_->write_doorbell_fd();
        while (bell >= 0 && readable(bell, 100)) {
            uint64_t rings;
            ASSERT_EQ(::read(bell, &rings, sizeof rings), ssize_t(sizeof rings));
            for (uint32_t p : collect())
                copy_page(mirror.data() + p * page_, page(p));
        }
        size_t differing = 0;
        for (uint32_t p = 0; p < kPages; ++p)
            differing += std::memcmp(mirror.data() + p * page_, page(p), page_) != 0;
        EXPECT_EQ(differing, 0u) << "pages whose last write was never reported";
    }

    size_t page_ = 0;
    std::optional<SharedBuffer> buffer_;
    std::unique_ptr<Tracker> tracker_;
};

TEST_P(TrackerContract, SingleWriteReportsExactlyThatPage)
{
    page(7)[100] = std::byte{1};
    EXPECT_EQ(collect(), (std::vector<uint32_t>{7}));
    EXPECT_TRUE(collect().empty());
}

TEST_P(TrackerContract, ScatteredWritesReportExactlyThosePages)
{
    const std::vector<uint32_t> written = {0, 3, 64, 65, 200, kPages - 1};
    for (uint32_t p : written)
        page(p)[p % page_] = std::byte{0x7f};
    EXPECT_EQ(collect(), written);
}

TEST_P(TrackerContract, WriteAcrossPageBoundaryReportsBothPages)
{
    std::byte pattern[16];
    std::memset(pattern, 0xa5, sizeof pattern);  // non-zero: shadow compare sees every byte
    std::memcpy(page(10) - 8, pattern, sizeof pattern);
    EXPECT_EQ(collect(), (std::vector<uint32_t>{9, 10}));
}

TEST_P(TrackerContract, WriteFromSecondThreadIsReported)
{
    std::thread([this] { page(42)[0] = std::byte{9}; }).join();
    EXPECT_EQ(collect(), (std::vector<uint32_t>{42}));
}

TEST_P(TrackerContract, ReadsAreNotReported)
{
    std::byte sum{0};
    for (uint32_t p = 0; p < kPages; ++p)
        sum ^= *static_cast<volatile std::byte*>(page(p));
    (void)sum;
    EXPECT_TRUE(collect().empty());
}

TEST_P(TrackerContract, RewriteAfterCollectIsReportedAgain)
{
    for (int round = 0; round < 5; ++round) {
        page(5)[static_cast<size_t>(round)] = std::byte{0x11};
        EXPECT_EQ(collect(), (std::vector<uint32_t>{5})) << "round " << round;
    }
}

TEST_P(TrackerContract, DoorbellRingsOnFirstWriteAfterCollect)
{
    const int fd = tracker_->write_doorbell_fd();
    if (fd < 0)
        GTEST_SKIP() << tracker_name(GetParam()) << " has no doorbell: the flush worker polls it";
    (void)collect();
    uint64_t drained;
    while (readable(fd))
        ASSERT_EQ(::read(fd, &drained, sizeof drained), static_cast<ssize_t>(sizeof drained));
    page(3)[0] = std::byte{1};
    EXPECT_TRUE(readable(fd, 1000));
}

TEST_P(TrackerContract, NoWriteIsLostAcrossRearm)
{
    expect_no_write_lost([](int, const std::vector<uint32_t>&) -> const PageSet& { return PageSet::none(); });
}

// Hot pages: what was reported stays open at the next collect, as the damage
// finder does with N = 1, and some pages go back to armed each time.
TEST_P(TrackerContract, NoWriteIsLostWithHotPagesOpen)
{
    PageSet keep(kPages);
    expect_no_write_lost([&](int n, const std::vector<uint32_t>& last) -> const PageSet& {
        keep.clear();
        for (uint32_t p : last)
            if ((p + uint32_t(n)) % 5 != 0)
                keep.set(p);
        return keep;
    });
}

// Full-copy mode: the whole range open for a while, then re-armed for one
// collect (a probe), and so on.
TEST_P(TrackerContract, NoWriteIsLostInFullCopyMode)
{
    PageSet all(kPages);
    all.set_all();
    expect_no_write_lost([&](int n, const std::vector<uint32_t>&) -> const PageSet& {
        return n % 7 == 6 ? PageSet::none() : all;
    });
}

// A page kept open takes no fault and is reported at every collect (the
// caller compares it instead), until a collect without it re-arms it.
TEST_P(TrackerContract, KeptOpenPageIsReportedUntilRearmed)
{
    if (!tracker_->can_leave_open())
        GTEST_SKIP() << tracker_name(GetParam()) << " cannot leave pages open";
    PageSet keep(kPages);
    keep.set(7);
    page(7)[0] = std::byte{1};
    EXPECT_EQ(collect(keep), (std::vector<uint32_t>{7}));
    EXPECT_EQ(collect(keep), (std::vector<uint32_t>{7})) << "open: reported again though nothing was seen";
    page(7)[1] = std::byte{2};
    page(9)[0] = std::byte{2};
    EXPECT_EQ(collect(), (std::vector<uint32_t>{7, 9})) << "re-armed by this collect, and reported by it";
    EXPECT_TRUE(collect().empty());
    page(7)[2] = std::byte{3};
    EXPECT_EQ(collect(), (std::vector<uint32_t>{7})) << "armed again: its next write is seen";
}

// Opening the whole range (full-copy mode) and re-arming it after.
TEST_P(TrackerContract, WholeRangeOpensAndRearms)
{
    if (!tracker_->can_leave_open())
        GTEST_SKIP() << tracker_name(GetParam()) << " cannot leave pages open";
    PageSet all(kPages);
    all.set_all();
    page(3)[0] = std::byte{1};
    (void)collect(all);
    EXPECT_EQ(collect(all).size(), size_t(kPages)) << "every page is open, so every page is reported";
    EXPECT_EQ(collect().size(), size_t(kPages)) << "re-armed by this collect, and reported by it";
    EXPECT_TRUE(collect().empty());
    page(200)[0] = std::byte{1};
    EXPECT_EQ(collect(), (std::vector<uint32_t>{200}));
}

INSTANTIATE_TEST_SUITE_P(AllTrackers, TrackerContract, testing::ValuesIn(test::page_trackers()),
                         test::tracker_test_name);

SharedBuffer small_buffer()
{
    return SharedBuffer::create(BufferLayout::make(64, 64).value()).value();
}

TEST(ExplicitTracker, ReportsNoPagesWhateverIsWritten)
{
    auto buffer = small_buffer();
    auto tracker = make_tracker(TrackerKind::explicit_damage, buffer.bytes());
    ASSERT_TRUE(tracker.ok());
    std::memset(buffer.data(), 0xff, buffer.size());
    std::vector<uint32_t> pages;
    ASSERT_TRUE((*tracker)->collect(pages).ok());
    EXPECT_TRUE(pages.empty());
}

// clear_refs clears the soft-dirty bits of the whole process: two trackers
// must not lose each other's pages (one owner does every clear). Runs where
// the kernel has CONFIG_MEM_SOFT_DIRTY (the KMS lane's guest kernels do).
TEST(SoftDirty, TwoTrackersDoNotClearEachOthersBits)
{
    if (const std::string why = test::why_tracker_cannot_run(TrackerKind::soft_dirty); !why.empty())
        GTEST_SKIP() << why;
    auto a = small_buffer(), b = small_buffer();
    auto ta = make_tracker(TrackerKind::soft_dirty, a.bytes()).value();
    auto tb = make_tracker(TrackerKind::soft_dirty, b.bytes()).value();
    std::vector<uint32_t> pages;
    ASSERT_TRUE(ta->collect(pages).ok());
    ASSERT_TRUE(tb->collect(pages).ok());
    pages.clear();
    a.data()[3 * page_size()] = std::byte{1};
    ASSERT_TRUE(tb->collect(pages).ok());  // clears every bit of the process
    EXPECT_TRUE(pages.empty());
    ASSERT_TRUE(ta->collect(pages).ok());
    EXPECT_EQ(pages, (std::vector<uint32_t>{3})) << "the other tracker's clear lost this page";
}

// The SIGSEGV handler of the mprotect-based trackers must not swallow faults
// that are not theirs: a real crash stays a crash.
TEST(WriteFaultRouter, ForeignFaultStillCrashes)
{
    auto buffer = small_buffer();
    auto tracker = make_tracker(TrackerKind::mprotect, buffer.bytes());
    if (!tracker)
        GTEST_SKIP() << tracker.error().message();
    EXPECT_DEATH(*static_cast<volatile int*>(nullptr) = 1, "");
}

}  // namespace
