#!/bin/bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
#   1. release build (-O3 Release, so -Werror holds there too): every ctest (unit, integration, netns, ops, real Xen under QEMU)
#   2. ASan+UBSan build: the same minus the Xen boots
#   3. TSan build: the library and integration tests (where threads meet)
#   4. clang libFuzzer build: each fuzzer for a short bounded run
# Every stage runs even when an earlier one failed; the exit status and the
# closing "summary: N passed, N failed, N skipped, N stage(s) broken" line
# cover all of them.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
B=${BUILD_ROOT:-build-test}
LOGS="$B/logs"
mkdir -p "$LOGS"
passed=0 failed=0 skipped=0 broken=0 broken_names=""

# run_stage NAME BUILD_DIR "CMAKE ARGS" "CTEST ARGS" [CC]
run_stage() {
	local name=$1 dir=$2 cargs=$3 targs=$4 cc=${5:-}
	local log="$LOGS/$name.log" total nfail nskip
	echo; echo "=== $name ==="
	if ! env ${cc:+CC=$cc} cmake -S . -B "$dir" $cargs >"$LOGS/$name.configure.log" 2>&1 ||
	   ! cmake --build "$dir" -j "$JOBS" >"$LOGS/$name.build.log" 2>&1; then
		echo "$name: build FAILED"; tail -n 40 "$LOGS/$name.configure.log" "$LOGS/$name.build.log"
		broken=$((broken + 1)); broken_names+=" $name"; return
	fi
	(cd "$dir" && ctest --output-on-failure -j "$JOBS" $targs) 2>&1 | tee "$log"
	total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
	nfail=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
	nskip=$(grep -c '\*\*\*Skipped' "$log" || true)
	if [ -z "$total" ]; then broken=$((broken + 1)); broken_names+=" $name"; return; fi
	failed=$((failed + nfail)); skipped=$((skipped + nskip))
	passed=$((passed + total - nfail - nskip))
}

run_stage release "$B/rel" "-DCMAKE_BUILD_TYPE=Release" "${CTEST_ARGS:-}"
run_stage asan-ubsan "$B/asan" "-DCMAKE_BUILD_TYPE=Debug -DMYRIXEN_SANITIZE=address,undefined -DMYRIXEN_SHIM=OFF" "-LE xen|bench"
run_stage tsan "$B/tsan" "-DCMAKE_BUILD_TYPE=Debug -DMYRIXEN_SANITIZE=thread -DMYRIXEN_SHIM=OFF -DMYRIXEN_XEN=OFF" "-L ^lib|integration"
run_stage fuzz "$B/fuzz" "-DMYRIXEN_FUZZ=ON -DMYRIXEN_SHIM=OFF" "-L fuzz" clang

echo
[ "$broken" -eq 0 ] || echo "test.sh: $broken stage(s) did not build or did not run:$broken_names"
# The one line to read: a stage that never ran is named here, not hidden
# behind a count of the tests that did.
echo "summary: $passed passed, $failed failed, $skipped skipped, $broken stage(s) broken${broken_names:+ (${broken_names# })}"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ]
