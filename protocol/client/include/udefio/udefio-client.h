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

/* SIGBUS guard around access to a buffer (one at a time per thread). end
 * returns 0, or -1 if the lease was revoked while it was accessed. */
UDEFIO_EXPORT void udefio_begin_access(struct udefio_buffer *buffer);
UDEFIO_EXPORT int udefio_end_access(struct udefio_buffer *buffer);

#ifdef __cplusplus
}
#endif

#endif
