#!/bin/bash
# Large local messages vs one process_vm_readv of the same size, in one run,
# and the syscalls, context switches and page faults per message of the
# applications and of myribackd (perf stat, the difference of a long and a
# short run so start-up cancels).  Not a test.
#   bench/large_bench.sh [BUILD_DIR]       (release build advised; perf)
# Env: SIZES (bytes, default "4194304 67108864"), ITERS (20).  Each large_bench run
# is 5 rounds: messages = 5 x N per path (best against best, and the median of
# the rounds' own ratios).
set -eu
B=$(realpath "${1:-build}")
SIZES=${SIZES:-"4194304 67108864"}
ITERS=${ITERS:-20}
for f in daemon/myribackd bench/large_bench; do
	[ -x "$B/$f" ] || { echo "large_bench: $B/$f not built"; exit 1; }
done
DIR=$(mktemp -d /tmp/mxl-bench.XXXXXX)
cleanup() {
	[ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
printf 'transports = local\nlocal_socket = %s/l.sock\nctl_socket = %s/c.sock\nlog_level = err\n' \
	"$DIR" "$DIR" > "$DIR/conf"
"$B/daemon/myribackd" -f -c "$DIR/conf" 2>"$DIR/daemon.log" &
DPID=$!
for _ in $(seq 100); do [ -S "$DIR/l.sock" ] && break; sleep 0.05; done
export MYRIXEN_SOCKET=$DIR/l.sock

echo "== bandwidth (5 alternating rounds of $ITERS messages; load $(cut -d' ' -f1-3 /proc/loadavg))"
for s in $SIZES; do "$B/bench/large_bench" "$s" "$ITERS" both; done

# Counts per single-copy message, which load does not change: syscalls,
# context switches and page faults of the two applications (the receiver
# and its forked sender, perf stat) and of myribackd (perf stat -p, every
# thread), as the difference of a run of 24 and a run of 4 messages a round
# (5 rounds: 100 messages) so start-up cancels.  The receiver's baseline
# rounds add exactly one process_vm_readv per message, taken off.
counts() { # SIZE N -> "app_sys app_cs app_pf d_sys d_cs d_pf"
	local ev=raw_syscalls:sys_enter,context-switches,page-faults sp
	perf stat -x, -e $ev -p "$DPID" -o "$DIR/d.st" & sp=$!
	sleep 0.3
	perf stat -x, -e $ev -o "$DIR/a.st" "$B/bench/large_bench" "$1" "$2" direct 5 >/dev/null
	kill -INT $sp; wait $sp 2>/dev/null || true
	echo $(awk -F, '$1 ~ /^[0-9]+$/ {print $1}' "$DIR/a.st" "$DIR/d.st")
}
if command -v perf >/dev/null; then
	echo "== per single-copy message (perf stat, runs of 24 minus runs of 4 messages x 5 rounds; load $(cut -d' ' -f1-3 /proc/loadavg))"
	echo "   size: apps syscalls, switches, faults | myribackd syscalls, switches, faults"
	for s in $SIZES; do
		"$B/bench/large_bench" "$s" 1 direct 1 | grep -q skipped && continue
		paste <(counts "$s" 4 | tr ' ' '\n') <(counts "$s" 24 | tr ' ' '\n') |
			awk -v s="$s" '{ d[NR] = ($2 - $1) / 100 }
			     END { printf "   %s B: %.2f, %.2f, %.2f | %.2f, %.2f, %.2f\n", s,
				   d[1] - 1, d[2], d[3], d[4], d[5], d[6] }'
	done
fi
