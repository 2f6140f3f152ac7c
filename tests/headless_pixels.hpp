// What a headless output shows, read on its loop's thread, for the session tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "backends/headless/headless_backend.hpp"
#include "tests/loop_thread.hpp"

namespace udefio::test {

// How many pixels of the named output's picture have this colour (XRGB, the
// X byte ignored); 0 if the output is gone.
inline size_t headless_pixels(EventLoop& loop, HeadlessBackend& backend, const std::string& output, uint32_t colour)
{
    size_t n = 0;
    run_on(loop, [&] {
        if (HeadlessOutput* o = backend.output(output)) {
            const Image frame = o->frame();
            n = size_t(std::count_if(frame.pixels.begin(), frame.pixels.end(),
                                     [colour](uint32_t p) { return (p & 0xffffff) == colour; }));
        }
    });
    return n;
}

}  // namespace udefio::test
