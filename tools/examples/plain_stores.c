/* A client that draws with plain stores only: it maps the buffer udefio
 * pre-leased to it (UDEFIO_BUFFER_FD, with its layout in UDEFIO_WIDTH,
 * UDEFIO_HEIGHT, UDEFIO_STRIDE) and moves a square across it, never telling
 * anyone what it drew. udefio finds the damage by itself.
 *
 *   udefio profile -- udefio-example-plain-stores [FRAMES]
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static long env_number(const char* name)
{
    const char* text = getenv(name);
    char* end = NULL;
    long value = text ? strtol(text, &end, 10) : -1;
    if (!text || *end || value < 0) {
        fprintf(stderr, "plain-stores: %s is %s: start me from udefio (udefio profile -- %s)\n", name,
                text ? "not a number" : "not set", "udefio-example-plain-stores");
        exit(2);
    }
    return value;
}

static void fill(uint8_t* base, long stride, long x, long y, long w, long h, uint32_t color)
{
    for (long row = y; row < y + h; ++row) {
        uint32_t* line = (uint32_t*)(base + row * stride);
        for (long col = x; col < x + w; ++col)
            line[col] = color;
    }
}

int main(int argc, char** argv)
{
    const long frames = argc > 1 ? atol(argv[1]) : 0; /* 0: until SIGTERM */
    const long fd = env_number("UDEFIO_BUFFER_FD");
    const long width = env_number("UDEFIO_WIDTH"), height = env_number("UDEFIO_HEIGHT");
    const long stride = env_number("UDEFIO_STRIDE");
    uint8_t* pixels = mmap(NULL, (size_t)(stride * height), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    if (pixels == MAP_FAILED) {
        fprintf(stderr, "plain-stores: mmap of fd %ld (%ld bytes): %s\n", fd, stride * height, strerror(errno));
        return 1;
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    const long side = height / 8 > 8 ? height / 8 : 8;
    fill(pixels, stride, 0, 0, width, height, 0x00202830u);
    long x = 0, y = height / 3, dx = side / 6 + 1;
    const struct timespec period = {0, 16 * 1000 * 1000};
    for (long n = 0; !stop && (frames == 0 || n < frames); ++n) {
        fill(pixels, stride, x, y, side, side, 0x00202830u);
        x += dx;
        if (x < 0 || x + side > width) {
            dx = -dx;
            x += 2 * dx;
        }
        fill(pixels, stride, x, y, side, side, 0x00f0a020u);
        nanosleep(&period, NULL);
    }
    munmap(pixels, (size_t)(stride * height));
    return 0;
}
