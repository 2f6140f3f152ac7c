// A program of ours (static, raw system calls) under the fbdev layer: what it
// sees of /dev/fb0, its stores on the screen, and the bad input of the issue.
#include <dirent.h>
#include <gtest/gtest.h>
#include <linux/kd.h>

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
    EXPECT_TRUE(run.program().private_dev());
}

TEST_F(FbdevProgramTest, ItsStoresReachTheScreenFoundInItsOwnPageTables)
{
    ProgramRun run(loop_, screen_, {probe(), "fill", "0x00336699"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("filled=1")) << run.output();
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0, 0, 320, 240, 0x336699); }));
    EXPECT_EQ(run.program().stats().mappings_tracked, 1u);
    EXPECT_EQ(run.program().tracking().find("shadow"), std::string::npos) << run.program().tracking();
    loop_.run_on_loop([&] { run.program().keyboard_input(std::vector<uint8_t>{'q', '\n'}); });
    EXPECT_EQ(run.wait_exit(), 0);
}
