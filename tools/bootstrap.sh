#!/usr/bin/env bash
# The two README commands. Run as root on Debian bookworm.
#   tools/bootstrap.sh run    install what is missing, build, run the kiosk with the demo client on the default output
#   tools/bootstrap.sh test   install what is missing, build (plain, ASan+UBSan, TSan), run every test lane
set -euo pipefail

cd "$(dirname "$0")/.."
readonly SRC=$PWD

# Build and run-time dependencies (Debian package names).
readonly PACKAGES=(
    g++ meson ninja-build pkg-config
    libdrm-dev libgbm-dev libwayland-dev wayland-protocols libevent-dev libpixman-1-dev libpng-dev
    libudev-dev libseat-dev libinput-dev libxkbcommon-dev xkb-data libcli11-dev nlohmann-json3-dev libseccomp-dev libsystemd-dev
    libgtest-dev libgmock-dev libbenchmark-dev libevdev-dev
    python3
)
# Test lanes only: the KMS lane's QEMU guest (tests/vm), weston for the Wayland lane (tests/wayland).
# Mesa's kms_swrast (libgl1-mesa-dri) gives libgbm a driver in the guest.
# clang and its runtimes build the libFuzzer targets (build-fuzz).
# systemd: systemd-analyze verify checks the installed udefio-kiosk.service (tests/install).
# The guest's input checks run udevd (udev) and seatd there (they make their
# uinput devices with libevdev, built with the tests).
# Real fbdev programs for tests/fbdev: fbi, fbset, fbcat, and the -dev packages our SDL 1.2 and Qt 5 test programs build with;
# fontconfig-config and fonts-dejavu-core: the KMS lane copies fbi with its fontconfig setup and font into the guest.
readonly TEST_PACKAGES=(qemu-system-x86 busybox-static cpio kmod xz-utils make weston libgl1-mesa-dri clang
    libclang-rt-14-dev udev seatd fbi fbset fbcat libsdl1.2-dev qtbase5-dev systemd fontconfig-config fonts-dejavu-core)

install_missing() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "bootstrap: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "bootstrap: missing packages and not root: run as root (or install them: ${missing[*]})" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# configure DIR [meson options...]: configure once, reconfigure when options change.
configure() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

# setup_build DIR [meson options...]: configure, then build everything.
setup_build() {
    configure "$@"
    ninja -C "$1" -j"$(nproc)"
}

cmd_run() {
    install_missing "${PACKAGES[@]}"
    setup_build build -Dwerror=true
    mkdir -p out
    # The kiosk with the built-in demo client (and a socket for other clients).
    exec build/tools/udefio/udefio kiosk --seconds 5 --png-dir out/frames --socket "$PWD/out/udefio-0"
}

cmd_test() {
    install_missing "${PACKAGES[@]}" ${TEST_PACKAGES[@]+"${TEST_PACKAGES[@]}"}
    setup_build build -Dwerror=true
    # The sanitizer builds are run by tests of the main build (suite 'sanitize'),
    # so that one meson summary closes the whole run.
    setup_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false
    setup_build build-tsan -Db_sanitize=thread -Db_lundef=false -Dbench=false
    # libFuzzer needs clang; only the fuzz targets are built there.
    CC=clang CXX=clang++ configure build-fuzz -Dfuzz=true -Dtests=false -Dbench=false \
        -Db_sanitize=address,undefined -Db_lundef=false
    ninja -C build-fuzz -j"$(nproc)" tests/fuzz/fuzz_wire tests/fuzz/fuzz_server tests/fuzz/make_corpus
    # The KMS lane's guest: kernel image, modules, vkms built from source
    # (installs that kernel's headers and source). Cached outside the tree.
    python3 tests/vm/guest.py prepare
    exec meson test -C build --print-errorlogs --num-processes "$(nproc)"
}

case "${1:-}" in
run) cmd_run ;;
test) cmd_test ;;
*)
    echo "usage: tools/bootstrap.sh run|test" >&2
    exit 2
    ;;
esac
