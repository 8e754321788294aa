#!/bin/bash
# An endpoint that only accepts, with peers on two other hosts, survives
# its daemon's restarts (issue 13).  Three hosts on a bridge: the echo
# endpoint on b (the middle) serves clients on a and c (it_survive -k 2:
# each client's messages checked in their own order, bytes and lengths,
# nothing twice, every reply to the source of what it answers).  Mid-stream
# b's daemon is stopped (SIGTERM), killed (SIGKILL) and stopped again, each
# time started again.  A new daemon numbers its peers afresh, in the order
# they come back, so the addresses b's application holds may name the
# other host now; and the clients' daemons, not their libraries, connect
# again (mxoe_life.c).  Here the numbers always change: a connects first
# (peer 1 of b's first daemon, c peer 2), and every later daemon of b
# lists c then a in its configuration (c peer 1, a peer 2).
#
#   ns_restart_middle.sh [MIN]   messages of MIN bytes and more (0: every class)
. "$(dirname "$0")/ns_lib.sh"
[ -n "${MXW_SURVIVE:-}" ] || ns_skip "it_survive not built"
ns_require
N=${MXW_RESTART_N:-1000}
MIN=${1:-0}
MAX=$((1 << 20))
ns_bridge_hosts a b c
# the echo side waits at messages 100, 300 and 500 until the restart is
# made (-G/-g): the clients' windows are in flight then, however late
# this shell runs on a loaded host (it used to lag a fast stream, which
# ended before the restart)
: > "$DIR/gate"
ns_run b timeout 500 "$MXW_SURVIVE" -s -e 1 -k 2 -n $N -w 8 -m $MIN -S $MAX \
	-G "$DIR/gate" -g 100,300,500 > "$DIR/echo.log" 2>&1 &
echo_pid=$!
mac() { ip -n "$P$1" link show "$P$2" | awk '/link\/ether/ {print $2}'; }
MAC_A=$(mac a va); MAC_C=$(mac c vc)
ns_run a timeout 500 "$MXW_SURVIVE" -c -i 1 -d b:1 -n $N -w 8 -m $MIN -S $MAX -p 1 > "$DIR/client1.log" 2>&1 &
c1_pid=$!
for _ in $(seq 3000); do
	grep -q "round trips verified" "$DIR/client1.log" && break
	kill -0 $c1_pid 2>/dev/null || ns_fail "client on a: $(tail -3 "$DIR/client1.log")"
	sleep 0.02
done
ns_run c timeout 500 "$MXW_SURVIVE" -c -i 2 -d b:1 -n $N -w 8 -m $MIN -S $MAX -p 1 > "$DIR/client2.log" 2>&1 &
c2_pid=$!

# trips LOG: round trips that client verified so far
trips() { sed -n 's/.*: \([0-9]*\)\/[0-9]* round trips verified/\1/p' "$1" | tail -1; }

# restart SIGNAL: stop b's daemon with SIGNAL, start it again
restart() {
	local sig=$1
	kill -"$sig" "$PID_b"
	for _ in $(seq 100); do kill -0 "$PID_b" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$PID_b" 2>/dev/null && ns_fail "b's daemon did not stop on SIG$sig"
	mv "$DIR/b.log" "$DIR/b.$sig.log"
	[ "$sig" = KILL ] && rm -f "$DIR/b.sock" "$DIR/b.ctl"
	ns_daemon b vb "peer = c $MAC_C" "peer = a $MAC_A"
	echo "restarted b's daemon (SIG$sig) after $(trips "$DIR/client1.log")/$(trips "$DIR/client2.log") round trips"
}

# each restart while the echo side waits at its gate i, then the gate opens
i=0
for sig in TERM KILL TERM; do
	for _ in $(seq 6000); do
		grep -q "gate $i at" "$DIR/echo.log" && break
		kill -0 $c1_pid 2>/dev/null && kill -0 $c2_pid 2>/dev/null || break
		sleep 0.02
	done
	grep -q "gate $i at" "$DIR/echo.log" ||
		ns_fail "the echo side never reached gate $i: $(tail -n 2 "$DIR/client1.log" "$DIR/client2.log" "$DIR/echo.log")"
	restart "$sig"
	printf x >> "$DIR/gate"
	i=$((i + 1))
done
wait $c1_pid; rc1=$?
wait $c2_pid; rc2=$?
wait $echo_pid; erc=$?
grep -hv "round trips verified" "$DIR/client1.log" "$DIR/client2.log"
cat "$DIR/echo.log"
[ $rc1 = 0 ] || ns_fail "client on a: exit $rc1: $(grep -v verified "$DIR/client1.log" | tail -3)"
[ $rc2 = 0 ] || ns_fail "client on c: exit $rc2: $(grep -v verified "$DIR/client2.log" | tail -3)"
[ $erc = 0 ] || ns_fail "echo side: exit $erc: $(tail -3 "$DIR/echo.log")"
grep -q "it_survive client: ok" "$DIR/client1.log" || ns_fail "client on a did not verify everything"
grep -q "it_survive client: ok" "$DIR/client2.log" || ns_fail "client on c did not verify everything"
grep -q "it_survive server: ok" "$DIR/echo.log" || ns_fail "echo side did not verify everything"
# b's library re-found its hosts by nic id after the restarts (lib/peermap.c)
looked=$(sed -n 's/.*server longest.*Hosts looked up again after a re-attach \([0-9]*\).*/\1/p' "$DIR/echo.log")
[ "${looked:-0}" -ge 1 ] || ns_fail "the echo side never looked its hosts up again"

if [ -n "${MXW_CTL:-}" ]; then
	for h in a b c; do
		echo "$h: $("$MXW_CTL" -s "$DIR/$h.ctl" counters 2>/dev/null | grep -E ' (requeued|quiet_drops|reannounced|pulls_parked|pulls_retargeted|announces|reconnects): ' | awk '!seen[$1]++' | tr -s ' ' | tr '\n' ' ')"
	done
	# the clients' daemons connected again after each of b's restarts
	for h in a c; do
		rc=$("$MXW_CTL" -s "$DIR/$h.ctl" counters | sed -n 's/^ *reconnects: //p' | head -1)
		[ "${rc:-0}" -ge 3 ] || ns_fail "$h's daemon connected again ${rc:-0} time(s), not after each of b's 3 restarts"
	done
fi
echo "PASS"
