#!/bin/sh
# The same unmodified fbdev programs on the kernel's /dev/fb0 and under
# udefio's kiosk, in one boot of the KMS lane's vkms guest
# (tools/bench/fbdev_side_by_side.cpp; results in docs/PERFORMANCE.md).
#   tools/bench/fbdev_side_by_side.sh [BUILD_DIR]     (default: build)
# fbi's two slides are the size of the guest's mode: fbi_check writes them there.
build=${1:-build}
root=$(dirname "$0")/../..
exec python3 "$root/tests/vm/guest.py" run vkms \
    --with "$build/tools/udefio/udefio" --with "$build/tools/bench/fb_square" --with "$build/tests/vm/fbi_check" \
    --with "$build/tools/bench/udefio-fbdev-bench" \
    --with /usr/bin/fbi --data /etc/fonts --data /usr/share/fontconfig \
    --data /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf \
    /bin/sh -c 'fbi_check image /tmp/slide1.png && fbi_check image2 /tmp/slide2.png &&
                udefio-fbdev-bench /tmp/slide1.png /tmp/slide2.png'
