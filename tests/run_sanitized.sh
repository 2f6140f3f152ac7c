#!/usr/bin/env bash
# Runs the unit and integration suites of a sanitizer build (made by
# tools/bootstrap.sh test) as one test of the main build.
#   run_sanitized.sh BUILD_DIR
set -euo pipefail
dir=$1
if [ ! -f "$dir/build.ninja" ]; then
    echo "sanitizer build $dir does not exist: run tools/bootstrap.sh test" >&2
    exit 77
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:handle_sigbus=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:handle_sigbus=0}
# The sanitizers make every test several times slower (TSan most): each
# test's timeout is doubled, as meson's --timeout-multiplier is meant for.
exec meson test -C "$dir" --no-rebuild --print-errorlogs --timeout-multiplier 2 --suite unit --suite integration
