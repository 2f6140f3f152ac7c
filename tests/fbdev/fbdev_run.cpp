// fbdev-run: runs a program under the fbdev layer on a headless screen, for
// trying programs by hand and for the tests of real programs:
//   fbdev-run [--size WxH] [--seconds N] [--png FILE] [--keys TEXT] [--no-vblank] -- PROGRAM ARGS...
// The screen has a 60 Hz vblank (none with --no-vblank: to measure what the
// layer itself costs); after N seconds (default 3), or when the program
// ends, the screen is written to FILE and the program is ended.
// --keys types TEXT on the console's keyboard one second in.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "backends/png_file.hpp"
#include "util/log.hpp"
#include "tests/fbdev/program_run.hpp"

using namespace udefio;
using namespace std::chrono_literals;

int main(int argc, char** argv)
{
    uint32_t width = 640, height = 480;
    int seconds = 3;
    std::string png, keys;
    bool vblank = true;
    int i = 1;
    for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
        const std::string arg = argv[i];
        if (arg == "--size" && i + 1 < argc)
            std::sscanf(argv[++i], "%ux%u", &width, &height);
        else if (arg == "--seconds" && i + 1 < argc)
            seconds = std::atoi(argv[++i]);
        else if (arg == "--png" && i + 1 < argc)
            png = argv[++i];
        else if (arg == "--keys" && i + 1 < argc)
            keys = argv[++i];
        else if (arg == "--no-vblank")
            vblank = false;
        else {
            std::fprintf(stderr, "usage: fbdev-run [--size WxH] [--seconds N] [--png FILE] [--keys TEXT] [--no-vblank] "
                                 "-- PROGRAM ARGS...\n");
            return 2;
        }
    }
    if (i + 1 >= argc) {
        std::fprintf(stderr, "fbdev-run: no program\n");
        return 2;
    }
    set_log_level(LogLevel::debug);
    test::LoopThread loop;
    test::TestScreen screen(width, height);
    std::unique_ptr<test::VblankTicker> ticker;
    if (vblank)
        loop.run_on_loop([&] { ticker = std::make_unique<test::VblankTicker>(loop.loop(), screen); });
    {
        test::ProgramRun run(loop, screen, std::vector<std::string>(argv + i + 1, argv + argc));
        if (!run.ok()) {
            std::fprintf(stderr, "fbdev-run: %s\n", run.error().c_str());
            return 1;
        }
        if (!keys.empty()) {
            run.wait_output("\x01", 1000ms);
            loop.run_on_loop([&] { run.program().keyboard_input(std::span(reinterpret_cast<const uint8_t*>(keys.data()), keys.size())); });
        }
        run.wait_output("\x01", std::chrono::milliseconds(seconds * 1000));
        std::fprintf(stderr, "fbdev-run: tracking: %s; %llu flushes\n", run.program().tracking().c_str(),
                     static_cast<unsigned long long>(run.program().framebuffer().state().stats().flushes));
        std::fputs(run.output_so_far().c_str(), stdout);
        if (!png.empty()) {
            Image image{width, height, screen.pixels()};
            if (auto written = write_png(png, image); !written)
                std::fprintf(stderr, "fbdev-run: %s\n", written.error().message().c_str());
        }
    }
    loop.run_on_loop([&] { ticker.reset(); });
    return 0;
}
