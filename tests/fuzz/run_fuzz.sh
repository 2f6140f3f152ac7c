#!/usr/bin/env bash
# A short bounded fuzz run, as one test of the main build: the target's seed
# corpus copied to a scratch directory, then libFuzzer for FUZZ_SECONDS.
#   run_fuzz.sh BUILD_FUZZ_DIR SOURCE_DIR [TARGET [SECONDS]]
# fuzz_wire (the default, 30 s): the wire decoder, from tests/fuzz/corpus
# (make_corpus writes it; checked here to be what the encoder writes now).
# fuzz_server (60 s): the server's state machine, from tests/fuzz/corpus_server.hex
# (inputs a longer run found, one per line; tools/fuzz-long.sh runs it for hours).
set -euo pipefail
build=$1
src=$2
target=${3:-fuzz_wire}
seconds=${FUZZ_SECONDS:-${4:-30}}
if [ ! -x "$build/tests/fuzz/$target" ]; then
    echo "fuzz build $build has no $target: run tools/bootstrap.sh test" >&2
    exit 77
fi
work=$(mktemp -d)
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
# A crash leaves its input in BUILD_FUZZ_DIR/artifacts (and its path in the log).
mkdir -p "$build/artifacts"
status=0
"$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/" "$work" || status=$?
exit $status
