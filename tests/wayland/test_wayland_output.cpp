// The Wayland output against a fake compositor (fake_compositor.hpp) that
// does what weston's headless backend cannot be made to: resize the window,
// hold buffers and withhold frame callbacks, break the protocol, close the
// window, hang up.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <optional>

#include "backends/png_file.hpp"
#include "backends/wayland/wayland_backend.hpp"
#include "tests/loop_thread.hpp"
#include "tests/test_support.hpp"
#include "tests/wayland/fake_compositor.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

// What the client draws at (x, y); the X byte is 0, as XRGB clients may leave it.
uint32_t pattern(uint32_t x, uint32_t y, uint32_t seed) { return (seed << 16 | x << 8 | y) & 0xffffff; }

// What the compositor must get: the pattern where the picture is, with the X
// byte set; opaque black elsewhere.
bool shows(const test::FakeCommit& c, uint32_t picture_w, uint32_t picture_h, uint32_t seed)
{
    for (uint32_t y = 0; y < c.height; ++y) {
        for (uint32_t x = 0; x < c.width; ++x) {
            const uint32_t want = x < picture_w && y < picture_h ? pattern(x, y, seed) | 0xff000000u : 0xff000000u;
            if (c.pixels[size_t(y) * c.width + x] != want)
                return false;
        }
    }
    return true;
}

class WaylandOutputTest : public testing::Test {
protected:
    void SetUp() override
    {
        char dir[] = "/tmp/udefio-fake-wl-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        runtime_ = dir;
        ::setenv("XDG_RUNTIME_DIR", dir, 1);
        ::setenv("WAYLAND_DISPLAY", "udefio-fake", 1);
    }

    void TearDown() override
    {
        loop_.run_on_loop([this] { backend_.reset(); });  // outputs go on the loop thread
        loop_.stop();
        compositor_.reset();
        std::filesystem::remove_all(runtime_);
    }

    Result<void> start(test::FakeOptions fake, WaylandOutputOptions options = {false, 64, 48})
    {
        compositor_.emplace("udefio-fake", fake);
        Result<void> started;
        loop_.run_on_loop([&] {
            auto backend = WaylandBackend::create(loop_.loop(), options);
            if (!backend) {
                started = backend.error();
                return;
            }
            backend_ = std::move(backend).value();
            backend_->set_output_removed_callback([this](Output&) { removed_ = true; });
        });
        return started;
    }

    WaylandOutput& output() { return *backend_->output(); }

    void attach(std::shared_ptr<FrameRecorder> recorder = nullptr)
    {
        DeferredIoOptions options;
        options.tracker = TrackerKind::explicit_damage;  // deterministic: no kernel feature needed
        options.delay = 1ms;
        const Size frame = output().frame_size();  // the mode, turned when the output is
        auto state = DeferredIoState::create(BufferLayout::make(uint32_t(frame.width), uint32_t(frame.height)).value(),
                                             options);
        ASSERT_TRUE(state.ok()) << state.error().message();
        state_ = std::move(state).value();
        if (recorder)
            state_->set_recorder(std::move(recorder));
        loop_.run_on_loop([this] {
            ASSERT_TRUE(output().attach(state_).ok());
            output().set_presented_callback([this](const Presentation&) { ++presented_; });
        });
    }

    void paint(uint32_t seed)
    {
        const BufferLayout& layout = state_->layout();
        for (uint32_t y = 0; y < layout.height; ++y)
            for (uint32_t x = 0; x < layout.width; ++x)
                state_->buffer().row(y)[x] = pattern(x, y, seed);
        state_->add_damage(Rect{0, 0, int32_t(layout.width), int32_t(layout.height)});
    }

    // Paints (seed 2) while the output cannot commit: each flush is deferred
    // (its damage kept) and nothing reaches the compositor.
    void paint_while_blocked()
    {
        const size_t commits = compositor_->state().commits.size();
        const uint64_t committed = output().counters().commits;
        for (int i = 0; i < 3; ++i) {
            const uint64_t deferred = output().wayland_counters().deferred;
            paint(2);
            EXPECT_TRUE(test::wait_for([&] { return output().wayland_counters().deferred > deferred; })) << "paint " << i;
        }
        // A commit that a flush had posted to the loop would have run before this.
        loop_.run_on_loop([] {});
        EXPECT_EQ(output().counters().commits, committed);
        EXPECT_EQ(compositor_->state().commits.size(), commits);
    }

    // The state's picture as the compositor must get it.
    std::vector<uint32_t> picture()
    {
        const BufferLayout& layout = state_->layout();
        std::vector<uint32_t> pixels;
        for (uint32_t y = 0; y < layout.height; ++y)
            for (uint32_t x = 0; x < layout.width; ++x)
                pixels.push_back(state_->buffer().row(y)[x] | 0xff000000u);
        return pixels;
    }

    // Waits for a commit of a width x height buffer that shows the picture painted with `seed`.
    bool wait_shown(uint32_t width, uint32_t height, uint32_t seed)
    {
        const BufferLayout& picture = state_->layout();
        return compositor_->wait_for([&](const test::FakeState& s) {
            return !s.commits.empty() && s.commits.back().width == width && s.commits.back().height == height &&
                   shows(s.commits.back(), picture.width, picture.height, seed);
        });
    }

    std::string runtime_;
    std::optional<test::FakeCompositor> compositor_;
    test::LoopThread loop_;
    std::unique_ptr<WaylandBackend> backend_;
    std::shared_ptr<DeferredIoState> state_;
    std::atomic<bool> removed_{false};
    std::atomic<int> presented_{0};
};

TEST_F(WaylandOutputTest, WindowTakesOurSizeAndShowsWhatWasDrawn)
{
    ASSERT_TRUE(start({}).ok());
    EXPECT_EQ(output().mode().width, 64u);
    EXPECT_EQ(output().mode().height, 48u);
    EXPECT_FALSE(compositor_->state().fullscreen_requested);
    attach();
    paint(1);
    ASSERT_TRUE(wait_shown(64, 48, 1));
    paint(2);
    ASSERT_TRUE(wait_shown(64, 48, 2));
    const test::FakeCommit last = compositor_->state().commits.back();
    ASSERT_FALSE(last.damage.empty());
    EXPECT_TRUE(test::wait_for([&] { return presented_ > 0; }));  // frame callbacks stand in for wp_presentation
}

TEST_F(WaylandOutputTest, DamageAgeKeepsBothBuffersWhole)
{
    ASSERT_TRUE(start({}).ok());
    attach();
    paint(1);
    ASSERT_TRUE(wait_shown(64, 48, 1));
    // Small changes in turn: each buffer must also get what went to the other one.
    for (uint32_t k = 0; k < 6; ++k) {
        const Rect r{int32_t(k * 10), int32_t(k * 7), 8, 5};
        for (int32_t y = r.y; y < r.y + r.height; ++y)
            for (int32_t x = r.x; x < r.x + r.width; ++x)
                state_->buffer().row(uint32_t(y))[x] = 0x00abcdefu + k;
        state_->add_damage(r);
        const std::vector<uint32_t> want = picture();
        ASSERT_TRUE(compositor_->wait_for([&](const test::FakeState& s) { return s.commits.back().pixels == want; }))
            << "change " << k;
        // Only what changed is damaged (the compositor has the rest).
        const test::FakeCommit last = compositor_->state().commits.back();
        int64_t area = 0;
        for (const Rect& d : last.damage)
            area += d.area();
        EXPECT_LT(area, 64 * 48 / 2) << "change " << k;
    }
}

TEST_F(WaylandOutputTest, FullscreenTakesTheCompositorsSize)
{
    ASSERT_TRUE(start({.width = 80, .height = 60}, {true, 64, 48}).ok());
    EXPECT_TRUE(compositor_->state().fullscreen_requested);
    EXPECT_EQ(output().mode().width, 80u);
    EXPECT_EQ(output().mode().height, 60u);
}

TEST_F(WaylandOutputTest, ResizeShowsThePictureAtTopLeftInNewBuffers)
{
    ASSERT_TRUE(start({}).ok());
    attach();
    paint(1);
    ASSERT_TRUE(wait_shown(64, 48, 1));

    compositor_->configure(100, 80);  // larger: the picture on black
    ASSERT_TRUE(wait_shown(100, 80, 1));
    EXPECT_EQ(compositor_->state().commits.back().acked_serial, compositor_->state().last_serial);
    EXPECT_EQ(output().mode().width, 100u);
    EXPECT_EQ(output().mode().height, 80u);

    compositor_->configure(32, 24);  // smaller: the picture clipped
    ASSERT_TRUE(wait_shown(32, 24, 1));
    EXPECT_EQ(compositor_->state().commits.back().acked_serial, compositor_->state().last_serial);
    paint(2);  // later flushes go to the new buffers too
    ASSERT_TRUE(wait_shown(32, 24, 2));
    EXPECT_EQ(output().wayland_counters().resizes, 2u);
    EXPECT_EQ(compositor_->state().held_buffer_writes, 0);
}

// A caller that wants the picture to fill the window gives the output a
// buffer of the new size from the mode-changed callback (the demo does).
TEST_F(WaylandOutputTest, ResizeLetsTheCallerAttachABufferOfTheNewSize)
{
    ASSERT_TRUE(start({}).ok());
    attach();
    paint(1);
    ASSERT_TRUE(wait_shown(64, 48, 1));
    std::atomic<uint64_t> told{0};  // width << 32 | height, stored after state_ is replaced
    loop_.run_on_loop([&] {
        output().set_mode_changed_callback([&](const OutputMode& m) {
            DeferredIoOptions options;
            options.tracker = TrackerKind::explicit_damage;
            options.delay = 1ms;
            auto bigger = DeferredIoState::create(BufferLayout::make(m.width, m.height).value(), options);
            ASSERT_TRUE(bigger.ok());
            output().detach();
            state_ = std::move(bigger).value();
            ASSERT_TRUE(output().attach(state_).ok());
            told = uint64_t(m.width) << 32 | m.height;
        });
    });
    compositor_->configure(100, 80);
    ASSERT_TRUE(test::wait_for([&] { return told != 0; }));
    EXPECT_EQ(told, uint64_t(100) << 32 | 80);
    paint(2);  // the new buffer, all of it
    ASSERT_TRUE(wait_shown(100, 80, 2)) << "the window does not show the new, full-size picture";
    EXPECT_EQ(compositor_->state().commits.back().acked_serial, compositor_->state().last_serial);
    EXPECT_EQ(compositor_->state().held_buffer_writes, 0);
}

TEST_F(WaylandOutputTest, OneCommitInFlight)
{
    ASSERT_TRUE(start({.answer_frames = false}).ok());
    attach();
    paint(1);
    ASSERT_TRUE(wait_shown(64, 48, 1));
    // No frame callback: each flush waits for it, then defers; nothing is committed.
    paint_while_blocked();

    // It comes: the owed damage is committed.
    compositor_->answer_frames();
    ASSERT_TRUE(wait_shown(64, 48, 2));
}

TEST_F(WaylandOutputTest, HeldBuffersAreNeverWritten)
{
    ASSERT_TRUE(start({.release_on_commit = false}).ok());
    attach();
    paint(1);
    ASSERT_TRUE(wait_shown(64, 48, 1));
    // The compositor holds both buffers (the first black one and this): nowhere to draw.
    paint_while_blocked();

    // One is released: the owed damage goes into it.
    compositor_->release_held();
    ASSERT_TRUE(wait_shown(64, 48, 2));
    EXPECT_EQ(compositor_->state().held_buffer_writes, 0);
}

TEST_F(WaylandOutputTest, ConfiguresBeforeTheCommitAreAckedWithTheLast)
{
    ASSERT_TRUE(start({.answer_frames = false}).ok());
    attach();
    paint(1);
    ASSERT_TRUE(wait_shown(64, 48, 1));
    // No frame callback, so no commit yet for these: only the last one may be acked.
    const uint64_t configures = output().wayland_counters().configures;
    compositor_->configure(100, 80);
    compositor_->configure(100, 80);
    ASSERT_TRUE(test::wait_for([&] { return output().wayland_counters().configures == configures + 2; }));
    compositor_->answer_frames();
    ASSERT_TRUE(wait_shown(100, 80, 1));
    EXPECT_EQ(compositor_->state().commits.back().acked_serial, compositor_->state().last_serial);
}

// Profiling: the output commits from the loop, after its flush returned. A
// flush that begins before that commit (here the loop is held) finds the
// buffer queued and is deferred: its frame is in a later commit, not this one.
TEST_F(WaylandOutputTest, ACommitCoversOnlyTheFramesItCopied)
{
    ASSERT_TRUE(start({}).ok());
    auto recorder = std::make_shared<FrameRecorder>();
    attach(recorder);
    std::promise<void> held, release;
    loop_.loop().post([&] {
        held.set_value();
        release.get_future().wait();
    });
    held.get_future().wait();
    paint(1);
    const bool copied = test::wait_for([&] { return state_->stats().flushes == 1; });
    paint(2);
    const bool deferred = test::wait_for([&] { return state_->stats().flushes == 2; });
    release.set_value();
    ASSERT_TRUE(copied && deferred);
    EXPECT_EQ(output().wayland_counters().deferred, 1u);
    ASSERT_TRUE(test::wait_for([&] { return recorder->frames()[0].committed.count() != 0; }));
    EXPECT_EQ(recorder->frames()[1].committed.count(), 0) << "the deferred frame is not in the first commit";
    ASSERT_TRUE(wait_shown(64, 48, 2));  // its damage went into a later flush and commit
    ASSERT_TRUE(test::wait_for([&] { return recorder->frames()[1].committed.count() != 0; }));
    const auto frames = recorder->frames();
    EXPECT_GT(frames[1].committed, frames[0].committed);
    EXPECT_GE(frames[1].committed, frames[1].flush_end);
}

TEST_F(WaylandOutputTest, ProtocolErrorRemovesTheOutput)
{
    ASSERT_TRUE(start({}).ok());
    attach();
    compositor_->post_protocol_error();
    ASSERT_TRUE(test::wait_for([&] { return removed_.load(); }));
    loop_.run_on_loop([this] { EXPECT_TRUE(backend_->outputs().empty()); });
}

TEST_F(WaylandOutputTest, CompositorGoneRemovesTheOutput)
{
    ASSERT_TRUE(start({}).ok());
    attach();
    compositor_->disconnect_clients();
    ASSERT_TRUE(test::wait_for([&] { return removed_.load(); }));
    // The removed callback runs just before the output goes; after the loop's
    // turn, it is gone and has detached the state.
    loop_.run_on_loop([] {});
    EXPECT_FALSE(state_->attached());  // clients' mappings are revoked
}

TEST_F(WaylandOutputTest, ClosedWindowRemovesTheOutput)
{
    ASSERT_TRUE(start({}).ok());
    attach();
    compositor_->close_window();
    ASSERT_TRUE(test::wait_for([&] { return removed_.load(); }));
    // The removed callback runs just before the output goes; after the loop's
    // turn, it is gone and has detached the state.
    loop_.run_on_loop([] {});
    EXPECT_FALSE(state_->attached());
}

// --transform: the surface is the panel (the configure's size is the mode),
// the buffers hold the upright frame as drawn (the mode turned), untouched,
// and the surface's buffer transform is the inverse of the output's, so that
// the compositor turns the frame as a KMS panel does. A resize keeps it so.
class WaylandTransformTest : public WaylandOutputTest, public testing::WithParamInterface<Transform> {};

TEST_P(WaylandTransformTest, BuffersHoldTheUprightFrameAndTheCompositorTurnsIt)
{
    const Transform t = GetParam();
    const bool swapped = t == Transform::rotate_90 || t == Transform::rotate_270 || t == Transform::flipped_90 ||
                         t == Transform::flipped_270;
    // wl_output_transform of the inverse, written out: 90 and 270 swap, the others undo themselves.
    const int32_t inverse = t == Transform::rotate_90 ? 3 : t == Transform::rotate_270 ? 1 : int32_t(t);
    WaylandOutputOptions options{false, 64, 48};
    options.transforms.others = t;
    ASSERT_TRUE(start({}, options).ok());
    EXPECT_EQ(output().transform(), t);
    EXPECT_EQ(output().mode().width, 64u);  // the surface
    EXPECT_EQ(output().mode().height, 48u);
    const uint32_t bw = swapped ? 48 : 64, bh = swapped ? 64 : 48;
    EXPECT_EQ(output().frame_size(), (Size{int32_t(bw), int32_t(bh)}));
    attach();
    paint(1);
    ASSERT_TRUE(wait_shown(bw, bh, 1));
    EXPECT_EQ(compositor_->state().commits.back().buffer_transform, inverse);

    compositor_->configure(100, 80);  // no new frame attached: the old picture at the buffer's top left
    const uint32_t rw = swapped ? 80 : 100, rh = swapped ? 100 : 80;
    ASSERT_TRUE(wait_shown(rw, rh, 1));
    EXPECT_EQ(output().mode().width, 100u);
    EXPECT_EQ(output().mode().height, 80u);
    EXPECT_EQ(output().frame_size(), (Size{int32_t(rw), int32_t(rh)}));
    EXPECT_EQ(compositor_->state().commits.back().buffer_transform, inverse);
    EXPECT_EQ(compositor_->state().commits.back().acked_serial, compositor_->state().last_serial);
}

INSTANTIATE_TEST_SUITE_P(Transforms, WaylandTransformTest,
                         testing::Values(Transform::normal, Transform::rotate_90, Transform::rotate_180,
                                         Transform::rotate_270, Transform::flipped, Transform::flipped_90,
                                         Transform::flipped_270),
                         [](const testing::TestParamInfo<Transform>& param) {
                             std::string name(transform_name(param.param));
                             std::erase(name, '-');
                             return "t" + name;
                         });

TEST_F(WaylandOutputTest, TransformByTheWindowsName)
{
    WaylandOutputOptions options{false, 64, 48};
    options.transforms.named["window@udefio-fake"] = Transform::rotate_90;
    options.transforms.named["headless-0"] = Transform::rotate_180;
    ASSERT_TRUE(start({}, options).ok());
    EXPECT_EQ(output().name(), "window@udefio-fake");
    EXPECT_EQ(output().transform(), Transform::rotate_90);
    EXPECT_EQ(output().frame_size(), (Size{48, 64}));
}

// The PNG is what the compositor shows: the panel, panel pixel (x, y) being
// logical (h-1-y, x) for 90 and (y, x) for flipped-90 (wlr_box_transform,
// written out as in tests/integration/test_session_output.cpp).
TEST_F(WaylandOutputTest, SnapshotIsThePanel)
{
    for (const Transform t : {Transform::rotate_90, Transform::flipped_90}) {
        SCOPED_TRACE(std::string(transform_name(t)));
        WaylandOutputOptions options{false, 64, 48};
        options.transforms.others = t;
        ASSERT_TRUE(start({}, options).ok());
        attach();
        paint(3);
        ASSERT_TRUE(wait_shown(48, 64, 3));
        const std::string path = runtime_ + "/shown.png";
        loop_.run_on_loop([&] { ASSERT_TRUE(output().snapshot_png(path).ok()); });
        auto image = read_png(path);
        ASSERT_TRUE(image.ok()) << image.error().message();
        ASSERT_EQ(image->width, 64u);
        ASSERT_EQ(image->height, 48u);
        size_t wrong = 0;
        for (uint32_t y = 0; y < 48; ++y) {
            for (uint32_t x = 0; x < 64; ++x) {
                const uint32_t lx = t == Transform::rotate_90 ? 48 - 1 - y : y, ly = x;
                wrong += (image->pixels[y * 64 + x] & 0xffffff) != pattern(lx, ly, 3);
            }
        }
        EXPECT_EQ(wrong, 0u);
        loop_.run_on_loop([this] { backend_.reset(); });
        compositor_.reset();
    }
}

TEST_F(WaylandOutputTest, MissingXdgShellIsNamed)
{
    const Result<void> started = start({.xdg_shell = false});
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message().find("xdg_wm_base"), std::string::npos) << started.error().message();
}

}  // namespace
