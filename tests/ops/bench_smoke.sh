#!/bin/bash
# bench/local_bench.sh still runs and counts (not a timing test): its tiny
# section, short, must print the five paths with the counts that do not
# depend on the load: a pipe ping-pong is exactly 2 syscalls per one-way
# message, the pair channel costs the daemon no syscall, the daemon path
# does.  (Context switches are not asserted: other load preempts.)
#   bench_smoke.sh BUILD_DIR SOURCE_DIR
set -eu
B=$1
S=$2
OUT=$(mktemp -d /tmp/mx-bench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
if ! perf stat -x, -e raw_syscalls:sys_enter -o /dev/null true 2>/dev/null; then
	echo "SKIP: perf cannot count syscall tracepoints here"
	exit 77
fi
SECTIONS=tiny ITERS=2000 ROUNDS=1 "$S/bench/local_bench.sh" "$B" "$OUT" > "$OUT/log" 2>&1 ||
	{ cat "$OUT/log"; echo "FAIL: local_bench.sh exited $?"; exit 1; }
row() { awk -F'|' -v p="$1" '{ n = $2; gsub(/ /, "", n) } n == p { print }' "$OUT/local_bench.md"; }
col() { row "$1" | awk -F'|' -v c="$2" '{ gsub(/ /, "", $c); print $c }'; }
for p in pipe unix udp mx_pair mx_daemon; do
	[ -n "$(row $p)" ] || { cat "$OUT/local_bench.md"; echo "FAIL: no row for $p"; exit 1; }
done
fail() { cat "$OUT/local_bench.md"; echo "FAIL: $*"; exit 1; }
# Counts are (long run - short run) / messages: a stray syscall in either
# run (a timer, a signal) moves them by a few thousandths, either way
# ("-0.00" was seen).  The bounds are far tighter than any change of path.
near() { awk -v v="$1" -v w="$2" 'BEGIN { d = v - w; exit !(d < 0.05 && d > -0.05) }'; }
near "$(col pipe 4)" 2 || fail "pipe: $(col pipe 4) syscalls per message, want 2.00"
near "$(col mx_pair 5)" 0 || fail "pair channel: $(col mx_pair 5) daemon syscalls per message, want 0"
awk -v v="$(col mx_daemon 5)" 'BEGIN { exit !(v >= 1) }' ||
	fail "daemon path: $(col mx_daemon 5) daemon syscalls per message, want >= 1"
echo "PASS: pipe 2.00 syscalls, pair channel 0 daemon syscalls, daemon path $(col mx_daemon 5)"
