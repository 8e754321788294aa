#!/bin/bash
# Two hosts through the impairment relay (AF_PACKET between two veth pairs,
# seeded): 5% loss, then reordering, then duplication, then all three.
# Every message must still arrive exactly once, intact, in MX order.
# Each phase sends every size class up to 1 MiB (rendezvous pulls of 16+
# blocks included), twice each way, all in flight at once; the 4 MiB class
# is left to the unimpaired tests, to keep this one well under a minute on a
# loaded 2-core machine.
. "$(dirname "$0")/ns_lib.sh"
ns_require
: "${MXW_RELAY:?}"
ns_add a; ns_add r; ns_add b
ns_veth a va r ra
ns_veth r rb b vb
ns_daemon a va
ns_daemon b vb
phase=0
# MXW_PHASES="-l 5;-u 20" runs chosen phases (for chasing a failure)
IFS=';' read -r -a phases <<< "${MXW_PHASES:--l 5;-r 25;-u 20;-l 3 -r 10 -u 10}"
XFER_MAX=${MXW_XFER_MAX:-1048576}
start=$SECONDS
for imp in "${phases[@]}"; do
	phase=$((phase + 1))
	t0=$SECONDS
	ip netns exec "${P}r" "$MXW_RELAY" "${P}ra" "${P}rb" -s $phase $imp > "$DIR/relay$phase.out" 2>&1 &
	relay=$!
	PIDS+=($relay)
	sleep 0.3
	ns_run a timeout 120 "$MXW_XFER" -e 1 -d b:2 -n 2 -m "$XFER_MAX" > "$DIR/xa$phase.log" 2>&1 &
	xa=$!
	ns_run b timeout 120 "$MXW_XFER" -e 2 -d a:1 -n 2 -m "$XFER_MAX" > "$DIR/xb$phase.log" 2>&1 || ns_fail "phase '$imp': b side"
	wait $xa || ns_fail "phase '$imp': a side"
	kill -TERM $relay; wait $relay
	echo "phase '$imp' ($((SECONDS - t0)) s): $(cat "$DIR/relay$phase.out")"
	cat "$DIR/xa$phase.log" "$DIR/xb$phase.log"
	grep -q "dropped 0 delayed 0 duplicated 0" "$DIR/relay$phase.out" && ns_fail "relay did not impair"
done
kill -0 "$PID_a" && kill -0 "$PID_b" || ns_fail "a daemon died"
# nothing was given up: both peers stayed alive throughout
grep -q "given up" "$DIR/a.log" "$DIR/b.log" && ns_fail "a transfer was given up between live peers"
echo "PASS ($((SECONDS - start)) s)"
