/* A plain fbdev program for the side-by-side benchmark
 * (tools/bench/fbdev_side_by_side.cpp): it opens /dev/fb0, asks its geometry,
 * maps it and moves a 64x64 square 8 px to the right per frame with plain
 * stores, as a small fbdev UI draws. The same binary runs on the kernel's
 * fbdev emulation and under udefio's kiosk, unchanged.
 *   fb_square COMMANDS REPLIES
 * COMMANDS and REPLIES are FIFOs. After clearing the screen it writes "ready"
 * to REPLIES, then takes one byte per command from COMMANDS:
 *   s  one move; replies the CLOCK_MONOTONIC time (ns) after its last store
 *   r  RUN_FRAMES moves, one every 1/60 s; replies "done"
 *   q  (or the end of COMMANDS) exits
 * Every reply is one line. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { SIDE = 64, STEP = 8, TOP = 300, RUN_FRAMES = 240 };
static const long kPeriodNs = 16666667;

struct fb {
    volatile uint32_t* pixels;
    uint32_t stride; /* in pixels */
    uint32_t width, height;
    uint32_t x; /* the square's left edge */
};

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void fill(struct fb* fb, uint32_t x0, uint32_t x1, uint32_t color)
{
    for (uint32_t y = TOP; y < TOP + SIDE; ++y)
        for (uint32_t x = x0; x < x1; ++x)
            fb->pixels[y * fb->stride + x] = color;
}

/* Erases the square where it was and draws it STEP px further (back at the
 * left edge when it would leave the screen). */
static void move(struct fb* fb)
{
    fill(fb, fb->x, fb->x + SIDE, 0x00202020);
    fb->x = fb->x + STEP + SIDE <= fb->width ? fb->x + STEP : 0;
    fill(fb, fb->x, fb->x + SIDE, 0x00ffcc00);
}

static int reply(int fd, const char* line)
{
    return write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : -1;
}

int main(int argc, char** argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fb_square COMMANDS REPLIES (FIFOs)\n");
        return 2;
    }
    const int fd = open("/dev/fb0", O_RDWR);
    struct fb_fix_screeninfo fix;
    struct fb_var_screeninfo var;
    if (fd < 0 || ioctl(fd, FBIOGET_FSCREENINFO, &fix) != 0 || ioctl(fd, FBIOGET_VSCREENINFO, &var) != 0) {
        perror("fb_square: /dev/fb0");
        return 1;
    }
    if (var.bits_per_pixel != 32 || var.xres < SIDE + STEP || var.yres < TOP + SIDE) {
        fprintf(stderr, "fb_square: needs 32 bpp and at least %dx%d, got %ux%u at %u bpp\n", SIDE + STEP, TOP + SIDE,
                var.xres, var.yres, var.bits_per_pixel);
        return 1;
    }
    const size_t bytes = (size_t)fix.line_length * var.yres;
    void* map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        perror("fb_square: mmap");
        return 1;
    }
    struct fb fb = {map, fix.line_length / 4, var.xres, var.yres, 0};
    for (uint32_t y = 0; y < fb.height; ++y)
        for (uint32_t x = 0; x < fb.width; ++x)
            fb.pixels[y * fb.stride + x] = 0x00202020;
    fill(&fb, 0, SIDE, 0x00ffcc00);

    const int commands = open(argv[1], O_RDONLY);
    const int replies = open(argv[2], O_WRONLY);
    if (commands < 0 || replies < 0 || reply(replies, "ready\n") != 0) {
        perror("fb_square: the FIFOs");
        return 1;
    }
    char c;
    while (read(commands, &c, 1) == 1 && c != 'q') {
        char line[32];
        if (c == 's') {
            move(&fb);
            snprintf(line, sizeof line, "%lld\n", now_ns());
        } else if (c == 'r') {
            struct timespec next;
            clock_gettime(CLOCK_MONOTONIC, &next);
            for (int i = 0; i < RUN_FRAMES; ++i) {
                move(&fb);
                next.tv_nsec += kPeriodNs;
                if (next.tv_nsec >= 1000000000L) {
                    next.tv_nsec -= 1000000000L;
                    ++next.tv_sec;
                }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
            }
            snprintf(line, sizeof line, "done\n");
        } else {
            snprintf(line, sizeof line, "unknown\n");
        }
        if (reply(replies, line) != 0)
            return 1;
    }
    return 0;
}
