/* A libudefio-client app that draws with plain stores only: it leases the
 * whole surface, moves a square across it and commits, never saying what
 * changed; udefio finds the changed rows itself. Frames are paced by
 * presentation. Run it under `udefio kiosk` (it finds UDEFIO_SOCKET):
 *
 *   udefio kiosk -- udefio-example-client-stores [FRAMES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        fprintf(stderr, "client-stores: %s\n", error);
        return 1;
    }
    uint32_t surface, width, height;
    struct udefio_buffer b;
    if (udefio_create_surface(c, &surface, &width, &height) != 0 || udefio_lease(c, surface, 0, 0, &b) != 0) {
        fprintf(stderr, "client-stores: %s\n", udefio_last_error(c));
        udefio_disconnect(c);
        return 1;
    }
    const uint32_t side = height / 4 ? height / 4 : 1;
    uint32_t x = 0;
    long n = 0;
    for (; frames == 0 || n < frames; ++n) {
        udefio_begin_access(&b);
        fill(&b, x, height / 3, side, 0x00202830u);
        x = (x + 4) % (width > side ? width - side : 1);
        fill(&b, x, height / 3, side, 0x0030c060u);
        if (udefio_end_access(&b) != 0) {
            fprintf(stderr, "client-stores: the lease was revoked; stopping\n");
            break;
        }
        const int64_t serial = udefio_commit(c, surface);
        if (serial < 0 || udefio_wait_presented(c, surface, serial, 2000) != 0) {
            fprintf(stderr, "client-stores: %s\n", udefio_last_error(c));
            break;
        }
    }
    printf("client-stores: %ld frames presented\n", n);
    udefio_disconnect(c);
    return frames && n == frames ? 0 : 1;
}
