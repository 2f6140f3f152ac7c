#!/bin/sh
# Runs inside the QEMU guest (tests/vm/test_kms.py): Debian's fbi, unchanged,
# as udefio's kiosk program on KMS, and on the kernel's own /dev/fb0.
#   fbi_check.sh kiosk     fbi on udefio's kiosk: its image scanned out pixel for
#                          pixel (fbi_check shown), then a screendump (fbi-kiosk)
#   fbi_check.sh kernel    the same fbi on the kernel's DRM fbdev emulation
#                          (/dev/fb0 on VT 2): the side-by-side reference
#   fbi_check.sh reference (vkms) the image shown by the KMS backend itself: its CRC
#   fbi_check.sh unplug    fbi showing its image again every second on the kiosk
#                          while the driver is unbound: the output goes, udefio
#                          ends fbi and itself with why (its backend's only card
#                          is gone); the driver is bound again after
# The image is the size of card0's preferred mode (fbi_check image), so fbi
# -a keeps its scale at 1 and every pixel can be compared; the kernel's
# /dev/fb0 has the mode of the boot (the case runs before any hotplug).
what=$1
img=/tmp/fbi.png
log=/tmp/fbi-kiosk.log
# Made again by each case: a hotplug before it may have changed the preferred mode.
fbi_check image $img || exit 1
kiosk=
trap '[ -n "$kiosk" ] && kill $kiosk 2>/dev/null' EXIT  # a failed case leaves no udefio holding the card
# The kiosk gives each program a console on a pty: the guest's init mounts no devpts.
if [ ! -e /dev/pts/ptmx ]; then
    mkdir -p /dev/pts && mount -t devpts -o ptmxmode=0666 devpts /dev/pts && ln -sf pts/ptmx /dev/ptmx
fi
# A line in udefio's log, waited for (it says the state was reached).
wait_log() {
    i=0
    while ! grep -qE "$1" $log; do
        [ -n "$2" ] || kill -0 $kiosk 2>/dev/null || { echo "fbi_check: udefio ended before: $1"; cat $log; exit 1; }
        i=$((i + 1)); [ $i -lt 800 ] || { echo "fbi_check: no '$1' in 40 s"; cat $log; exit 1; }
        sleep 0.05
    done
}
screendump() {
    [ -d /sys/module/vkms ] && return 0  # no screen: the CRC stands in
    echo "UDEFIO-SCREENDUMP $1"
    read reply
}
case $what in
kiosk)
    udefio kiosk --backend kms --socket /tmp/udefio-fbi --restart never -- fbi -a -noverbose $img >$log 2>&1 &
    kiosk=$!
    wait_log "first frame presented"
    fbi_check shown $img; shown=$?
    screendump fbi-kiosk
    grep -q "started fbi" $log && kill -0 $kiosk || { echo "fbi_check: fbi or udefio ended"; cat $log; exit 1; }
    kill -TERM $kiosk
    wait $kiosk
    rc=$?
    cat $log
    echo "UDEFIO-FBI-KIOSK exit=$rc"
    [ $shown = 0 ] && [ $rc = 0 ]
    ;;
kernel)
    # The kernel's fbcon is on fb0; fbi takes VT 2 as on a real console.
    [ -e /dev/fb0 ] || { echo "fbi_check: no /dev/fb0"; exit 1; }
    # With -T fbi forks, the child keeps the VT: found by name.
    fbi -T 2 -d /dev/fb0 -a -noverbose $img </dev/tty2 >/tmp/fbi-kernel.log 2>&1 &
    fbi_check shown $img; shown=$?
    screendump fbi-kernel
    fbi=$(pidof fbi)
    [ -n "$fbi" ] || { echo "fbi_check: fbi ended"; cat /tmp/fbi-kernel.log; exit 1; }
    kill -TERM $fbi
    while kill -0 $fbi 2>/dev/null; do sleep 0.05; done
    cat /tmp/fbi-kernel.log
    chvt 1
    exit $shown
    ;;
reference)
    fbi_check reference $img
    ;;
unplug)
    # -t 1 with the image twice: fbi shows the "next" one every second, so it
    # stores into its framebuffer after the unplug without any input. The
    # kiosk as deployed: --restart always.
    udefio kiosk --backend kms --socket /tmp/udefio-fbi -- fbi -a -noverbose -t 1 $img $img >$log 2>&1 &
    kiosk=$!
    wait_log "first frame presented"
    fbi_check shown $img || { cat $log; exit 1; }
    dev=$(readlink -f /sys/class/drm/card0/device)
    driver=$(readlink -f /sys/class/drm/card0/device/driver)
    echo ${dev##*/} > $driver/unbind
    wait_log "went away" allow-exit
    # Its only card gone, the KMS backend is gone: the session ends (udefio
    # ends fbi and exits with why); the case's watchdog bounds the wait.
    wait $kiosk
    rc=$?
    fbi=$(pidof fbi)
    cat $log
    # fbi's own handler says "Oops: Bus error" on SIGBUS, "Oops: Terminated" on udefio's SIGTERM.
    sigbus=0; grep -q "Oops: Bus error" $log && sigbus=1
    echo "UDEFIO-FBI-UNPLUG exit=$rc fbi_left=${fbi:-none} fbi_sigbus=$sigbus"
    # Bound again for the cases after this one.
    echo ${dev##*/} > $driver/bind
    i=0
    while [ ! -e /dev/dri/card0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    [ -e /dev/dri/card0 ] || { echo "fbi_check: the driver did not bind again"; exit 1; }
    [ -z "$fbi" ]
    ;;
*)
    echo "fbi_check.sh: unknown case $what"
    exit 2
    ;;
esac
