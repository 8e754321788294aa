#!/bin/bash
# Messages across the MXoE wire survive a restart of either daemon
# mid-stream (issue 13).  it_survive streams messages from a client on
# host b to an echo server on host a, both checking every byte, the
# order, and that nothing arrives twice.  Mid-stream one daemon is stopped
# (SIGTERM) and started again, later killed (SIGKILL) and started again,
# then stopped once more.  Both ends must finish with status success.
#
#   ns_restart_large.sh [HOST [MIN [GAP]]]   restart HOST's daemon (b),
#        messages of MIN bytes and more (65536); a daemon stopped stays
#        down GAP seconds (0)
#
# wire_ns_restart_large restarts b, the side that connected, with every
# message a rendezvous of 64 KiB to 4 MiB (64 KiB, 70000 bytes, 256 KiB,
# 1 MiB, 4 MiB; 8 in flight each way): each restart hits pulls in both
# directions (b's daemon is the sender's for the client's messages and
# the receiver's for the echoes).  wire_ns_restart_accept restarts a,
# whose endpoint only accepted the connection (never connected out),
# with every size class, each time while the echo side waits at a gate:
# its peer's daemon, which stays up, must connect again on its own after
# each restart (daemon/wire/README.md).  wire_ns_restart_slow keeps b's
# daemon down 10 s after each stop, longer than the ~6 s of silence after
# which a peer was once given up on: a stopping daemon says it is leaving,
# and its peer waits for it (mxoe_life.c; counters leaves, peers_away); a
# killed one says nothing, and its peer waits for it as long as MX's
# request timeout (peer_timeout_ms, 65 s; counter timeouts stays 0).
. "$(dirname "$0")/ns_lib.sh"
[ -n "${MXW_SURVIVE:-}" ] || ns_skip "it_survive not built"
ns_require
N=${MXW_RESTART_N:-2000}
HOST=${1:-b}
MIN=${2:-65536}
GAP=${3:-0}
MAX=$((4 << 20))
ns_add a; ns_add b
ns_veth a va b vb
ns_daemon a va
ns_daemon b vb
# Restarting a, the echo side waits at messages 100, 300 and 500 until
# the restart is made (-G/-g, as in ns_restart_middle.sh): the client's
# window is in flight to a's daemon then, and each restart comes after
# traffic through the daemon started before it, however late this shell
# runs (it once lagged the stream, two restarts fell at the same round
# trip, and b's daemon connected again twice, not three times)
GATE=()
if [ "$HOST" = a ]; then
	: > "$DIR/gate"
	GATE=(-G "$DIR/gate" -g 100,300,500)
fi
ns_run a timeout 500 "$MXW_SURVIVE" -s -e 1 -n $N -w 8 -m $MIN -S $MAX "${GATE[@]}" > "$DIR/echo.log" 2>&1 &
echo_pid=$!
ns_run b timeout 500 "$MXW_SURVIVE" -c -d a:1 -n $N -w 8 -m $MIN -S $MAX -p 1 > "$DIR/client.log" 2>&1 &
client_pid=$!

# trips: round trips the client verified so far
trips() { sed -n 's/.*: \([0-9]*\)\/[0-9]* round trips verified/\1/p' "$DIR/client.log" | tail -1; }

# wait_trips K: the client verified at least K round trips
wait_trips() {
	local k=$1 got
	for _ in $(seq 6000); do
		got=$(trips)
		[ "${got:-0}" -ge "$k" ] && return 0
		kill -0 $client_pid 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

# wait_gate I: the echo side waits at its gate I
wait_gate() {
	for _ in $(seq 6000); do
		grep -q "gate $1 at" "$DIR/echo.log" && return 0
		kill -0 $client_pid 2>/dev/null && kill -0 $echo_pid 2>/dev/null || break
		sleep 0.02
	done
	grep -q "gate $1 at" "$DIR/echo.log"
}

# restart HOST SIGNAL: stop HOST's daemon with SIGNAL, start it again;
# DOWN_AT: the round trips verified once it was down
DOWN_AT=0
restart() {
	local h=$1 sig=$2 pid
	eval "pid=\$PID_$h"
	kill -"$sig" "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && ns_fail "daemon $h did not stop on SIG$sig"
	DOWN_AT=$(trips)
	mv "$DIR/$h.log" "$DIR/$h.$sig.log"
	[ "$sig" = KILL ] && rm -f "$DIR/$h.sock" "$DIR/$h.ctl"
	[ "$GAP" -gt 0 ] && sleep "$GAP"
	if [ "$h" = a ]; then ns_daemon a va; else ns_daemon b vb; fi
	echo "restarted $h's daemon (SIG$sig) after $(trips) round trips"
}

# 8 in flight each way: a restart finds messages (with -m 65536 pulls)
# under way (the counters below show them).  Each must come while the
# stream still runs, or it tests nothing.  Restarting b (no gate), the
# stream goes on at each restart at whatever point this shell comes, but
# never before 20 round trips more than were verified when the daemon
# before went down (at most the window's 8 complete without it), so the
# client came back to the daemon started before: a lagging shell made
# two restarts in a row otherwise (as it did restarting a), and a daemon
# stopped before it held any partner tells no one it leaves (peers_away).
i=0
for r in "100 $HOST TERM" "300 $HOST KILL" "500 $HOST TERM"; do
	set -- $r
	step=$1
	shift
	if [ ${#GATE[@]} -gt 0 ]; then
		wait_gate $i || ns_fail "the echo side never reached gate $i: $(tail -n 2 "$DIR/client.log" "$DIR/echo.log")"
	else
		[ $((${DOWN_AT:-0} + 20)) -gt "$step" ] && step=$((${DOWN_AT:-0} + 20))
		wait_trips $step || ns_fail "stream stalled before $step round trips: $(tail -3 "$DIR/client.log")"
	fi
	restart "$@"
	kill -0 $client_pid 2>/dev/null && ! grep -q "client verified" "$DIR/client.log" ||
		ns_fail "the stream ended before the restart of $1's daemon (too fast to test)"
	[ ${#GATE[@]} -gt 0 ] && printf x >> "$DIR/gate"
	i=$((i + 1))
done
wait $client_pid; crc=$?
wait $echo_pid; erc=$?
cat "$DIR/client.log" | grep -v "round trips verified"
cat "$DIR/echo.log"
[ $crc = 0 ] || ns_fail "client: exit $crc: $(grep -v verified "$DIR/client.log" | tail -3)"
[ $erc = 0 ] || ns_fail "echo side: exit $erc: $(tail -3 "$DIR/echo.log")"
grep -q "it_survive client: ok" "$DIR/client.log" || ns_fail "client did not verify everything"
grep -q "it_survive server: ok" "$DIR/echo.log" || ns_fail "echo side did not verify everything"
if [ -n "${MXW_CTL:-}" ]; then
	for h in a b; do
		echo "$h: $("$MXW_CTL" -s "$DIR/$h.ctl" counters 2>/dev/null | grep -E ' (requeued|quiet_drops|pull_resends|reannounced|pulls_parked|pulls_retargeted|announces|reconnects|leaves|peers_away|timeouts): ' | awk '!seen[$1]++' | tr -s ' ' | tr '\n' ' ')"
	done
	# a's endpoint only accepted: b's daemon connected again after each
	# of a's three restarts, the client's library never did
	# held down past the silence limit: the other daemon waited for the
	# one that said it was leaving, after each of the two SIGTERMs
	if [ "$GAP" -gt 0 ]; then
		o=$([ "$HOST" = a ] && echo b || echo a)
		aw=$("$MXW_CTL" -s "$DIR/$o.ctl" counters | sed -n 's/^ *peers_away: //p' | head -1)
		[ "${aw:-0}" -ge 2 ] || ns_fail "$o's daemon heard $HOST leave ${aw:-0} time(s), not after each SIGTERM"
		# nothing given up, the killed daemon's silence included
		to=$("$MXW_CTL" -s "$DIR/$o.ctl" counters | sed -n 's/^ *timeouts: //p' | head -1)
		[ "${to:-1}" -eq 0 ] || ns_fail "$o's daemon gave $HOST up ${to:-?} time(s)"
	fi
	if [ "$HOST" = a ]; then
		rc=$("$MXW_CTL" -s "$DIR/b.ctl" counters | sed -n 's/^ *reconnects: //p' | head -1)
		[ "${rc:-0}" -ge 3 ] || ns_fail "b's daemon connected again ${rc:-0} time(s), not after each of a's 3 restarts"
	fi
fi
echo "PASS"
