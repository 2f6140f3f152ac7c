// A program of ours (static, raw system calls) under the fbdev layer: what it
// sees of /dev/fb0, its stores on the screen, and the bad input of the issue.
#include <dirent.h>
#include <gtest/gtest.h>
#include <linux/kd.h>
#include <seccomp.h>

#include "tests/fbdev/program_run.hpp"

using namespace udefio;
using namespace udefio::test;
using namespace std::chrono_literals;

namespace {

const char* probe() { return FB_PROBE_PATH; }

[[maybe_unused]] size_t open_fds()
{
    size_t n = 0;
    DIR* dir = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(dir))
        n += e->d_name[0] != '.';
    ::closedir(dir);
    return n;
}

bool all_pixels(const TestScreen& screen, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, uint32_t color)
{
    for (uint32_t y = y0; y < y1; ++y) {
        for (uint32_t x = x0; x < x1; ++x) {
            if (screen.pixel(x, y) != color)
                return false;
        }
    }
    return true;
}

class FbdevProgramTest : public testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "the fbdev layer's private /dev and ptrace tracking need root";
    }
    LoopThread loop_;
    TestScreen screen_{320, 240};
};

}  // namespace

TEST_F(FbdevProgramTest, SeesAFramebufferOfItsScreen)
{
    ProgramRun run(loop_, screen_, {probe(), "info"});
    ASSERT_TRUE(run.ok()) << run.error();
    EXPECT_EQ(run.value("xres"), "320");
    EXPECT_EQ(run.value("yres"), "240");
    EXPECT_EQ(run.value("yres_virtual"), "480");
    EXPECT_EQ(run.value("bpp"), "32");
    EXPECT_EQ(run.value("line_length"), "1280");
    EXPECT_EQ(run.value("smem_len"), std::to_string(1280 * 480));
    EXPECT_EQ(run.value("accel"), "0");
    EXPECT_EQ(run.value("mmio_len"), "0");
    EXPECT_EQ(run.value("stat_chr"), "1");
    EXPECT_EQ(run.value("stat_major"), "29");
    EXPECT_EQ(run.value("access"), "0");
    EXPECT_EQ(run.value("fb1"), std::to_string(-ENOENT));
    EXPECT_EQ(run.wait_exit(), 0);
    EXPECT_TRUE(run.on_loop([](auto& p) { return p.private_dev(); }));
}

TEST_F(FbdevProgramTest, ItsStoresReachTheScreenFoundInItsOwnPageTables)
{
    ProgramRun run(loop_, screen_, {probe(), "fill", "0x00336699"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("filled=1")) << run.output();
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0x336699); }));
    EXPECT_EQ(run.on_loop([](auto& p) { return p.stats(); }).mappings_tracked, 1u);
    EXPECT_EQ(run.program().tracking().find("shadow"), std::string::npos) << run.program().tracking();
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(FbdevProgramTest, LaterStoresAreFoundByTheirFaults)
{
    ProgramRun run(loop_, screen_, {probe(), "refill", "0x00445566"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("filled=1"));
    ASSERT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0x445566); }));
    // Long after the mapping was made (every page was flushed once then),
    // the second fill is seen only through the write-protect faults.
    const uint64_t before = run.on_loop([](auto& p) { return p.stats().write_faults; });
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    ASSERT_TRUE(run.wait_output("refilled=1"));
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0xbbaa99); }));
    // A fault opens the 16 pages around it, whose stores are then found by
    // comparing them: about one fault per 16 pages, not one per page (at
    // most twice that: a block may be cooled between two of the fill's
    // stores on a busy machine).
    constexpr uint64_t kPages = 320 * 240 * 4 / 4096 + 1;
    const uint64_t faults = run.on_loop([](auto& p) { return p.stats().write_faults; }) - before;
    RecordProperty("refill_write_faults", std::to_string(faults));
    EXPECT_LE(faults, 2 * (kPages / 16 + 1)) << faults;
    EXPECT_EQ(run.program().tracking().find("shadow"), std::string::npos) << run.program().tracking();
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(FbdevProgramTest, AnAnimationShowsItsLastFrameWithoutAFaultPerPagePerFrame)
{
    constexpr int kFrames = 200;
    constexpr uint64_t kPages = 320 * 240 * 4 / 4096 + 1;
    ProgramRun run(loop_, screen_, {probe(), "animate", std::to_string(kFrames), "0x00c0ffee"});
    ASSERT_TRUE(run.ok()) << run.error();
    EXPECT_EQ(run.value("frames"), std::to_string(kFrames));
    EXPECT_EQ(run.wait_exit(), 0);
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0xc0ffee); }));
    // Pages stay writable while they keep changing: far fewer faults than
    // one per page per frame (a busy machine may cool them now and then:
    // a collect that finds nothing protects everything).
    const uint64_t faults = run.on_loop([](auto& p) { return p.stats().write_faults; });
    RecordProperty("write_faults", std::to_string(faults));
    EXPECT_LT(faults, kFrames * kPages / 2) << faults;
}

TEST_F(FbdevProgramTest, AStoreAfterAnAnimationIsFound)
{
    // 200 whole frames: the state sends whole-frame copies with the whole
    // framebuffer open in the program, and probes a sample to leave that
    // mode. The one pixel stored after it must still be found.
    ProgramRun run(loop_, screen_, {probe(), "animate-dot", "200", "0x00c0ffee"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("frames=200"));
    ASSERT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0xc0ffee); }));
    const uint64_t full = run.on_loop([](auto& p) { return p.framebuffer().state().stats().full_copies; });
    EXPECT_GT(full, 0u);
    RecordProperty("full_copies", std::to_string(full));
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    ASSERT_TRUE(run.wait_output("dot=1"));
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) {
        return s.pixel(7, 5) == 0x3f0011 && s.pixel(6, 5) == 0xc0ffee && all_pixels(s, 0, 6, 320, 240, 0xc0ffee);
    }));
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(FbdevProgramTest, BadInputGetsTheKernelsErrors)
{
    ProgramRun run(loop_, screen_, {probe(), "bad"});
    ASSERT_TRUE(run.ok()) << run.error();
    EXPECT_EQ(run.value("put_too_wide"), std::to_string(-EINVAL));
    EXPECT_EQ(run.value("put_64bpp"), std::to_string(-EINVAL));
    EXPECT_EQ(run.value("get_bad_pointer"), std::to_string(-EFAULT));
    EXPECT_EQ(run.value("fix_bad_pointer"), std::to_string(-EFAULT));
    EXPECT_EQ(run.value("unknown_ioctl"), std::to_string(-ENOTTY));
    EXPECT_EQ(run.value("ftruncate"), std::to_string(-EINVAL));
    // As the DRM emulation (fb_deferred_io_mmap has no size check): the
    // mapping is made, and a touch past smem_len raises SIGBUS.
    EXPECT_EQ(run.value("mmap_past_end"), "0");
    EXPECT_EQ(run.value("past_end_sigbus"), "1");
    EXPECT_EQ(run.value("mmap_offset_past_end"), "0");
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(FbdevProgramTest, ReopeningAThousandTimesLeaksNoFdInUdefio)
{
    const size_t before = open_fds();
    {
        ProgramRun run(loop_, screen_, {probe(), "reopen", "1000"});
        ASSERT_TRUE(run.ok()) << run.error();
        EXPECT_EQ(run.value("reopened"), "1000") << run.output();
        EXPECT_EQ(run.wait_exit(), 0);
        EXPECT_EQ(run.on_loop([](auto& p) { return p.stats(); }).framebuffer_opens, 1000u);
        EXPECT_EQ(run.on_loop([](auto& p) { return p.stats(); }).mappings_tracked, 1000u);
        EXPECT_LE(run.program().framebuffer().state().stats().flushes, 1000u);
    }
    EXPECT_EQ(open_fds(), before);
}

TEST_F(FbdevProgramTest, BothHalvesOfAForkDraw)
{
    ProgramRun run(loop_, screen_, {probe(), "fork", "0x00ff0000", "0x000000ff"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("forked=1")) << run.output();
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) {
        return all_pixels(s, 0, 0, 320, 120, 0xff0000) && all_pixels(s, 0, 120, 320, 240, 0x0000ff);
    })) << "top " << std::hex << screen_.pixel(0, 0) << " bottom " << screen_.pixel(0, 239);
    EXPECT_EQ(run.program().tracking().find("shadow"), std::string::npos) << run.program().tracking();
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(FbdevProgramTest, AProgramThatCrashesMidFrameLeavesWhatItDrew)
{
    const size_t before = open_fds();
    {
        ProgramRun run(loop_, screen_, {probe(), "crash", "0x0000ff00"});
        ASSERT_TRUE(run.ok()) << run.error();
        const int status = run.wait_exit();
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) << status;
        EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 120, 0x00ff00); }));
    }
    EXPECT_EQ(open_fds(), before);
}

TEST_F(FbdevProgramTest, WaitForVsyncReturnsAtTheScreensVblank)
{
    ProgramRun run(loop_, screen_, {probe(), "vsync", "3"});
    ASSERT_TRUE(run.ok()) << run.error();
    for (int i = 0; i < 3; ++i) {
        // The program waits in its ioctl until the screen's vblank.
        ASSERT_TRUE(screen_.wait_until([](const TestScreen& s) { return s.vblank_waiters() == 1; }));
        loop_.run_on_loop([&] { EXPECT_EQ(screen_.vblank(), 1u); });
    }
    EXPECT_EQ(run.value("vsyncs"), "3");
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(FbdevProgramTest, PanningShowsTheBackPageAtTheVblank)
{
    ProgramRun run(loop_, screen_, {probe(), "flip", "0x00111111", "0x00222222"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("drawn=1"));
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0x111111); }));
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'p', '\n'}); });
    // The pan is answered at the vblank; the back page is on the canvas by then.
    ASSERT_TRUE(screen_.wait_until([](const TestScreen& s) { return s.vblank_waiters() == 1; }));
    EXPECT_TRUE(all_pixels(screen_, 0, 0, 320, 240, 0x222222));
    EXPECT_EQ(run.output_so_far().find("panned="), std::string::npos) << "the pan returned before the vblank";
    loop_.run_on_loop([&] { screen_.vblank(); });
    ASSERT_TRUE(run.wait_output("panned=0"));
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(FbdevProgramTest, AfterTheOutputGoesItsNextAccessRaisesSigbus)
{
    ProgramRun run(loop_, screen_, {probe(), "refill", "0x00445566"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("filled=1"));
    loop_.run_on_loop([&] { run.program().output_gone(); });
    // Its next store (it fills again on a key) raises SIGBUS; udefio goes on.
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    const int status = run.wait_exit();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) << status;
    EXPECT_EQ(run.output().find("refilled"), std::string::npos);
}

TEST_F(FbdevProgramTest, TheKernelsOwnWritesIntoTheMappingAreSeen)
{
    // read() into the mapping: write faults taken in kernel mode.
    ProgramRun run(loop_, screen_, {probe(), "read-into", "0x00778899"});
    ASSERT_TRUE(run.ok()) << run.error();
    EXPECT_EQ(run.value("read_into"), "0");
    EXPECT_EQ(run.wait_exit(), 0);
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0x778899); }));
}

TEST_F(FbdevProgramTest, WriteToDevFb0IsShown)
{
    ProgramRun run(loop_, screen_, {probe(), "write", "0x00abcabc"});
    ASSERT_TRUE(run.ok()) << run.error();
    EXPECT_EQ(run.value("written"), "0");
    EXPECT_EQ(run.wait_exit(), 0);
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0xabcabc); }));
}

TEST_F(FbdevProgramTest, TwoProgramsEachSeeAFramebufferOfTheirOwnSize)
{
    // The main program full screen and a second one in a band of rows.
    TestScreen band(320, 60);
    ProgramRun main_run(loop_, screen_, {probe(), "fill", "0x00101010"});
    ProgramRun band_run(loop_, band, {probe(), "fill", "0x00202020"});
    ASSERT_TRUE(main_run.ok() && band_run.ok()) << main_run.error() << band_run.error();
    ASSERT_TRUE(main_run.wait_output("filled=1"));
    ASSERT_TRUE(band_run.wait_output("filled=1"));
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0x101010); }));
    EXPECT_TRUE(band.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 60, 0x202020); }));
    ProgramRun info(loop_, band, {probe(), "info"});
    EXPECT_EQ(info.value("yres"), "60");
    for (ProgramRun* run : {&main_run, &band_run})
        loop_.run_on_loop([&] { run->program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    EXPECT_EQ(main_run.wait_exit(), 0);
    EXPECT_EQ(band_run.wait_exit(), 0);
}

// As on a kernel before 5.0, or in a container whose filter refuses seccomp()
// to us: the program is not started, and the error says why and what still runs.
TEST_F(FbdevProgramTest, WithoutSeccompUserNotificationTheErrorSaysWhy)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            scmp_filter_ctx refuse = seccomp_init(SCMP_ACT_ALLOW);
            // Every thread: the program is made on the loop thread.
            if (!refuse || seccomp_attr_set(refuse, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
                seccomp_rule_add(refuse, SCMP_ACT_ERRNO(EOPNOTSUPP), SCMP_SYS(seccomp), 0) != 0 ||
                seccomp_load(refuse) != 0)
                ::_exit(3);
            ProgramRun run(loop_, screen_, {probe(), "info"});
            std::fprintf(stderr, "started=%d error=%s\n", run.pid() > 0, run.error().c_str());
            ::_exit(run.ok() ? 1 : 0);
        },
        testing::ExitedWithCode(0),
        "started=0 error=fbdev: this kernel offers no seccomp user notification.*libudefio-client.*"
        "Operation not supported");
}
