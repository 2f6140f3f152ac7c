#!/usr/bin/env bash
# A long fuzz run, for hours, niced, with a corpus kept between runs.
#   tools/fuzz-long.sh [TARGET [SECONDS [JOBS]]]
# TARGET: fuzz_server (default) or fuzz_wire; SECONDS: default 4 h; JOBS:
# parallel libFuzzer workers (default 1). Builds the target in build-fuzz (set
# up as tools/bootstrap.sh test does) if it is missing. The corpus grows in
# out/fuzz/TARGET/corpus (seeded from the committed one), crashes land in
# out/fuzz/TARGET/artifacts, the logs in out/fuzz/TARGET/*.log. Afterwards,
# to refresh fuzz_server's committed seeds with what the run found:
#   mkdir /tmp/seeds && build-fuzz/tests/fuzz/fuzz_server -merge=1 /tmp/seeds out/fuzz/fuzz_server/corpus
#   tests/fuzz/corpus_hex.py pack /tmp/seeds tests/fuzz/corpus_server.hex
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-fuzz_server}
seconds=${2:-14400}
jobs=${3:-1}
if [ ! -d build-fuzz ]; then
    CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true -Dtests=false -Dbench=false \
        -Db_sanitize=address,undefined -Db_lundef=false
fi
nice -n 10 ninja -C build-fuzz "tests/fuzz/$target"
out=out/fuzz/$target
mkdir -p "$out/corpus" "$out/artifacts"
case $target in
fuzz_wire) cp -n tests/fuzz/corpus/* "$out/corpus/" ;;
*) python3 tests/fuzz/corpus_hex.py unpack tests/fuzz/corpus_server.hex "$out/corpus" ;;
esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
args=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1 -artifact_prefix=artifacts/)
if [ "$jobs" -gt 1 ]; then
    # Workers share the corpus; a crash stops only its worker.
    args+=(-jobs="$jobs" -workers="$jobs")
fi
cd "$out"
echo "fuzz-long: $target for ${seconds}s, $jobs worker(s), in $PWD" >&2
exec nice -n 10 "../../../build-fuzz/tests/fuzz/$target" "${args[@]}" corpus
