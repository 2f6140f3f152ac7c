/* An fbdev program of ours, built static, that talks to /dev/fb0 with raw
 * system calls only (no libc wrappers that LD_PRELOAD could see), for the
 * fbdev tests. Usage: fb_probe COMMAND [ARGS]; it prints what it found as
 * "key=value" lines and exits 0, or prints "error=..." and exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <linux/kd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
static int fb_open(const char* path) { return (int)sys(SYS_openat, AT_FDCWD, (long)path, O_RDWR, 0, 0, 0); }
static long fb_ioctl(int fd, unsigned long cmd, void* arg) { return sys(SYS_ioctl, fd, (long)cmd, (long)arg, 0, 0, 0); }
static void* fb_map(int fd, size_t len, off_t off)
{
    return (void*)syscall(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
}

static int fail(const char* what, long err)
{
    printf("error=%s: %s\n", what, strerror((int)-err));
    return 1;
}

/* Waits for a "q" on stdin (the emulated console's keyboard), or its end. */
static void wait_key(void)
{
    char c;
    while (read(0, &c, 1) > 0 && c != 'q') {
    }
}

struct fb {
    int fd;
    struct fb_var_screeninfo var;
    struct fb_fix_screeninfo fix;
    uint8_t* mem;
};

static int open_fb(struct fb* fb, const char* path)
{
    fb->fd = fb_open(path);
    if (fb->fd < 0)
        return fail("open", fb->fd);
    long r = fb_ioctl(fb->fd, FBIOGET_VSCREENINFO, &fb->var);
    if (r < 0)
        return fail("FBIOGET_VSCREENINFO", r);
    r = fb_ioctl(fb->fd, FBIOGET_FSCREENINFO, &fb->fix);
    if (r < 0)
        return fail("FBIOGET_FSCREENINFO", r);
    fb->mem = fb_map(fb->fd, fb->fix.smem_len, 0);
    if (fb->mem == MAP_FAILED)
        return fail("mmap", -errno);
    return 0;
}

/* Fills rows [y0, y1) of the visible page `page` with `color` (32 bpp). */
static void fill_rows(struct fb* fb, int page, uint32_t y0, uint32_t y1, uint32_t color)
{
    for (uint32_t y = y0; y < y1; ++y) {
        uint32_t* row = (uint32_t*)(fb->mem + (size_t)(y + page * fb->var.yres) * fb->fix.line_length);
        for (uint32_t x = 0; x < fb->var.xres; ++x)
            row[x] = color;
    }
}

static int cmd_info(struct fb* fb, const char* path)
{
    struct stat st;
    long s = sys(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st, 0, 0, 0);
    printf("xres=%u\nyres=%u\nxres_virtual=%u\nyres_virtual=%u\nbpp=%u\nline_length=%u\nsmem_len=%u\n"
           "smem_start=%lu\naccel=%u\nmmio_len=%u\nid=%s\n",
           fb->var.xres, fb->var.yres, fb->var.xres_virtual, fb->var.yres_virtual, fb->var.bits_per_pixel,
           fb->fix.line_length, fb->fix.smem_len, fb->fix.smem_start, fb->fix.accel, fb->fix.mmio_len, fb->fix.id);
    if (s == 0)
        printf("stat_chr=%d\nstat_major=%u\n", S_ISCHR(st.st_mode) ? 1 : 0, major(st.st_rdev));
    else
        printf("stat_error=%ld\n", -s);
    printf("access=%ld\n", sys(SYS_faccessat, AT_FDCWD, (long)path, R_OK | W_OK, 0, 0, 0));
    printf("fb1=%ld\n", sys(SYS_openat, AT_FDCWD, (long)"/dev/fb1", O_RDWR, 0, 0, 0));
    return 0;
}

/* Fills the screen with one colour, tells, waits for a key; with `again`,
 * fills once more (after the output went, that raises SIGBUS). */
static int cmd_fill(struct fb* fb, uint32_t color, int again)
{
    fill_rows(fb, 0, 0, fb->var.yres, color);
    printf("filled=1\n");
    fflush(stdout);
    wait_key();
    if (again) {
        fill_rows(fb, 0, 0, fb->var.yres, ~color);
        printf("refilled=1\n");
    }
    return 0;
}

/* Fills the screen with one colour and exits. */
static int cmd_paint(struct fb* fb, uint32_t color)
{
    fill_rows(fb, 0, 0, fb->var.yres, color);
    printf("painted=1\n");
    return 0;
}

/* The kernel writes into the mapping: read() from a file of pixels into it
 * (a fault taken in kernel mode, which the userfaultfd must serve too). */
static int cmd_read_into(struct fb* fb, uint32_t color)
{
    char name[] = "/tmp/fb_probe_pixels_XXXXXX";
    int file = mkstemp(name);
    if (file < 0)
        return fail("mkstemp", -errno);
    unlink(name);
    size_t bytes = (size_t)fb->fix.line_length * fb->var.yres;
    uint32_t* pixels = malloc(bytes);
    for (size_t i = 0; i < bytes / 4; ++i)
        pixels[i] = color;
    if (write(file, pixels, bytes) != (ssize_t)bytes)
        return fail("write", -errno);
    long n = sys(SYS_pread64, file, (long)fb->mem, (long)bytes, 0, 0, 0);
    printf("read_into=%ld\n", n == (long)bytes ? 0 : n);
    return 0;
}

/* write() on /dev/fb0 itself, as "cat image > /dev/fb0" does. */
static int cmd_write(struct fb* fb, uint32_t color)
{
    size_t bytes = (size_t)fb->fix.line_length * fb->var.yres;
    uint32_t* pixels = malloc(bytes);
    for (size_t i = 0; i < bytes / 4; ++i)
        pixels[i] = color;
    long n = sys(SYS_pwrite64, fb->fd, (long)pixels, (long)bytes, 0, 0, 0);
    printf("written=%ld\n", n == (long)bytes ? 0 : n);
    return 0;
}

/* N frames, each filling the screen with a colour of its own, 1 ms apart;
 * the last one is `last`. */
static int cmd_animate(struct fb* fb, int frames, uint32_t last)
{
    for (int i = 0; i < frames; ++i) {
        fill_rows(fb, 0, 0, fb->var.yres, i + 1 == frames ? last : (uint32_t)i * 0x010101u);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    printf("frames=%d\n", frames);
    return 0;
}

/* An animation of whole frames (which udefio sends as whole-frame copies),
 * then, at a key, one pixel: the tracking that follows such a rate must
 * still find a single store. */
static int cmd_animate_dot(struct fb* fb, int frames, uint32_t last)
{
    cmd_animate(fb, frames, last);
    fflush(stdout);
    wait_key();
    ((volatile uint32_t*)(fb->mem + 5 * fb->fix.line_length))[7] = ~last & 0xffffffu;
    printf("dot=1\n");
    fflush(stdout);
    wait_key();
    return 0;
}

/* N FBIOGET_VSCREENINFO calls: the cost of one notification round trip. */
static int cmd_ioctl_loop(struct fb* fb, int times)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < times; ++i) {
        if (fb_ioctl(fb->fd, FBIOGET_VSCREENINFO, &fb->var) < 0)
            return fail("FBIOGET_VSCREENINFO", -EIO);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    const double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / times;
    printf("ns_per_ioctl=%.0f\n", ns);
    return 0;
}

static sigjmp_buf g_bus;
static void on_bus(int sig)
{
    (void)sig;
    siglongjmp(g_bus, 1);
}

/* The bad input of the fbdev issue, each with the errno the kernel gives. */
static int cmd_bad(struct fb* fb)
{
    struct fb_var_screeninfo var = fb->var;
    var.xres = fb->var.xres * 2;
    printf("put_too_wide=%ld\n", fb_ioctl(fb->fd, FBIOPUT_VSCREENINFO, &var));
    var = fb->var;
    var.bits_per_pixel = 64;
    printf("put_64bpp=%ld\n", fb_ioctl(fb->fd, FBIOPUT_VSCREENINFO, &var));
    printf("get_bad_pointer=%ld\n", fb_ioctl(fb->fd, FBIOGET_VSCREENINFO, (void*)16));
    printf("fix_bad_pointer=%ld\n", fb_ioctl(fb->fd, FBIOGET_FSCREENINFO, (void*)16));
    printf("unknown_ioctl=%ld\n", fb_ioctl(fb->fd, _IO('F', 0x7e), NULL));
    printf("ftruncate=%ld\n", sys(SYS_ftruncate, fb->fd, 0, 0, 0, 0, 0));
    /* A mapping past smem_len is made; touching past smem_len raises SIGBUS. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t mapped = ((size_t)fb->fix.smem_len + page - 1) / page * page;
    uint8_t* big = fb_map(fb->fd, mapped + 4 * page, 0);
    printf("mmap_past_end=%d\n", big == MAP_FAILED ? -errno : 0);
    if (big != MAP_FAILED) {
        signal(SIGBUS, on_bus);
        volatile int bus = 0;
        if (sigsetjmp(g_bus, 1) == 0)
            big[mapped + 8] = 1;
        else
            bus = 1;
        printf("past_end_sigbus=%d\n", bus);
        big[0] = 0; /* inside: fine */
    }
    uint8_t* off = fb_map(fb->fd, page, (off_t)mapped + page);
    printf("mmap_offset_past_end=%d\n", off == MAP_FAILED ? -errno : 0);
    return 0;
}

/* Opens and closes /dev/fb0 N times, mapping it each time. */
/* Sets its console up as fbi does (raw mode, then KD_GRAPHICS, which says it
 * is ready) and reads it until it has as many bytes as `expected` (hex) has;
 * exits 0 if they are those, printing what it read. */
static int cmd_keys(const char* expected)
{
    struct termios t;
    if (tcgetattr(0, &t) != 0)
        return fail("tcgetattr", -errno);
    cfmakeraw(&t);
    if (tcsetattr(0, TCSANOW, &t) != 0)
        return fail("tcsetattr", -errno);
    if (ioctl(0, KDSETMODE, KD_GRAPHICS) != 0)
        return fail("KDSETMODE", -errno);
    const size_t want = strlen(expected) / 2;
    char got[128], hex[257] = "";
    size_t n = 0;
    while (n < want && n < sizeof got) {
        ssize_t r = read(0, got + n, want - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    for (size_t i = 0; i < n; ++i)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)got[i]);
    printf("keys=%s\n", hex);
    return strcmp(hex, expected) == 0 ? 0 : 1;
}

static int cmd_reopen(const char* path, int times)
{
    for (int i = 0; i < times; ++i) {
        int fd = fb_open(path);
        if (fd < 0)
            return fail("open", fd);
        struct fb_fix_screeninfo fix;
        if (fb_ioctl(fd, FBIOGET_FSCREENINFO, &fix) < 0)
            return fail("FBIOGET_FSCREENINFO", -EIO);
        void* m = fb_map(fd, fix.smem_len, 0);
        if (m == MAP_FAILED)
            return fail("mmap", -errno);
        ((volatile uint8_t*)m)[i % fix.smem_len] = 1;
        munmap(m, fix.smem_len);
        sys(SYS_close, fd, 0, 0, 0, 0, 0);
    }
    printf("reopened=%d\n", times);
    return 0;
}

/* Forks: the parent fills the top half, the child the bottom half. */
static int cmd_fork(struct fb* fb, uint32_t top, uint32_t bottom)
{
    pid_t child = fork();
    if (child == 0) {
        fill_rows(fb, 0, fb->var.yres / 2, fb->var.yres, bottom);
        _exit(0);
    }
    fill_rows(fb, 0, 0, fb->var.yres / 2, top);
    int status;
    waitpid(child, &status, 0);
    printf("forked=%d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fflush(stdout);
    wait_key();
    return 0;
}

/* Draws half a frame and crashes. */
static int cmd_crash(struct fb* fb, uint32_t color)
{
    fill_rows(fb, 0, 0, fb->var.yres / 2, color);
    printf("crashing=1\n");
    fflush(stdout);
    raise(SIGSEGV);
    return 0;
}

/* Waits for the vblank N times, by pointer and by value. */
static int cmd_vsync(struct fb* fb, int times)
{
    for (int i = 0; i < times; ++i) {
        uint32_t crtc = 0;
        long r = (i % 2) ? fb_ioctl(fb->fd, FBIO_WAITFORVSYNC, &crtc) : fb_ioctl(fb->fd, FBIO_WAITFORVSYNC, 0);
        if (r < 0)
            return fail("FBIO_WAITFORVSYNC", r);
    }
    printf("vsyncs=%d\n", times);
    return 0;
}

/* Fills with `color`, lets two vblanks pass, blanks the screen
 * (FB_BLANK_POWERDOWN) and then goes on drawing, a row a vblank, until killed. */
static int cmd_blank(struct fb* fb, uint32_t color)
{
    fill_rows(fb, 0, 0, fb->var.yres, color);
    for (int i = 0; i < 2; ++i)
        fb_ioctl(fb->fd, FBIO_WAITFORVSYNC, 0);
    long r = fb_ioctl(fb->fd, FBIOBLANK, (void*)(long)FB_BLANK_POWERDOWN);
    if (r < 0)
        return fail("FBIOBLANK", r);
    printf("blanked=1\n");
    fflush(stdout);
    for (uint32_t n = 1;; ++n) {
        const uint32_t row = n % fb->var.yres;
        fill_rows(fb, 0, row, row + 1, color ^ (n << 8));  /* a new colour: a change to send */
        fb_ioctl(fb->fd, FBIO_WAITFORVSYNC, 0);
    }
}

/* Draws page 1 while page 0 is shown, then pans to it. */
static int cmd_flip(struct fb* fb, uint32_t front, uint32_t back)
{
    fill_rows(fb, 0, 0, fb->var.yres, front);
    fill_rows(fb, 1, 0, fb->var.yres, back);
    printf("drawn=1\n");
    fflush(stdout);
    char c;
    if (read(0, &c, 1) <= 0)
        return 0;
    struct fb_var_screeninfo var = fb->var;
    var.yoffset = fb->var.yres;
    long r = fb_ioctl(fb->fd, FBIOPAN_DISPLAY, &var);
    printf("panned=%ld\n", r);
    fflush(stdout);
    wait_key();
    return 0;
}

int main(int argc, char** argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char* path = getenv("FB_PROBE_DEVICE") ? getenv("FB_PROBE_DEVICE") : "/dev/fb0";
    if (argc < 2)
        return fail("usage", -EINVAL);
    const char* cmd = argv[1];
    uint32_t a = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 0;
    uint32_t b = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 0;
    if (!strcmp(cmd, "reopen"))
        return cmd_reopen(path, (int)a);
    if (!strcmp(cmd, "keys"))
        return cmd_keys(argc > 2 ? argv[2] : "");
    struct fb fb;
    if (open_fb(&fb, path))
        return 1;
    if (!strcmp(cmd, "info"))
        return cmd_info(&fb, path);
    if (!strcmp(cmd, "fill"))
        return cmd_fill(&fb, a, 0);
    if (!strcmp(cmd, "refill"))
        return cmd_fill(&fb, a, 1);
    if (!strcmp(cmd, "paint"))
        return cmd_paint(&fb, a);
    if (!strcmp(cmd, "animate"))
        return cmd_animate(&fb, (int)a, b);
    if (!strcmp(cmd, "animate-dot"))
        return cmd_animate_dot(&fb, (int)a, b);
    if (!strcmp(cmd, "ioctl-loop"))
        return cmd_ioctl_loop(&fb, (int)a);
    if (!strcmp(cmd, "read-into"))
        return cmd_read_into(&fb, a);
    if (!strcmp(cmd, "write"))
        return cmd_write(&fb, a);
    if (!strcmp(cmd, "bad"))
        return cmd_bad(&fb);
    if (!strcmp(cmd, "fork"))
        return cmd_fork(&fb, a, b);
    if (!strcmp(cmd, "crash"))
        return cmd_crash(&fb, a);
    if (!strcmp(cmd, "vsync"))
        return cmd_vsync(&fb, (int)a);
    if (!strcmp(cmd, "blank"))
        return cmd_blank(&fb, a);
    if (!strcmp(cmd, "flip"))
        return cmd_flip(&fb, a, b);
    return fail("unknown command", -EINVAL);
}
