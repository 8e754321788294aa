#!/bin/bash
# Wire engine timers: daemon instructions per tiny round trip, this build
# against a baseline build, in one run (issue 9.5).  A peer file of NPEERS
# configured peers (a cluster's shared list) made the old engine rescan
# every peer, pull, connect and lookup on each receive and kick; the
# deadline heap looks only at what is due.  Counts are differences of a
# long and a short ping-pong (start-up cancels) of the client-side
# daemon's user-space instructions (callgrind: exact, no PMU needed), plus
# its loop-timer re-arms per round trip when the build reports them.
# Not a test.
#   bench/wire_timers_bench.sh BASE_BUILD NEW_BUILD   (root; Release builds)
# Env: NPEERS (250), SHORT (1000), LONG (5000).
set -eEu
BASE=$(realpath "$1"); NEW=$(realpath "$2")
NPEERS=${NPEERS:-250}; SHORT=${SHORT:-1000}; LONG=${LONG:-5000}
[ "$(id -u)" -eq 0 ] || { echo "wire_timers_bench: needs root (namespaces)"; exit 1; }
command -v valgrind >/dev/null || { echo "wire_timers_bench: valgrind missing"; exit 1; }
. "$(dirname "$0")/bench_ns.sh"
bench_ns mxt
for h in a b; do
	ip -n ${P}$h link set lo up
	ip -n ${P}$h link set ${P}v$h mtu 9000 up
done
for i in $(seq 1 "$NPEERS"); do
	printf 'peer = fake%u 02:fe:00:00:%02x:%02x\n' "$i" $((i >> 8)) $((i & 255))
done > "$DIR/peers.conf"

# daemon NAME BUILD [WRAPPER...]: start myribackd for host NAME
daemon() {
	local h=$1 B=$2
	shift 2
	{ echo "transports = local"; echo "local_socket = $DIR/$h.sock"
	  echo "ctl_socket = $DIR/$h.ctl"; echo "interface = ${P}v$h"
	  echo "hostname = tb$h"; cat "$DIR/peers.conf"; } > "$DIR/$h.conf"
	rm -f "$DIR/$h.sock"
	ip netns exec ${P}$h "$@" "$B/daemon/myribackd" -f -c "$DIR/$h.conf" > "$DIR/$h.log" 2>&1 &
	PIDS+=($!)
	eval "p$h=$!"
	for _ in $(seq 600); do [ -S "$DIR/$h.sock" ] && return 0; sleep 0.05; done
	echo "wire_timers_bench: daemon $h did not start"; cat "$DIR/$h.log"; exit 1
}

# run BUILD: prints "instructions/rt timer_arms/rt": the daemon of host a
# runs under callgrind (exact instruction counts), once per run length
run() {
	local B=$1 n ins=() arms=()
	daemon b "$B"
	for n in "$SHORT" "$LONG"; do
		daemon a "$B" valgrind --tool=callgrind --callgrind-out-file="$DIR/cg.$n"
		MYRIXEN_SOCKET=$DIR/b.sock ip netns exec ${P}b "$NEW/tools/mx_pingpong" -e 1 \
			> /dev/null 2>&1 &
		PIDS+=($!)
		sleep 0.5
		MYRIXEN_SOCKET=$DIR/a.sock ip netns exec ${P}a "$NEW/tools/mx_pingpong" -d tbb:1 \
			-n "$n" -w 0 -s 0 -S 0 > /dev/null
		arms+=("$("$NEW/ctl/myrixenctl" -s "$DIR/a.ctl" status |
			  awk '$1 == "timer_arms:" { print $2 }')")
		kill "$pa"; wait "$pa" 2>/dev/null || true
		ins+=("$(awk '/^summary:/ { print $2 }' "$DIR/cg.$n")")
	done
	kill "$pb"; wait "$pb" 2>/dev/null || true
	echo "$(( (ins[1] - ins[0]) / (LONG - SHORT) )) $(awk -v a="${arms[1]:-0}" \
		-v b="${arms[0]:-0}" -v n=$((LONG - SHORT)) 'BEGIN { printf "%.2f", (a - b) / n }')"
}
read -r base_ins base_arms < <(run "$BASE")
read -r new_ins new_arms < <(run "$NEW")
echo "tiny ping-pong, $NPEERS configured peers, client-side daemon, per round trip:"
printf '%-10s %14s %12s\n' build instructions timer_arms
printf '%-10s %14s %12s\n' baseline "$base_ins" "n/a"
printf '%-10s %14s %12s\n' heap "$new_ins" "$new_arms"
awk -v a="$new_ins" -v b="$base_ins" 'BEGIN { printf "ratio heap/baseline: %.2f\n", a / b }'
