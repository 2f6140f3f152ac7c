#!/usr/bin/env python3
"""A kiosk program (udefio kiosk --no-fbdev) that draws one still picture in
which every pixel differs from every other, so that any turn or flip of it
shows: red is x, green is y (their low 8 bits), blue their high bits. It
draws it with one copy into UDEFIO_BUFFER_FD, says "drawn" on stderr and
waits for SIGTERM. test_weston.py imports picture() to predict the pixels."""
import mmap
import os
import signal
import sys


def pixel(x, y):
    """(r, g, b) of logical pixel (x, y); frames up to 1024 x 1024."""
    return x & 255, y & 255, (x >> 8) | (y >> 8) << 2


def picture(width, height, stride):
    """The frame's bytes: XRGB8888, little-endian (B, G, R, X)."""
    out = bytearray(stride * height)
    for y in range(height):
        row = bytearray()
        for x in range(width):
            r, g, b = pixel(x, y)
            row += bytes((b, g, r, 0))
        out[y * stride:y * stride + len(row)] = row
    return bytes(out)


def main():
    fd = int(os.environ["UDEFIO_BUFFER_FD"])
    width, height = int(os.environ["UDEFIO_WIDTH"]), int(os.environ["UDEFIO_HEIGHT"])
    stride = int(os.environ["UDEFIO_STRIDE"])
    data = picture(width, height, stride)
    with mmap.mmap(fd, stride * height) as frame:
        frame[:] = data
        print(f"still_picture: drawn {width}x{height}", file=sys.stderr, flush=True)
        signal.pause()  # SIGTERM's default action ends it


if __name__ == "__main__":
    main()
