#!/bin/bash
# Interface trouble at start: a missing interface or a too-small MTU stops
# myribackd with a clear error; a link without carrier starts in state
# "down" (shown by myrixenctl status) and comes up with the link.
. "$(dirname "$0")/ns_lib.sh"
ns_require
ns_add a; ns_add b
ns_veth a va b vb 1280
ip -n "${P}b" link set "${P}vb" down
start_expect_fail() {
	local name=$1 ifc=$2 want=$3
	printf 'transports = local\nlocal_socket = %s\nctl_socket = %s\ninterface = %s\n' \
		"$DIR/$name.sock" "$DIR/$name.ctl" "$ifc" > "$DIR/$name.conf"
	timeout 10 ip netns exec "${P}a" "$MYRIBACKD" -f -c "$DIR/$name.conf" > "$DIR/$name.log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || ns_fail "$name: myribackd did not refuse to start (rc $rc)"
	grep -q "$want" "$DIR/$name.log" || ns_fail "$name: no clear error ('$want')"
	echo "$name: refused: $(grep wire: "$DIR/$name.log" | head -1)"
}
start_expect_fail missing "${P}nosuch" "not found"
start_expect_fail mtu "${P}va" "MTU 1280"
ip -n "${P}a" link set "${P}va" mtu 9000
ip -n "${P}b" link set "${P}vb" mtu 9000
ns_daemon a va
grep -q "no carrier" "$DIR/a.log" || ns_fail "down link not reported at start"
if [ -n "${MXW_CTL:-}" ]; then
	for _ in $(seq 100); do [ -S "$DIR/a.ctl" ] && break; sleep 0.05; done
	"$MXW_CTL" -s "$DIR/a.ctl" status > "$DIR/st1.txt" || ns_fail "myrixenctl status"
	grep -q "link: down" "$DIR/st1.txt" || ns_fail "status does not show the link down"
fi
ip -n "${P}b" link set "${P}vb" up
for _ in $(seq 50); do grep -q "is up" "$DIR/a.log" && break; sleep 0.1; done
grep -q "is up" "$DIR/a.log" || ns_fail "link up not noticed"
if [ -n "${MXW_CTL:-}" ]; then
	"$MXW_CTL" -s "$DIR/a.ctl" status > "$DIR/st2.txt" || ns_fail "myrixenctl status"
	grep -q "link: up" "$DIR/st2.txt" || ns_fail "status does not show the link up"
fi
ns_daemon b vb
ns_run a timeout 120 "$MXW_XFER" -e 1 -d b:2 -n 1 > "$DIR/xa.log" 2>&1 &
xa=$!
ns_run b timeout 120 "$MXW_XFER" -e 2 -d a:1 -n 1 > "$DIR/xb.log" 2>&1 || ns_fail "exchange after link up (b)"
wait $xa || ns_fail "exchange after link up (a)"
echo "link down at start, then up: exchange ok"
echo "PASS"
