#!/bin/bash
# Two hosts joined by a veth pair: every size class across its boundaries,
# both directions at once, many messages in flight, every byte checked.
# Then the same at MTU 1500 (4 KiB-class medium fragments).
. "$(dirname "$0")/ns_lib.sh"
ns_require
for mtu in 9000 1500; do
	ns_add a$mtu
	ns_add b$mtu
	ns_veth a$mtu va$mtu b$mtu vb$mtu $mtu
	ns_daemon a$mtu va$mtu
	ns_daemon b$mtu vb$mtu
	ns_run a$mtu timeout 300 "$MXW_XFER" -e 1 -d b$mtu:2 -n 4 > "$DIR/xa$mtu.log" 2>&1 &
	xa=$!
	ns_run b$mtu timeout 300 "$MXW_XFER" -e 2 -d a$mtu:1 -n 4 > "$DIR/xb$mtu.log" 2>&1 || ns_fail "MTU $mtu: host b side"
	wait $xa || ns_fail "MTU $mtu: host a side"
	cat "$DIR/xa$mtu.log" "$DIR/xb$mtu.log"
	kill -0 "$(eval echo \$PID_a$mtu)" && kill -0 "$(eval echo \$PID_b$mtu)" || ns_fail "a daemon died"
done
echo "PASS"
