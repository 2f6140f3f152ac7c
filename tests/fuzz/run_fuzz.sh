#!/usr/bin/env bash
# A short bounded fuzz run of the wire decoder, as one test of the main build:
# the seed corpus in tests/fuzz/corpus (make_corpus writes it) copied to a
# scratch directory, then libFuzzer for FUZZ_SECONDS (default 30).
#   run_fuzz.sh BUILD_FUZZ_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
if [ ! -x "$build/tests/fuzz/fuzz_wire" ]; then
    echo "fuzz build $build does not exist: run tools/bootstrap.sh test" >&2
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/tests/fuzz/corpus/* "$work/"
# The committed corpus must still be what the encoder writes.
mkdir "$work/fresh"
"$build/tests/fuzz/make_corpus" "$work/fresh"
diff -r "$src/tests/fuzz/corpus" "$work/fresh" >/dev/null || {
    echo "tests/fuzz/corpus is stale: rerun make_corpus tests/fuzz/corpus" >&2
    exit 1
}
rm -rf "$work/fresh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
exec "$build/tests/fuzz/fuzz_wire" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=5 -print_final_stats=1 "$work"
