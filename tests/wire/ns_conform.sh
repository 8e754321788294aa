#!/bin/bash
# Open-MX conformance at Open-MX MTU $1 (default 9000) on an interface of
# MTU $2 (default $1; when larger, the daemon is told wire_mtu = $1, as for
# an Open-MX built --with-mtu=$1 on a jumbo network): omx_conform, a native
# Open-MX node of our own written from Open-MX's layouts (not from the
# engine's codec), on raw AF_PACKET in namespace o, against myribackd in
# namespace d, whose application (mxw_xfer -R) checks what it receives and
# sends it back.  The peers are static on both sides, as a mixed cluster
# needs them: the daemon lists "omxnode" (no board suffix: the naming rule
# makes "omxnode:0" find it), the node knows the daemon's MAC.
. "$(dirname "$0")/ns_lib.sh"
ns_require
: "${MXW_CONFORM:?}"
MTU=${1:-9000}
IFMTU=${2:-$MTU}
extra=()
[ "$IFMTU" = "$MTU" ] || extra=("wire_mtu = $MTU")
ns_add d; ns_add o
ns_veth d vd o vo "$IFMTU"
omac=$(ip -n "${P}o" -o link show "${P}vo" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
dmac=$(ip -n "${P}d" -o link show "${P}vd" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ns_daemon d vd "peer = omxnode $omac" "${extra[@]}"
q=()
[ -n "${MXW_CTL:-}" ] && q=(-q 15)
ip netns exec "${P}o" timeout 120 "$MXW_CONFORM" -i "${P}vo" -p "$dmac" -m "$MTU" -k 0x4242 \
	"${q[@]}" > "$DIR/omx.log" 2>&1 &
omx=$!
ns_run d timeout 120 "$MXW_XFER" -e 1 -d omxnode:0:0 -k 0x4242 -R -n 5 > "$DIR/app.log" 2>&1
app=$?
if [ -n "${MXW_CTL:-}" ]; then
	# a HOST_QUERY to the node, answered as Open-MX does ("omxnode:0" and
	# its NUL, length 10): understood, no bad frame counted
	for _ in $(seq 50); do grep -q "waiting up to" "$DIR/omx.log" && break; sleep 0.1; done
	"$MXW_CTL" -s "$DIR/d.ctl" ping omxnode:0 > "$DIR/ping.log" 2>&1 || ns_fail "myrixenctl ping"
	grep -q "remote_hostname: omxnode:0$" "$DIR/ping.log" || ns_fail "ping: $(cat "$DIR/ping.log")"
	"$MXW_CTL" -s "$DIR/d.ctl" --json counters > "$DIR/counters.json" 2>&1
	python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["wire"]["protocol"]; sys.exit(p["bad_frames"] != 0 or p["timeouts"] != 0)' \
		"$DIR/counters.json" || ns_fail "bad frames or timeouts: $(cat "$DIR/counters.json")"
fi
wait $omx
rc=$?
cat "$DIR/omx.log" "$DIR/app.log" "$DIR/ping.log" 2>/dev/null
[ $rc = 0 ] || ns_fail "omx_conform at MTU $MTU"
[ $app = 0 ] || ns_fail "reflector at MTU $MTU"
kill -0 "$PID_d" || ns_fail "myribackd died"
echo "PASS"
