#!/bin/bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
# Stages: 1. release build + every ctest (unit, integration, netns, Xen);
#         2. ASan+UBSan build + the same minus the Xen boot;
#         3. clang libFuzzer build, each fuzzer for a short bounded run.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
B=${BUILD_ROOT:-build-test}
stage() { echo; echo "=== $* ==="; }

stage "1/3 build and test (release)"
cmake -S . -B "$B/rel" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B/rel" -j "$JOBS"
(cd "$B/rel" && ctest --output-on-failure -j "$JOBS" ${CTEST_ARGS:-})

stage "2/3 ASan+UBSan build and test"
cmake -S . -B "$B/asan" -DCMAKE_BUILD_TYPE=Debug -DMYRIXEN_SANITIZE=address,undefined -DMYRIXEN_SHIM=OFF >/dev/null
cmake --build "$B/asan" -j "$JOBS"
(cd "$B/asan" && ctest --output-on-failure -j "$JOBS" -LE 'xen|bench')

stage "3/3 fuzzers (clang, libFuzzer)"
CC=clang cmake -S . -B "$B/fuzz" -DMYRIXEN_FUZZ=ON -DMYRIXEN_SHIM=OFF -DMYRIXEN_XEN=OFF >/dev/null
cmake --build "$B/fuzz" -j "$JOBS"
(cd "$B/fuzz" && ctest --output-on-failure -L fuzz)
