#!/usr/bin/env bash
# A short bounded fuzz run, as one test of the main build: the target's seed
# corpus copied to a scratch directory, then libFuzzer for FUZZ_SECONDS.
#   run_fuzz.sh BUILD_FUZZ_DIR SOURCE_DIR [TARGET [SECONDS]]
# fuzz_wire (the default, 30 s): the wire decoder, from tests/fuzz/corpus
# (make_corpus writes it; checked here to be what the encoder writes now).
# fuzz_server (60 s): the server's state machine, from tests/fuzz/corpus_server.hex
# (inputs a longer run found, one per line; tools/fuzz-long.sh runs it for hours).
# With FUZZ_GUEST=DRIVER, fuzz_server runs inside the QEMU guest
# (tests/vm/guest.py), whose kernel has sw_sync: its commits then wait for
# real sync_files. The run fails unless some were attached.
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
target=${3:-fuzz_wire}
seconds=${FUZZ_SECONDS:-${4:-30}}
if [ ! -x "$build/tests/fuzz/$target" ]; then
    echo "fuzz build $build has no $target: run tools/bootstrap.sh test" >&2
    exit 77
fi
# The guest mounts a tmpfs on /tmp: its corpus goes in elsewhere, at the same path.
if [ -n "${FUZZ_GUEST:-}" ]; then work=$(mktemp -d "$build/guest-corpus.XXXXXX"); else work=$(mktemp -d); fi
trap 'rm -rf "$work"' EXIT
case $target in
fuzz_wire)
    cp "$src"/tests/fuzz/corpus/* "$work/"
    # The committed corpus must still be what the encoder writes.
    mkdir "$work/fresh"
    "$build/tests/fuzz/make_corpus" "$work/fresh"
    diff -r "$src/tests/fuzz/corpus" "$work/fresh" >/dev/null || {
        echo "tests/fuzz/corpus is stale: rerun make_corpus tests/fuzz/corpus" >&2
        exit 1
    }
    rm -rf "$work/fresh"
    ;;
*)
    python3 "$src/tests/fuzz/corpus_hex.py" unpack "$src/tests/fuzz/corpus_server.hex" "$work"
    ;;
esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
if [ -n "${FUZZ_GUEST:-}" ]; then
    status=0
    # The guest's console carries the fuzzer's output; a crash input is in it (libFuzzer prints it).
    # Under TCG the seeds alone take over a minute, with long quiet stretches: a line every
    # 20 s keeps guest.py from taking the guest for hung (silent for 90 s).
    # libFuzzer's runtime uses POPCNT, which QEMU's default CPU model lacks.
    python3 "$src/tests/vm/guest.py" run "$FUZZ_GUEST" --cpu qemu64,+popcnt,+ssse3,+sse4.1,+sse4.2 --with "$build/tests/fuzz/$target" --data "$work" sh -c \
        "(while sleep 20; do echo run_fuzz.sh: fuzzing; done) & beat=\$!;
         ASAN_OPTIONS=$ASAN_OPTIONS FUZZ_SERVER_STATS=1 FUZZ_SERVER_NEED_SYNC_FILES=1 $target \
         -max_total_time=$seconds -timeout=30 -rss_limit_mb=768 -print_final_stats=1 $work; rc=\$?; kill \$beat; exit \$rc" \
        2>&1 | tee "$work.log" || status=$?
    attached=$(sed -n 's/.* \([0-9][0-9]*\) sync_files attached.*/\1/p' "$work.log" | tail -1)
    rm -f "$work.log"
    if [ "$status" = 0 ] && [ "${attached:-0}" -eq 0 ]; then
        echo "run_fuzz.sh: the guest run attached no sync_file (${attached:-no stats line})" >&2
        status=1
    fi
    exit $status
fi
# A crash leaves its input in BUILD_FUZZ_DIR/artifacts (and its path in the log).
mkdir -p "$build/artifacts"
status=0
"$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/" "$work" || status=$?
exit $status
