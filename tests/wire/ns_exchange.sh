#!/bin/bash
# Two hosts joined by a veth pair: every size class across its boundaries,
# both directions at once, many messages in flight, every byte checked.
# Then the same at MTU 1500 (4 KiB-class medium fragments).
# ns_exchange.sh spin: the daemons' poll windows spin even on 2 CPUs
# (poll_spin = force), so frames are also taken by the spin (loop.c
# spin_rx) whenever the host has a CPU to spare.
. "$(dirname "$0")/ns_lib.sh"
ns_require
EXTRA=()
[ "${1:-}" = spin ] && EXTRA=("poll_spin = force")
for mtu in 9000 1500; do
	ns_add a$mtu
	ns_add b$mtu
	ns_veth a$mtu va$mtu b$mtu vb$mtu $mtu
	ns_daemon a$mtu va$mtu "${EXTRA[@]}"
	ns_daemon b$mtu vb$mtu "${EXTRA[@]}"
	ns_run a$mtu timeout 300 "$MXW_XFER" -e 1 -d b$mtu:2 -n 4 > "$DIR/xa$mtu.log" 2>&1 &
	xa=$!
	ns_run b$mtu timeout 300 "$MXW_XFER" -e 2 -d a$mtu:1 -n 4 > "$DIR/xb$mtu.log" 2>&1 || ns_fail "MTU $mtu: host b side"
	wait $xa || ns_fail "MTU $mtu: host a side"
	cat "$DIR/xa$mtu.log" "$DIR/xb$mtu.log"
	kill -0 "$(eval echo \$PID_a$mtu)" && kill -0 "$(eval echo \$PID_b$mtu)" || ns_fail "a daemon died"
	# how much the spin took (load decides: not asserted)
	if [ -n "${MXW_CTL:-}" ] && [ ${#EXTRA[@]} -gt 0 ]; then
		for h in a$mtu b$mtu; do
			"$MXW_CTL" -s "$DIR/$h.ctl" --json status | python3 -c \
				'import json, sys; s = json.load(sys.stdin)["spin"]; assert s["mode"] == "force", s; print(sys.argv[1], "spin", s)' "$h" ||
				ns_fail "$h: status spin"
		done
	fi
done
echo "PASS"
