#!/bin/bash
# Large local messages vs one process_vm_readv of the same size, in one run,
# and myribackd's syscalls per message (strace -c -f on the daemon, the
# difference of a long and a short run so start-up cancels).  Not a test.
#   bench/large_bench.sh [BUILD_DIR]       (release build advised; strace)
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

echo "== bandwidth (5 alternating rounds of $ITERS messages)"
for s in $SIZES; do "$B/bench/large_bench" "$s" "$ITERS" both; done

# Daemon syscalls per message: a run of N messages (5 rounds each) under
# strace, minus a run of 1, divided by the difference.
calls() { # SIZE N MODE
	strace -f -c -p "$DPID" -o "$DIR/st" 2>/dev/null & local sp=$!
	sleep 0.5
	"$B/bench/large_bench" "$1" "$2" "$3" >/dev/null
	kill -INT $sp; wait $sp 2>/dev/null || true
	awk '$NF == "total" { print $4 }' "$DIR/st"
}
if command -v strace >/dev/null; then
	echo "== myribackd syscalls per message (strace -c -f, long minus short run)"
	for s in $SIZES; do
		"$B/bench/large_bench" "$s" 1 direct | grep -q skipped && continue
		for m in direct mediated; do
			a=$(calls "$s" 1 $m); b=$(calls "$s" 5 $m)
			echo "  $s B $m: $(( (b - a) / 20 )) syscalls/message  (runs of 5 and 25 messages: $a, $b)"
		done
	done
fi
