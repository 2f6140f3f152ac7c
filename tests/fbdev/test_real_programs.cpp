// Real Debian fbdev programs under the fbdev layer, on the headless screen
// stand-in, with their pixels checked: fbi, fbset, fbcat, an SDL 1.2 fbcon
// program (double-buffered, so panning), a Qt 5 linuxfb program. Each skips
// where its package is missing (tools/bootstrap.sh test installs them).
#include <gtest/gtest.h>
#include <linux/kd.h>
#include <unistd.h>

#include <fstream>

#include "backends/png_file.hpp"
#include "tests/fbdev/program_run.hpp"
#include "tests/test_support.hpp"

using namespace udefio;
using namespace udefio::test;
using namespace std::chrono_literals;

namespace {

// 640x480: SDL 1.2 picks its modes from VESA timings, which have no 320x240 at 16 bpp.
constexpr uint32_t kWidth = 640, kHeight = 480;

bool installed(const char* path) { return path[0] != '\0' && ::access(path, X_OK) == 0; }

std::string temp_path(const std::string& name)
{
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/udefio-fbdev-" + std::to_string(::getpid()) + "-" + name;
}

// Four colours and a gradient: any misplaced row or column shows.
Image test_image()
{
    Image image{kWidth, kHeight, std::vector<uint32_t>(size_t{kWidth} * kHeight)};
    for (uint32_t y = 0; y < kHeight; ++y) {
        for (uint32_t x = 0; x < kWidth; ++x) {
            uint32_t c;
            if (y < kHeight / 2)
                c = x < kWidth / 2 ? 0xff2010 : 0x10e040;
            else if (x < kWidth / 2)
                c = 0x2030ff;
            else
                c = (x * 255 / kWidth) << 16 | (y * 255 / kHeight) << 8 | 0x80;
            image.pixels[size_t{y} * kWidth + x] = c;
        }
    }
    return image;
}

size_t differing_pixels(const TestScreen& screen, const Image& image)
{
    size_t n = 0;
    for (uint32_t y = 0; y < kHeight; ++y) {
        for (uint32_t x = 0; x < kWidth; ++x)
            n += screen.pixel(x, y) != (image.pixels[size_t{y} * kWidth + x] & 0xffffff);
    }
    return n;
}

bool all_pixels(const TestScreen& screen, uint32_t color)
{
    for (uint32_t y = 0; y < kHeight; ++y) {
        for (uint32_t x = 0; x < kWidth; ++x) {
            if (screen.pixel(x, y) != color)
                return false;
        }
    }
    return true;
}

void type(LoopThread& loop, ProgramRun& run, const std::string& text)
{
    loop.run_on_loop([&] {
        run.program().keyboard_input(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    });
}

class RealPrograms : public testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "the fbdev layer's private /dev and ptrace tracking need root";
        loop_.run_on_loop([&] { ticker_ = std::make_unique<VblankTicker>(loop_.loop(), screen_); });
    }
    void TearDown() override
    {
        loop_.run_on_loop([&] { ticker_.reset(); });
    }
    LoopThread loop_;
    TestScreen screen_{kWidth, kHeight};
    std::unique_ptr<VblankTicker> ticker_;
};

}  // namespace

TEST_F(RealPrograms, FbiShowsAPng)
{
    if (!installed("/usr/bin/fbi"))
        GTEST_SKIP() << "fbi is not installed (Debian package fbi)";
    const Image image = test_image();
    const std::string png = temp_path("fbi.png");
    ASSERT_TRUE(write_png(png, image));
    ProgramRun run(loop_, screen_, {"fbi", "--noverbose", png});
    ASSERT_TRUE(run.ok()) << run.error();
    EXPECT_TRUE(screen_.wait_until([&](const TestScreen& s) { return differing_pixels(s, image) == 0; }))
        << differing_pixels(screen_, image) << " pixels differ; fbi said: " << run.output_so_far();
    // fbi took the console as a console program does.
    EXPECT_EQ(run.on_loop([](auto& p) { return p.console().display_mode(); }), KD_GRAPHICS);
    EXPECT_EQ(run.program().tracking().find("shadow"), std::string::npos) << run.program().tracking();
    type(loop_, run, "q");
    EXPECT_EQ(run.wait_exit(), 0) << run.output_so_far();
    EXPECT_EQ(run.on_loop([](auto& p) { return p.console().display_mode(); }), KD_TEXT);
    ::unlink(png.c_str());
}

TEST_F(RealPrograms, FbiReleasesTheConsoleWithTheSeatAndRedrawsOnAcquire)
{
    if (!installed("/usr/bin/fbi"))
        GTEST_SKIP() << "fbi is not installed (Debian package fbi)";
    const Image image = test_image();
    const std::string png = temp_path("fbi-vt.png");
    ASSERT_TRUE(write_png(png, image));
    ProgramRun run(loop_, screen_, {"fbi", "--noverbose", png});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(screen_.wait_until([&](const TestScreen& s) { return differing_pixels(s, image) == 0; }));
    // fbi set VT_PROCESS (SIGUSR1 release, SIGUSR2 acquire).
    loop_.run_on_loop([&] { run.program().seat_disabled(); });
    ASSERT_TRUE(wait_for([&] {
        bool pending = true;
        loop_.run_on_loop([&] { pending = run.program().console().release_pending(); });
        return !pending;
    })) << "fbi did not answer VT_RELDISP";
    screen_.clear();
    loop_.run_on_loop([&] { run.program().seat_enabled(); });
    EXPECT_TRUE(screen_.wait_until([&](const TestScreen& s) { return differing_pixels(s, image) == 0; }))
        << "fbi did not redraw after the acquire";
    type(loop_, run, "q");
    EXPECT_EQ(run.wait_exit(), 0);
    ::unlink(png.c_str());
}

TEST_F(RealPrograms, FbsetReportsTheGeometry)
{
    if (!installed("/usr/bin/fbset"))
        GTEST_SKIP() << "fbset is not installed (Debian package fbset)";
    ProgramRun run(loop_, screen_, {"fbset", "-i"});
    ASSERT_TRUE(run.ok()) << run.error();
    const std::string& out = run.output();
    EXPECT_NE(out.find("geometry 640 480 640 960 32"), std::string::npos) << out;
    EXPECT_NE(out.find("rgba 8/16,8/8,8/0,0/0"), std::string::npos) << out;
    EXPECT_NE(out.find("LineLength  : 2560"), std::string::npos) << out;
    EXPECT_NE(out.find("Visual      : TRUECOLOR"), std::string::npos) << out;
    EXPECT_NE(out.find("YPanStep    : 1"), std::string::npos) << out;
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(RealPrograms, FbcatReadsBackWhatIsShown)
{
    if (!installed("/usr/bin/fbcat"))
        GTEST_SKIP() << "fbcat is not installed (Debian package fbcat)";
    const std::string ppm = temp_path("fbcat.ppm");
    ProgramRun run(loop_, screen_,
                   {"sh", "-c", std::string(FB_PROBE_PATH) + " paint 0x00a1b2c3 && fbcat > " + ppm});
    ASSERT_TRUE(run.ok()) << run.error();
    EXPECT_EQ(run.wait_exit(), 0) << run.output();
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0xa1b2c3); }));
    std::ifstream in(ppm, std::ios::binary);
    std::string magic;
    int w = 0, h = 0, max = 0;
    in >> magic >> w >> h >> max;
    in.get();
    ASSERT_EQ(magic, "P6");
    ASSERT_EQ(w, int(kWidth));
    ASSERT_EQ(h, int(kHeight));
    std::vector<unsigned char> rgb(size_t{kWidth} * kHeight * 3);
    in.read(reinterpret_cast<char*>(rgb.data()), static_cast<std::streamsize>(rgb.size()));
    ASSERT_TRUE(in);
    size_t wrong = 0;
    for (size_t i = 0; i < rgb.size(); i += 3)
        wrong += rgb[i] != 0xa1 || rgb[i + 1] != 0xb2 || rgb[i + 2] != 0xc3;
    EXPECT_EQ(wrong, 0u);
    ::unlink(ppm.c_str());
}

TEST_F(RealPrograms, Sdl12FbconDoubleBufferedFlipsAndReadsTheKeyboard)
{
    if (!installed(SDL_FLIP_PATH))
        GTEST_SKIP() << "the SDL 1.2 test program was not built (Debian package libsdl1.2-dev)";
    ProgramRun run(loop_, screen_, {SDL_FLIP_PATH, "5"}, {"SDL_VIDEODRIVER=fbcon", "SDL_NOMOUSE=1"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("flipped=5", 60000ms)) << run.output_so_far();
    EXPECT_EQ(run.value_so_far("driver"), "fbcon");
    EXPECT_EQ(run.value_so_far("bpp"), "16");
    EXPECT_EQ(run.value_so_far("doublebuf"), "1");
    // The last frame, pure green, converted from RGB565.
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) { return all_pixels(s, 0x00ff00); }))
        << std::hex << screen_.pixel(0, 0);
    EXPECT_EQ(run.on_loop([](auto& p) { return p.console().keyboard_mode(); }), K_MEDIUMRAW);
    type(loop_, run, "aq");
    ASSERT_TRUE(run.wait_output("quit=1")) << run.output_so_far();
    EXPECT_NE(run.output_so_far().find("key_down=a\n"), std::string::npos) << run.output_so_far();
    EXPECT_EQ(run.wait_exit(), 0);
}

TEST_F(RealPrograms, Qt5LinuxfbShowsAWidgetAtItsPlace)
{
    if (!installed(QT_WIDGET_PATH))
        GTEST_SKIP() << "the Qt 5 test program was not built (Debian package qtbase5-dev)";
    ProgramRun run(loop_, screen_, {QT_WIDGET_PATH},
                   {"QT_QPA_PLATFORM=linuxfb", "QT_QPA_FB_HIDECURSOR=1"});
    ASSERT_TRUE(run.ok()) << run.error();
    ASSERT_TRUE(run.wait_output("shown=1", 60000ms)) << run.output_so_far();
    EXPECT_TRUE(screen_.wait_until([](const TestScreen& s) {
        return s.pixel(40, 30) == 0xcc3333 && s.pixel(139, 79) == 0xcc3333 && s.pixel(140, 80) == 0x3366cc &&
               s.pixel(300, 200) == 0x3366cc && s.pixel(39, 29) == 0x3366cc;
    })) << std::hex << screen_.pixel(40, 30) << " " << screen_.pixel(300, 200);
    run.kill(SIGTERM);
    run.wait_exit();
}
