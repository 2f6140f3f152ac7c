#!/bin/sh
# Runs inside the QEMU guest on virtio-gpu with two heads (tests/vm/test_kms.py):
# the kiosk's main program on Virtual-1 and a protocol client on Virtual-2,
# each seen by a screendump of its head; then Virtual-2 is unplugged and the
# kiosk must keep running (the client moves to Virtual-1).
#   two_outputs.sh PLAIN_STORES CLIENT_DAMAGE
plain=$1 client=$2
log=/tmp/two-outputs.log
# A line in udefio's log, waited for (it says the state was reached).
wait_log() {
    i=0
    while ! grep -q "$1" $log; do
        kill -0 $kiosk 2>/dev/null || { echo "two_outputs: udefio ended before: $1"; cat $log; exit 1; }
        i=$((i + 1)); [ $i -lt 600 ] || { echo "two_outputs: no '$1' in 30 s"; cat $log; exit 1; }
        sleep 0.05
    done
}
screendump() {
    echo "UDEFIO-SCREENDUMP $1 $2"
    read reply
}
# QEMU enables the second head only when a display asks; a connector forced on is connected.
echo on > /sys/class/drm/card0-Virtual-2/status
udefio kiosk --backend kms --output Virtual-1 --socket /tmp/udefio-0 --restart never \
    --client "UDEFIO_OUTPUT=Virtual-2 exec $client" -- "$plain" >$log 2>&1 &
kiosk=$!
wait_log "output Virtual-1: first frame presented"
wait_log "output Virtual-2: first frame presented"
screendump two-a 0
screendump two-a-1 1
# Unplugged, as hotplug_check does it.
echo off > /sys/class/drm/card0-Virtual-2/status
echo change > /sys/class/drm/card0/uevent
wait_log "output Virtual-2 went away"
wait_log "client-damage: drawing again"  # it leased Virtual-1 and a frame of it was shown
kill -0 $kiosk || { echo "two_outputs: udefio ended after the unplug"; cat $log; exit 1; }
n=$(grep -c "first frame presented" $log)
screendump two-b 0
kill -TERM $kiosk
wait $kiosk
rc=$?
echo detect > /sys/class/drm/card0-Virtual-2/status
cat $log
echo "UDEFIO-TWO-OUTPUTS exit=$rc"
exit $rc
