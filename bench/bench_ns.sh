#!/bin/bash
# Shared by the two-namespace benchmarks (sourced): bench_ns NAME makes
# namespaces ${P}a and ${P}b joined by veth ${P}va/${P}vb (each moved into
# its namespace, still down), a temp dir $DIR, and an EXIT trap that kills
# every pid in PIDS and removes all of it.  P is NAME and this shell's pid.
bench_ns() {
	P="$1$$"
	DIR=$(mktemp -d "/tmp/$1-bench.XXXXXX")
	PIDS=()
	trap bench_ns_cleanup EXIT
	ip netns add ${P}a; ip netns add ${P}b
	ip link add ${P}va type veth peer name ${P}vb
	ip link set ${P}va netns ${P}a; ip link set ${P}vb netns ${P}b
}

bench_ns_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	ip netns del ${P}a 2>/dev/null || true
	ip netns del ${P}b 2>/dev/null || true
	rm -rf "$DIR"
}
