// The framebuffer's ioctls and its flush onto the screen, in-process: the
// "program" is this test, its memory our own, its stores reported by hand.
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <mutex>

#include "fbdev/framebuffer.hpp"
#include "tests/fbdev/own_memory.hpp"
#include "tests/fbdev/test_screen.hpp"
#include "util/mapping.hpp"

using namespace udefio;
using namespace udefio::fbdev;
using namespace std::chrono_literals;

namespace {

// Pages the test says were written. The test thread adds, the flush worker
// collects (a flush after a mode change runs on it): `mutex` protects `pages`.
struct WrittenPages {
    std::mutex mutex;
    std::vector<uint32_t> pages;
    void add(uint32_t page)
    {
        std::lock_guard lock(mutex);
        pages.push_back(page);
    }
};

class HandTracker final : public Tracker {
public:
    explicit HandTracker(std::shared_ptr<WrittenPages> written) : written_(std::move(written)) {}
    // As the program's real tracker (fbdev/remote_writes.hpp): its pages are compared.
    TrackerKind kind() const override { return TrackerKind::uffd_sync; }
    Result<NextLook> collect(std::vector<uint32_t>& out, const PageSet&) override
    {
        std::lock_guard lock(written_->mutex);
        out.insert(out.end(), written_->pages.begin(), written_->pages.end());
        written_->pages.clear();
        return NextLook::when_told;
    }

private:
    std::shared_ptr<WrittenPages> written_;
};

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

class FramebufferTest : public testing::Test {
protected:
    void SetUp() override
    {
        auto fb = Framebuffer::create(
            screen_, [this](std::span<std::byte>, int) -> Result<std::unique_ptr<Tracker>> {
                return std::unique_ptr<Tracker>(std::make_unique<HandTracker>(written_));
            },
            1ms);
        ASSERT_TRUE(fb) << fb.error().message();
        fb_ = std::move(fb).value();
        fb_->show();  // what the program's first open does
        auto mapping = Mapping::map_shared(fb_->memfd(), fb_->memory_bytes(), PROT_READ | PROT_WRITE);
        ASSERT_TRUE(mapping) << mapping.error().message();
        program_ = std::move(mapping).value();
    }

    IoctlOutcome ioctl(unsigned long cmd, const void* arg) { return fb_->ioctl(cmd, addr(arg), memory_); }
    fb_var_screeninfo var()
    {
        fb_var_screeninfo v{};
        EXPECT_EQ(ioctl(FBIOGET_VSCREENINFO, &v).error, 0);
        return v;
    }
    // A store of the program: the bytes, and the page they are in marked.
    template <class T>
    void store(size_t offset, T value)
    {
        std::memcpy(program_.data() + offset, &value, sizeof value);
        written_->add(static_cast<uint32_t>(offset / page_size()));
    }
    // FB_ACTIVATE_NOW with the same var: flushes now.
    void flush()
    {
        fb_var_screeninfo v = var();
        ASSERT_EQ(ioctl(FBIOPUT_VSCREENINFO, &v).error, 0);
    }

    test::TestScreen screen_{64, 32};
    std::shared_ptr<WrittenPages> written_ = std::make_shared<WrittenPages>();
    std::unique_ptr<Framebuffer> fb_;
    Mapping program_;
    test::OwnMemory memory_;
};

}  // namespace

TEST_F(FramebufferTest, StoresAt32BppReachTheCanvas)
{
    const fb_fix_screeninfo fix = [&] {
        fb_fix_screeninfo f{};
        EXPECT_EQ(ioctl(FBIOGET_FSCREENINFO, &f).error, 0);
        return f;
    }();
    // Creating the framebuffer drew the whole screen (black).
    ASSERT_EQ(screen_.take_damage(), (std::vector<Rect>{{0, 0, 64, 32}}));
    store<uint32_t>(5 * fix.line_length + 7 * 4, 0x00123456);
    flush();
    EXPECT_EQ(screen_.pixel(7, 5), 0x123456u);
    EXPECT_GE(screen_.flush_hints(), 1);
    // Only the pixel that changed was damaged (the written page compared), not its page's rows.
    EXPECT_EQ(screen_.take_damage(), (std::vector<Rect>{{7, 5, 1, 1}}));
}

TEST_F(FramebufferTest, SixteenAndTwentyFourBppAreConverted)
{
    fb_var_screeninfo v = var();
    v.bits_per_pixel = 16;
    v.red = v.green = v.blue = v.transp = fb_bitfield{};
    ASSERT_EQ(ioctl(FBIOPUT_VSCREENINFO, &v).error, 0);
    store<uint16_t>(3 * 64 * 2 + 2 * 2, 0xf800);  // pure red in RGB565
    store<uint16_t>(3 * 64 * 2 + 3 * 2, 0x07e0);  // pure green
    screen_.take_damage();  // the mode change redrew everything
    flush();
    EXPECT_EQ(screen_.pixel(2, 3), 0xff0000u);
    EXPECT_EQ(screen_.pixel(3, 3), 0x00ff00u);
    // Not laid out as the 32 bpp buffer: the rows of the written page
    // (64 * 2 bytes a row: 32 rows a page, the whole screen).
    EXPECT_EQ(screen_.take_damage(), (std::vector<Rect>{{0, 0, 64, 32}}));

    v.bits_per_pixel = 24;
    v.red = v.green = v.blue = v.transp = fb_bitfield{};
    ASSERT_EQ(ioctl(FBIOPUT_VSCREENINFO, &v).error, 0);
    const uint8_t bgr[3] = {0x33, 0x22, 0x11};  // blue, green, red
    std::memcpy(program_.data() + 4 * 192 + 1 * 3, bgr, 3);
    written_->add(0);
    flush();
    EXPECT_EQ(screen_.pixel(1, 4), 0x112233u);
}

TEST_F(FramebufferTest, PanShowsTheOtherHalfAtTheNextVblank)
{
    const size_t half = size_t{64} * 4 * 32;
    store<uint32_t>(half + 4, 0x00abcdef);  // pixel (1, 0) of the hidden half
    flush();
    EXPECT_EQ(screen_.pixel(1, 0), 0u) << "the hidden half is not shown";
    fb_var_screeninfo v = var();
    v.yoffset = 32;
    const IoctlOutcome panned = ioctl(FBIOPAN_DISPLAY, &v);
    EXPECT_EQ(panned.error, 0);
    EXPECT_EQ(panned.wait, Deferral::next_vblank);
    EXPECT_EQ(screen_.pixel(1, 0), 0xabcdefu);
    EXPECT_EQ(var().yoffset, 32u);
    v.yoffset = 33;
    EXPECT_EQ(ioctl(FBIOPAN_DISPLAY, &v).error, EINVAL);
}

// Panned to the back half, the exact damage is moved up by yoffset: a store
// there is damaged at its place on the canvas, one to the hidden front half
// not at all.
TEST_F(FramebufferTest, PannedStoresAreDamagedWhereTheyAreShown)
{
    fb_var_screeninfo v = var();
    v.yoffset = 32;
    ASSERT_EQ(ioctl(FBIOPAN_DISPLAY, &v).error, 0);
    screen_.take_damage();  // the pan redrew the shown half
    const size_t half = size_t{64} * 4 * 32;
    store<uint32_t>(half + 4 * 64 * 20 + 4 * 9, 0x00abcdef);  // row 20, column 9 of the shown half
    store<uint32_t>(4 * 64 * 2 + 4 * 3, 0x00fedcba);          // the hidden half
    flush();
    EXPECT_EQ(screen_.pixel(9, 20), 0xabcdefu);
    EXPECT_EQ(screen_.take_damage(), (std::vector<Rect>{{9, 20, 1, 1}}));
}

TEST_F(FramebufferTest, WaitForVsyncTakesItsArgumentEitherWay)
{
    // By value (some drivers), by pointer (most programs): never read.
    const IoctlOutcome by_value = fb_->ioctl(FBIO_WAITFORVSYNC, 0, memory_);
    EXPECT_EQ(by_value.error, 0);
    EXPECT_EQ(by_value.wait, Deferral::next_vblank);
    uint32_t crtc = 0;
    EXPECT_EQ(ioctl(FBIO_WAITFORVSYNC, &crtc).wait, Deferral::next_vblank);
}

TEST_F(FramebufferTest, BadPointersGetEfault)
{
    EXPECT_EQ(fb_->ioctl(FBIOGET_VSCREENINFO, 8, memory_).error, EFAULT);
    EXPECT_EQ(fb_->ioctl(FBIOPUT_VSCREENINFO, 8, memory_).error, EFAULT);
    EXPECT_EQ(fb_->ioctl(FBIOGET_FSCREENINFO, 8, memory_).error, EFAULT);
    EXPECT_EQ(fb_->ioctl(FBIOPAN_DISPLAY, 8, memory_).error, EFAULT);
    EXPECT_EQ(fb_->ioctl(FBIOGETCMAP, 8, memory_).error, EFAULT);
    uint16_t r[4]{}, g[4]{}, b[4]{};
    fb_cmap cmap{0, 4, r, g, nullptr, nullptr};
    EXPECT_EQ(ioctl(FBIOPUTCMAP, &cmap).error, EFAULT);
    cmap.blue = b;
    EXPECT_EQ(ioctl(FBIOPUTCMAP, &cmap).error, 0);
}

TEST_F(FramebufferTest, ColourMapIsTrueColour)
{
    uint16_t r[16]{}, g[16]{}, b[16]{};
    fb_cmap cmap{0, 16, r, g, b, nullptr};
    ASSERT_EQ(ioctl(FBIOGETCMAP, &cmap).error, 0);
    EXPECT_EQ(r[4], 0xaaaa);  // the console's red
    EXPECT_EQ(b[1], 0xaaaa);
    r[0] = 0x1234;
    ASSERT_EQ(ioctl(FBIOPUTCMAP, &cmap).error, 0);
    r[0] = 0;
    ASSERT_EQ(ioctl(FBIOGETCMAP, &cmap).error, 0);
    EXPECT_EQ(r[0], 0x1234);
    cmap.start = 8;  // 8 + 16 > the pseudo palette's 16 entries
    EXPECT_EQ(ioctl(FBIOPUTCMAP, &cmap).error, EINVAL);
    cmap.start = 256;
    EXPECT_EQ(ioctl(FBIOGETCMAP, &cmap).error, EINVAL);
}

TEST_F(FramebufferTest, BlankUnknownAndConsoleMap)
{
    EXPECT_EQ(fb_->ioctl(FBIOBLANK, FB_BLANK_POWERDOWN, memory_).error, 0);
    EXPECT_TRUE(screen_.blanked());
    EXPECT_EQ(fb_->ioctl(FBIOBLANK, FB_BLANK_UNBLANK, memory_).error, 0);
    EXPECT_FALSE(screen_.blanked());
    EXPECT_EQ(fb_->ioctl(FBIOBLANK, FB_BLANK_POWERDOWN + 1, memory_).error, EINVAL);
    EXPECT_EQ(fb_->ioctl(_IO('F', 0x7f), 0, memory_).error, ENOTTY);
    EXPECT_EQ(fb_->ioctl(FBIOGET_VBLANK, 0, memory_).error, ENOTTY);
    fb_con2fbmap map{3, 7};
    ASSERT_EQ(ioctl(FBIOGET_CON2FBMAP, &map).error, 0);
    EXPECT_EQ(map.framebuffer, 0u);
    map.console = 0;
    EXPECT_EQ(ioctl(FBIOGET_CON2FBMAP, &map).error, EINVAL);
    map = {1, 1};
    EXPECT_EQ(ioctl(FBIOPUT_CON2FBMAP, &map).error, EINVAL);
}

TEST_F(FramebufferTest, RevokedFramebufferIsGoneForTheProgram)
{
    fb_->revoke();
    fb_var_screeninfo v{};
    EXPECT_EQ(ioctl(FBIOGET_VSCREENINFO, &v).error, ENODEV);
    struct stat st {};
    ASSERT_EQ(::fstat(fb_->memfd(), &st), 0);
    EXPECT_EQ(st.st_size, 0) << "the memory is truncated: the program's next access raises SIGBUS";
}
