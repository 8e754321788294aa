#!/bin/bash
# Long libFuzzer runs (not CI): every fuzz target registered in ctest (label
# fuzz) runs to at least RUNS executions (default 10^7), one after the other,
# with the arguments ctest gives it (dictionary, max_len, seed) except the
# time bound.  Each keeps a corpus under BUILD_DIR/fuzz-long/, so a second
# run goes on from the first.  Prints, per target: executions, exec/s,
# coverage, and "ok" or the finding (crash/leak/timeout artifact).
#   bench/fuzz_long.sh [BUILD_DIR] [RUNS]
# BUILD_DIR is a clang -DMYRIXEN_FUZZ=ON build (configured here if missing).
# FUZZ_PARALLEL=1 runs the targets concurrently; FUZZ_MAX_TIME=S also stops
# each target after S seconds (the table then shows how far it got).
# Exit status: 0 when no target found anything.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-fuzz}
RUNS=${2:-10000000}
if [ ! -f "$B/CMakeCache.txt" ]; then
	CC=clang cmake -S . -B "$B" -DMYRIXEN_FUZZ=ON -DMYRIXEN_SHIM=OFF >/dev/null || exit 1
fi
cmake --build "$B" -j "${JOBS:-2}" >/dev/null || { echo "fuzz_long: build failed"; exit 1; }
out=$(cd "$B" && pwd)/fuzz-long
mkdir -p "$out"
found=0

# One line per target: its ctest command, time bound dropped (the coverage
# check, which bounds runs itself, is not a fuzzing run).
mapfile -t cmds < <(cd "$B" && ctest -N -V -L fuzz | sed -n 's/^.*Test command: //p' |
	grep -v -- '-runs=' | sed 's/"//g; s/ -max_total_time=[0-9]*//')
[ "${#cmds[@]}" -gt 0 ] || { echo "fuzz_long: no fuzz targets in $B (MYRIXEN_FUZZ=ON?)"; exit 1; }

# run_one CMD...: fuzz, then leave the target's table line in NAME.result.
run_one() {
	local name log rc execs eps cov result
	name=$(basename "$1")
	log=$out/$name.log
	mkdir -p "$out/$name.corpus"
	"$@" -runs="$RUNS" ${FUZZ_MAX_TIME:+-max_total_time=$FUZZ_MAX_TIME} -print_final_stats=1 -artifact_prefix="$out/$name-" \
		"$out/$name.corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	result=ok
	[ "$rc" -eq 0 ] || result="FINDING (exit $rc): $(grep -m1 -E 'ERROR|SUMMARY|artifact' "$log")"
	printf '%-18s %12s %9s %7s  %s\n' "$name" "${execs:-?}" "${eps:-?}" "${cov:-?}" \
		"$result" >"$out/$name.result"
}

# FUZZ_PARALLEL=1: all targets at once (each gets a share of the CPUs, and
# a partial run still shows every target's rate in its log).
names=()
for cmd in "${cmds[@]}"; do
	read -r -a argv <<<"$cmd"
	names+=("$(basename "${argv[0]}")")
	rm -f "$out/${names[-1]}.result"
	if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then
		run_one "${argv[@]}" &
	else
		run_one "${argv[@]}"
	fi
done
wait
printf '%-18s %12s %9s %7s  %s\n' target executions exec/s cov result
for n in "${names[@]}"; do
	cat "$out/$n.result"
	grep -q '  ok$' "$out/$n.result" || found=1
done
echo "logs and corpora: $out"
exit "$found"
