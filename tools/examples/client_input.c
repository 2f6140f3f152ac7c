/* A libudefio-client app that takes input: it covers its surface, asks for
 * the input focus if told to, prints each input event it gets as one line
 * on stdout, and marks where the pointer and touch points are with a small
 * square (damaged and committed, so only it is copied); "presented SERIAL"
 * says when one of its commits was presented.
 *
 *   udefio kiosk -- udefio-example-client-input [--request-focus] [EVENTS]
 *
 * As the main program it has the focus from its first surface on; as a
 * --client it asks for it (--request-focus), which --focus-requests may
 * refuse. It exits 0 after EVENTS input events (0: until killed), 1 if the
 * connection fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poll.h>

#include <udefio/udefio-client.h>

struct app {
    struct udefio_client *client;
    uint32_t surface;
    struct udefio_buffer buffer;
    long events;
};

static void mark(struct app *a, double x, double y)
{
    const uint32_t side = 8;
    uint32_t left = x < side / 2 ? 0 : (uint32_t)x - side / 2;
    uint32_t top = y < side / 2 ? 0 : (uint32_t)y - side / 2;
    if (left >= a->buffer.width || top >= a->buffer.rows)
        return;
    for (uint32_t row = top; row < top + side && row < a->buffer.rows; ++row) {
        uint32_t *line = (uint32_t *)((char *)a->buffer.data + (size_t)row * a->buffer.stride);
        for (uint32_t col = left; col < left + side && col < a->buffer.width; ++col)
            line[col] = 0xffffffff;
    }
    udefio_damage(a->client, a->surface, (int32_t)left, (int32_t)top, (int32_t)side, (int32_t)side);
    udefio_commit(a->client, a->surface);
}

static const char *key_state(int state)
{
    return state == UDEFIO_KEY_PRESSED ? "pressed" : state == UDEFIO_KEY_REPEATED ? "repeated" : "released";
}

static void on_input(void *data, const struct udefio_input_event *e)
{
    struct app *a = data;
    switch (e->type) {
    case UDEFIO_INPUT_FOCUS:
        printf("focus %d\n", e->focused);
        break;
    case UDEFIO_INPUT_KEY:
        printf("key %u %s keysym 0x%x text \"%s\" mods 0x%x\n", e->key, key_state(e->key_state), e->keysym,
               e->text, e->mods_depressed);
        break;
    case UDEFIO_INPUT_POINTER_MOTION:
        printf("pointer %s %.2f %.2f\n", e->absolute ? "absolute" : "relative", e->x, e->y);
        mark(a, e->x, e->y);
        break;
    case UDEFIO_INPUT_POINTER_BUTTON:
        printf("button %u %s at %.2f %.2f\n", e->button, e->pressed ? "pressed" : "released", e->x, e->y);
        break;
    case UDEFIO_INPUT_POINTER_AXIS:
        printf("axis %.2f %.2f v120 %d %d\n", e->vertical, e->horizontal, e->vertical_v120, e->horizontal_v120);
        break;
    case UDEFIO_INPUT_TOUCH_DOWN:
    case UDEFIO_INPUT_TOUCH_MOTION:
        printf("touch %s %d %.2f %.2f\n", e->type == UDEFIO_INPUT_TOUCH_DOWN ? "down" : "motion", e->touch_id, e->x,
               e->y);
        mark(a, e->x, e->y);
        break;
    case UDEFIO_INPUT_TOUCH_UP:
        printf("touch up %d\n", e->touch_id);
        break;
    case UDEFIO_INPUT_TOUCH_FRAME:
        printf("touch frame\n");
        break;
    case UDEFIO_INPUT_TOUCH_CANCEL:
        printf("touch cancel\n");
        break;
    }
    fflush(stdout);
    if (e->type != UDEFIO_INPUT_FOCUS)
        ++a->events;
}

static void on_presented(void *data, uint32_t surface, uint32_t serial, uint64_t sequence, uint64_t timestamp_ns)
{
    (void)data, (void)surface, (void)sequence, (void)timestamp_ns;
    printf("presented %u\n", serial);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int request_focus = 0;
    long limit = 0;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--request-focus") == 0)
            request_focus = 1;
        else
            limit = atol(argv[i]);
    }
    char error[256];
    struct app a = {0};
    a.client = udefio_connect(NULL, error, sizeof error);
    if (!a.client) {
        fprintf(stderr, "client-input: %s\n", error);
        return 1;
    }
    udefio_set_input_callback(a.client, on_input, &a);
    udefio_set_presented_callback(a.client, on_presented, NULL);
    uint32_t width, height;
    if (udefio_create_surface(a.client, &a.surface, &width, &height) != 0 ||
        udefio_lease(a.client, a.surface, 0, 0, &a.buffer) != 0 ||
        (request_focus && udefio_request_focus(a.client, a.surface) != 0)) {
        fprintf(stderr, "client-input: %s\n", udefio_last_error(a.client));
        return 1;
    }
    memset(a.buffer.data, 0x20, a.buffer.size);
    udefio_commit(a.client, a.surface);
    printf("ready %ux%u\n", width, height);
    fflush(stdout);
    while (limit == 0 || a.events < limit) {
        struct pollfd p = {udefio_event_fd(a.client), POLLIN, 0};
        if (poll(&p, 1, -1) < 0 || udefio_dispatch(a.client) < 0) {
            fprintf(stderr, "client-input: %s\n", udefio_last_error(a.client));
            return 1;
        }
    }
    udefio_disconnect(a.client);
    return 0;
}
