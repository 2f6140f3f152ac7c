#!/usr/bin/env bash
# What an idle kiosk costs: udefio's CPU time and wakeups (context switches
# of all its threads) per second while its program does nothing.
#   tools/bench/kiosk_idle.sh UDEFIO [SECONDS [KIOSK ARGS... -- PROGRAM...]]
# Default: 10 s of `udefio kiosk --backend headless --size 3840x2160 -- /bin/sleep 1000`.
# It waits for the first presented frame and 2 s more, then samples.
set -euo pipefail
udefio=$1
seconds=${2:-10}
shift 2 || shift $#
if [ $# -eq 0 ]; then
    set -- --backend headless --size 3840x2160 -- /bin/sleep 1000
fi
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
XDG_RUNTIME_DIR=$dir "$udefio" kiosk --socket "$dir/udefio-0" "$@" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 600); do
    grep -q "first frame presented" "$dir/log" && break
    kill -0 $pid 2>/dev/null || { cat "$dir/log"; exit 1; }
    sleep 0.05
done
sleep 2
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
switches() {
    local total=0 n
    for t in /proc/$pid/task/*/status; do
        n=$(awk '/ctxt_switches/ {s += $2} END {print s}' "$t" 2>/dev/null || echo 0)
        total=$((total + n))
    done
    echo $total
}
t0=$(ticks) s0=$(switches) threads=$(ls /proc/$pid/task | wc -l)
sleep "$seconds"
t1=$(ticks) s1=$(switches)
hz=$(getconf CLK_TCK)
awk -v t=$((t1 - t0)) -v s=$((s1 - s0)) -v sec="$seconds" -v hz="$hz" -v th="$threads" 'BEGIN {
    printf "idle %s s: %d ticks (%.2f %% of a core), %d context switches (%.2f wakeups/s) over %d threads\n",
        sec, t, 100.0 * t / hz / sec, s, s / sec, th }'
grep -E "tracker|fbdev" "$dir/log" | head -5 || true
