/* libudefio-client: draw into a udefio output from any process.
 *
 *   struct udefio_client *c = udefio_connect(NULL, err, sizeof err);
 *   uint32_t surface, width, height;
 *   udefio_create_surface(c, &surface, &width, &height);
 *   struct udefio_buffer buf;
 *   udefio_lease(c, surface, 0, 0, &buf);          // the whole surface
 *   ... plain stores into buf.data ...
 *   udefio_damage(c, surface, x, y, w, h);          // optional
 *   udefio_commit(c, surface);
 *   poll(udefio_event_fd(c)) + udefio_dispatch(c)   // frame / presented callbacks
 *
 * A lease can be revoked at any time (the output went away, udefio was
 * told to); touching it afterwards raises SIGBUS. Wrap access in
 * udefio_begin_access()/udefio_end_access() to get an error return instead
 * (as libwayland does for wl_shm): the revoked range reads as zeros meanwhile.
 *
 * Every function returns 0 (or a valid pointer) on success and -1 (or NULL)
 * on failure, with the reason in udefio_last_error(). Not thread-safe: use a
 * client from one thread. The protocol: PROTOCOL.md in share/doc/udefio
 * (docs/ in udefio's sources). Only the udefio_* functions below are the
 * library's interface; nothing else is exported. */
#ifndef UDEFIO_CLIENT_H
#define UDEFIO_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden symbols; these are its interface. */
#if defined(__GNUC__)
#define UDEFIO_EXPORT __attribute__((visibility("default")))
#else
#define UDEFIO_EXPORT
#endif

struct udefio_client;

struct udefio_buffer {
    void *data;          /* mapped MAP_SHARED, stride * rows bytes */
    size_t size;
    uint32_t width;      /* pixels */
    uint32_t rows;
    uint32_t stride;     /* bytes */
    uint32_t first_row;  /* where the lease lands on the surface */
    uint32_t lease;      /* its id */
};

/* `socket_path` NULL: $UDEFIO_SOCKET, else $XDG_RUNTIME_DIR/udefio-0. On
 * failure returns NULL and writes the reason into `error` (if given). */
UDEFIO_EXPORT struct udefio_client *udefio_connect(const char *socket_path, char *error, size_t error_size);
UDEFIO_EXPORT void udefio_disconnect(struct udefio_client *client);
UDEFIO_EXPORT const char *udefio_last_error(const struct udefio_client *client);

/* A surface covering an output; its size comes back. udefio_create_surface
 * takes the output named in $UDEFIO_OUTPUT, else udefio's default one (the
 * main program's); udefio_create_surface_on the one named (NULL: as
 * udefio_create_surface). */
UDEFIO_EXPORT int udefio_create_surface(struct udefio_client *client, uint32_t *surface, uint32_t *width,
                                        uint32_t *height);
UDEFIO_EXPORT int udefio_create_surface_on(struct udefio_client *client, const char *output, uint32_t *surface,
                                           uint32_t *width, uint32_t *height);
/* The outputs udefio has now ("HDMI-A-1", "headless-0", ...). */
UDEFIO_EXPORT int udefio_output_count(const struct udefio_client *client);
UDEFIO_EXPORT const char *udefio_output_name(const struct udefio_client *client, int index);
/* Waits (up to timeout_ms, -1 forever) until the surface was configured
 * since its last lease (at once if it was already): a configure comes after
 * its leases were revoked because its output changed its mode or went away
 * (the surface then moves to the default output). Lease again with the new
 * size. */
UDEFIO_EXPORT int udefio_wait_configure(struct udefio_client *client, uint32_t surface, uint32_t *width,
                                        uint32_t *height, int timeout_ms);
/* Rows [first_row, first_row + rows) of the surface, mapped into `buffer`;
 * rows 0 = to the bottom. Their bytes must be whole pages (4096). */
UDEFIO_EXPORT int udefio_lease(struct udefio_client *client, uint32_t surface, uint32_t first_row, uint32_t rows,
                               struct udefio_buffer *buffer);
/* Unmaps the lease and gives it back (if udefio did not revoke it already). */
UDEFIO_EXPORT int udefio_release(struct udefio_client *client, struct udefio_buffer *buffer);
/* Why udefio revoked the lease (reading the events that arrived), or 0 if it
 * did not. After UDEFIO_REVOKED_OUTPUT_CHANGED and UDEFIO_REVOKED_OUTPUT_GONE
 * a configure follows (udefio_wait_configure), when the surface has an
 * output again: lease again then. */
#define UDEFIO_REVOKED_COMPOSITOR 1
#define UDEFIO_REVOKED_OUTPUT_GONE 2
#define UDEFIO_REVOKED_EXPIRED 3
#define UDEFIO_REVOKED_OUTPUT_CHANGED 5
UDEFIO_EXPORT int udefio_revoke_reason(struct udefio_client *client, uint32_t lease);

/* Optional: what changed, in surface coordinates. Without it, udefio finds
 * the changed rows itself at commit. */
UDEFIO_EXPORT int udefio_damage(struct udefio_client *client, uint32_t surface, int32_t x, int32_t y,
                                int32_t width, int32_t height);
/* Shows what was drawn. Returns the commit's serial (>= 1), or -1. */
UDEFIO_EXPORT int64_t udefio_commit(struct udefio_client *client, uint32_t surface);

/* An fd to poll for events; then udefio_dispatch() reads them and runs the
 * callbacks. Returns the number of events handled, or -1 (the connection
 * ended: the reason is in udefio_last_error()). */
UDEFIO_EXPORT int udefio_event_fd(const struct udefio_client *client);
UDEFIO_EXPORT int udefio_dispatch(struct udefio_client *client);
/* Waits (up to timeout_ms, -1 forever) until `serial` of `surface` was
 * presented. Returns 0, or -1 on timeout or a dead connection. */
UDEFIO_EXPORT int udefio_wait_presented(struct udefio_client *client, uint32_t surface, int64_t serial,
                                        int timeout_ms);

typedef void (*udefio_frame_fn)(void *data, uint32_t surface, uint32_t serial);
typedef void (*udefio_presented_fn)(void *data, uint32_t surface, uint32_t serial, uint64_t sequence,
                                    uint64_t timestamp_ns);
typedef void (*udefio_revoked_fn)(void *data, uint32_t lease, uint32_t reason);
UDEFIO_EXPORT void udefio_set_frame_callback(struct udefio_client *client, udefio_frame_fn fn, void *data);
UDEFIO_EXPORT void udefio_set_presented_callback(struct udefio_client *client, udefio_presented_fn fn, void *data);
UDEFIO_EXPORT void udefio_set_revoked_callback(struct udefio_client *client, udefio_revoked_fn fn, void *data);

/* Input (udefio 3 and later). Keys, pointer and touch reach the surface
 * that has the input focus: the main program's first surface, or one whose
 * client asked with udefio_request_focus() if udefio's policy allows it
 * (--focus-requests). A UDEFIO_INPUT_FOCUS event says when a surface gets
 * (focused 1) or loses it (0, also the answer to a refused request); after
 * a 0, keys, buttons and touch points count as released. Positions are in
 * the surface's pixels (the output's, after its rotation). The callback runs
 * inside udefio_dispatch() and the other calls that read events; `event`
 * and its `text` are valid during the call only. */
enum udefio_input_type {
    UDEFIO_INPUT_FOCUS = 1,
    UDEFIO_INPUT_KEY,
    UDEFIO_INPUT_POINTER_MOTION,
    UDEFIO_INPUT_POINTER_BUTTON,
    UDEFIO_INPUT_POINTER_AXIS,
    UDEFIO_INPUT_TOUCH_DOWN,
    UDEFIO_INPUT_TOUCH_MOTION,
    UDEFIO_INPUT_TOUCH_UP,
    UDEFIO_INPUT_TOUCH_FRAME,
    UDEFIO_INPUT_TOUCH_CANCEL,
};
#define UDEFIO_KEY_RELEASED 0
#define UDEFIO_KEY_PRESSED 1
#define UDEFIO_KEY_REPEATED 2 /* udefio's key repeat while the key is held */
#define UDEFIO_AXIS_WHEEL 0
#define UDEFIO_AXIS_FINGER 1
#define UDEFIO_AXIS_CONTINUOUS 2
struct udefio_input_event {
    enum udefio_input_type type;
    uint32_t surface;
    uint64_t time_us;  /* the kernel's timestamp, CLOCK_MONOTONIC (0 for FOCUS and TOUCH_FRAME/CANCEL) */
    int focused;       /* FOCUS */
    /* KEY */
    int key_state;     /* UDEFIO_KEY_* */
    uint32_t key;      /* evdev code (KEY_A); xkb keycode = key + 8 */
    uint32_t keysym;   /* under udefio's keymap */
    uint32_t mods_depressed, mods_latched, mods_locked, group; /* for an xkb_state of the client's own */
    const char *text;  /* UTF-8 that a press types; "" for none and for releases */
    /* POINTER_*, TOUCH_DOWN, TOUCH_MOTION: where */
    double x, y;
    double dx, dy;     /* POINTER_MOTION of a relative device */
    int absolute;      /* POINTER_MOTION: set by an absolute device (a tablet) */
    uint32_t button;   /* POINTER_BUTTON: BTN_LEFT, ... */
    int pressed;       /* POINTER_BUTTON */
    int axis_source;   /* POINTER_AXIS: UDEFIO_AXIS_* */
    double vertical, horizontal;           /* POINTER_AXIS, about pixels */
    int32_t vertical_v120, horizontal_v120; /* POINTER_AXIS of a wheel: clicks in 120ths */
    int32_t touch_id;  /* TOUCH_DOWN, TOUCH_MOTION, TOUCH_UP */
};
typedef void (*udefio_input_fn)(void *data, const struct udefio_input_event *event);
UDEFIO_EXPORT void udefio_set_input_callback(struct udefio_client *client, udefio_input_fn fn, void *data);
/* Asks for the input focus for the surface; the answer comes as a FOCUS
 * event. -1 if this udefio is older (it sends no input). */
UDEFIO_EXPORT int udefio_request_focus(struct udefio_client *client, uint32_t surface);

/* SIGBUS guard around access to a buffer (one at a time per thread). end
 * returns 0, or -1 if the lease was revoked while it was accessed. */
UDEFIO_EXPORT void udefio_begin_access(struct udefio_buffer *buffer);
UDEFIO_EXPORT int udefio_end_access(struct udefio_buffer *buffer);

#ifdef __cplusplus
}
#endif

#endif
