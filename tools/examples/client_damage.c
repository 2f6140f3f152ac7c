/* A libudefio-client app that says what it drew: it leases the lower half of
 * the surface (a band of its rows, the way a status bar and a main area
 * share one output), moves a square in it and reports the old and the new
 * square as damage with each commit, so udefio copies only those. When its
 * output changes its mode or goes away, it leases again once the surface is
 * configured (on the same output, or the default one) and goes on drawing.
 *
 *   udefio kiosk -- udefio-example-client-damage [FRAMES]
 *   UDEFIO_OUTPUT=headless-1 udefio-example-client-damage    (on that output)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <udefio/udefio-client.h>

static void fill(struct udefio_buffer *b, uint32_t x, uint32_t y, uint32_t side, uint32_t color)
{
    for (uint32_t row = y; row < y + side && row < b->rows; ++row) {
        uint32_t *line = (uint32_t *)((char *)b->data + (size_t)row * b->stride);
        for (uint32_t col = x; col < x + side && col < b->width; ++col)
            line[col] = color;
    }
}

/* The lower half of a surface of this size, rounded to whole pages of rows. */
static int lease_lower_half(struct udefio_client *c, uint32_t surface, uint32_t width, uint32_t height,
                            struct udefio_buffer *b)
{
    const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint32_t first = height / 2;
    while (first > 0 && ((uint64_t)first * width * 4) % page)
        --first;
    return udefio_lease(c, surface, first, 0, b);
}

/* After a failed access or presentation: if the lease went because the
 * output changed or went away, lease again at the next configure. */
static int lease_again(struct udefio_client *c, uint32_t surface, uint32_t *width, uint32_t *height,
                       struct udefio_buffer *b)
{
    const int why = udefio_revoke_reason(c, b->lease);
    if (why != UDEFIO_REVOKED_OUTPUT_CHANGED && why != UDEFIO_REVOKED_OUTPUT_GONE)
        return -1;
    udefio_release(c, b);
    fprintf(stderr, "client-damage: the output %s; waiting for the surface's next configure\n",
            why == UDEFIO_REVOKED_OUTPUT_GONE ? "went away" : "changed its mode");
    if (udefio_wait_configure(c, surface, width, height, -1) != 0)
        return -1;
    return lease_lower_half(c, surface, *width, *height, b);
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
    if (udefio_create_surface(c, &surface, &width, &height) != 0 ||
        lease_lower_half(c, surface, width, height, &b) != 0) {
        fprintf(stderr, "client-damage: %s\n", udefio_last_error(c));
        udefio_disconnect(c);
        return 1;
    }
    uint32_t x = 0;
    long n = 0;
    int leased_again = 0;
    while (frames == 0 || n < frames) {
        const uint32_t side = b.rows / 2 ? b.rows / 2 : 1;
        const uint32_t old = x;
        udefio_begin_access(&b);
        fill(&b, old, 0, side, 0x00000000u);
        x = (x + 4) % (width > side ? width - side : 1);
        fill(&b, x, 0, side, 0x00e0a020u);
        int64_t serial = -1;
        if (udefio_end_access(&b) == 0) {
            udefio_damage(c, surface, (int32_t)old, (int32_t)b.first_row, (int32_t)side, (int32_t)side);
            udefio_damage(c, surface, (int32_t)x, (int32_t)b.first_row, (int32_t)side, (int32_t)side);
            serial = udefio_commit(c, surface);
        }
        if (serial >= 0 && udefio_wait_presented(c, surface, serial, 2000) == 0) {
            /* The second frame presented on the new surface: the first one's
             * Presented may name a flip that was already on its way when its
             * copy was done (the server reports the output's next
             * presentation), so only after the second is it surely shown. */
            if (leased_again && --leased_again == 0)
                fprintf(stderr, "client-damage: drawing again, on a %ux%u surface\n", width, height);
            ++n;
            continue;
        }
        if (lease_again(c, surface, &width, &height, &b) != 0) {
            fprintf(stderr, "client-damage: %s; stopping\n", udefio_last_error(c));
            break;
        }
        leased_again = 2;
        x = 0;
    }
    printf("client-damage: %ld frames presented\n", n);
    udefio_disconnect(c);
    return frames && n == frames ? 0 : 1;
}
