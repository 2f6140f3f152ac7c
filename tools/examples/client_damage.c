/* A libudefio-client app that says what it drew: it leases the lower half of
 * the surface (a band of its rows, the way a status bar and a main area
 * share one output), moves a square in it and reports the old and the new
 * square as damage with each commit, so udefio copies only those.
 *
 *   udefio kiosk -- udefio-example-client-damage [FRAMES]
 */
#include <stdio.h>
#include <stdlib.h>

#include <udefio/udefio-client.h>

static void fill(struct udefio_buffer *b, uint32_t x, uint32_t y, uint32_t side, uint32_t color)
{
    for (uint32_t row = y; row < y + side && row < b->rows; ++row) {
        uint32_t *line = (uint32_t *)((char *)b->data + (size_t)row * b->stride);
        for (uint32_t col = x; col < x + side && col < b->width; ++col)
            line[col] = color;
    }
}

int main(int argc, char **argv)
{
    const long frames = argc > 1 ? atol(argv[1]) : 0; /* 0: until killed */
    char error[256];
    struct udefio_client *c = udefio_connect(NULL, error, sizeof error);
    if (!c) {
        fprintf(stderr, "client-damage: %s\n", error);
        return 1;
    }
    uint32_t surface, width, height;
    struct udefio_buffer b;
    /* The lower half, rounded to whole pages of rows. */
    if (udefio_create_surface(c, &surface, &width, &height) != 0) {
        fprintf(stderr, "client-damage: %s\n", udefio_last_error(c));
        udefio_disconnect(c);
        return 1;
    }
    uint32_t first = height / 2;
    while (first > 0 && ((uint64_t)first * width * 4) % 4096)
        --first;
    if (udefio_lease(c, surface, first, 0, &b) != 0) {
        fprintf(stderr, "client-damage: %s\n", udefio_last_error(c));
        udefio_disconnect(c);
        return 1;
    }
    const uint32_t side = b.rows / 2 ? b.rows / 2 : 1;
    uint32_t x = 0;
    long n = 0;
    for (; frames == 0 || n < frames; ++n) {
        const uint32_t old = x;
        udefio_begin_access(&b);
        fill(&b, old, 0, side, 0x00000000u);
        x = (x + 4) % (width > side ? width - side : 1);
        fill(&b, x, 0, side, 0x00e0a020u);
        if (udefio_end_access(&b) != 0) {
            fprintf(stderr, "client-damage: the lease was revoked; stopping\n");
            break;
        }
        udefio_damage(c, surface, (int32_t)old, (int32_t)b.first_row, (int32_t)side, (int32_t)side);
        udefio_damage(c, surface, (int32_t)x, (int32_t)b.first_row, (int32_t)side, (int32_t)side);
        const int64_t serial = udefio_commit(c, surface);
        if (serial < 0 || udefio_wait_presented(c, surface, serial, 2000) != 0) {
            fprintf(stderr, "client-damage: %s\n", udefio_last_error(c));
            break;
        }
    }
    printf("client-damage: %ld frames presented\n", n);
    udefio_disconnect(c);
    return frames && n == frames ? 0 : 1;
}
