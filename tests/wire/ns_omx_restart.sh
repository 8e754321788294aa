#!/bin/bash
# A native Open-MX node's messages across restarts of the myrixen daemon
# that receives them (issue 13).  omx_conform -r (omx_restart.c), a native
# Open-MX node of our own on raw AF_PACKET in namespace o, streams COUNT
# messages of every size class, 8 in flight, to the reflector
# (`mxw_xfer -R`) in namespace d and checks each echo.  The node behaves
# as Open-MX 1.5.4 does with the new daemon's frames (resends every
# 500 ms, acks, nacks, connects: see omx_restart.c).  The daemon in d is
# restarted while the node streams: it pauses after messages 150 and 250
# and loses every frame of the daemon until it was restarted (SIGTERM the
# first time, SIGKILL the second), so it resends messages the daemon had
# taken and acked, and the new daemon must take up the node's numbering.
# Without "stream" the second restart is made instead while the daemon
# pulls one of the node's rendezvous, then another one (SIGTERM, SIGKILL):
# the node drops those pulls, as lost on the wire, until the restart.
# The new daemon must pull those again with the window the old one
# announced (MXN_CMD_PULL_WIRE): Open-MX never announces them again.
# Passes when every message was delivered once, in order, byte for byte,
# and echoed; a send the node saw fail must not have been delivered, and
# none may stay open.
#
# dup: as stream, but in each pause the node takes the daemon's echoes and
# loses its own frames (its acks): the restarted daemon's library sends
# those echoes again, and the node, whose connect reply gives the new
# daemon a start past them, must not take them twice (MXN_EVT_WIRE_SEQ,
# MXN_CMDF_WIRE_SEQ: counter native_skips).
#
# rndvdup: as without a mode, but while a rendezvous is held the node loses
# the daemon's acks too, so it sends that rendezvous again to the new
# daemon, and the pulls stay lost 4 s more: the copy is delivered while
# the PULL_WIRE of the first is under way, and must not end the node's send
# early (a NOTIFY for it would: Open-MX completes a send on any NOTIFY
# naming its window, with the length the NOTIFY gives).
#
# accept: as stream, but the reflector only accepted the node's connection
# (it answers each message's source, never connecting): its new daemon
# needs its library to connect to the node (lib/reattach.c note_told),
# or the node's frames find no partner and its sends fail "bad session".
#
#   ns_omx_restart.sh [stream|dup|rndvdup|accept]   stream: wire_ns_omx_restart,
#                                 dup: wire_ns_omx_restart_dup,
#                                 rndvdup: wire_ns_omx_restart_rndvdup,
#                                 accept: wire_ns_omx_restart_accept; without
#                                 it the rendezvous restarts (wire_ns_omx_restart_rndv)
. "$(dirname "$0")/ns_lib.sh"
ns_require
: "${MXW_CONFORM:?}"
MODE=${1:-all}
RNDV=false  # the restarts come while the daemon pulls the node's rendezvous
case $MODE in all|rndvdup) RNDV=true ;; esac
N=${MXW_OMX_RESTART_N:-900}
ns_add d; ns_add o
ns_veth d vd o vo 9000
omac=$(ip -n "${P}o" -o link show "${P}vo" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
dmac=$(ip -n "${P}d" -o link show "${P}vd" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ns_daemon d vd "peer = omxnode $omac"
: > "$DIR/hold"
pauses=150,250
$RNDV && pauses=150
reflect=(-d omxnode:0:0 -R)
node=()
[ "$MODE" = accept ] && { reflect=(-A); node=(-a); }
[ "$MODE" = dup ] && node=(-M)
[ "$MODE" = rndvdup ] && node=(-D)
ip netns exec "${P}o" timeout 150 "$MXW_CONFORM" -i "${P}vo" -p "$dmac" -m 9000 -k 0x4242 \
	-r "$N" -H "$DIR/hold" -P "$pauses" "${node[@]}" > "$DIR/omx.log" 2>&1 &
omx=$!
ns_run d timeout 150 "$MXW_XFER" -e 1 "${reflect[@]}" -k 0x4242 -n "$N" > "$DIR/app.log" 2>&1 &
app=$!

# restart SIGNAL: the daemon in d stopped with SIGNAL and started again
restart() {
	local sig=$1 pid=$PID_d
	kill -"$sig" "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && ns_fail "daemon did not stop on SIG$sig"
	mv "$DIR/d.log" "$DIR/d.$sig.log"
	[ "$sig" = KILL ] && rm -f "$DIR/d.sock" "$DIR/d.ctl"
	ns_daemon d vd "peer = omxnode $omac"
	echo "restarted d's daemon (SIG$sig): $(grep '^progress' "$DIR/omx.log" | tail -1)"
}

# The node pauses (or holds a rendezvous's pulls) and says "(hold I)";
# the daemon is restarted then, and the node told to go on.
sigs="TERM KILL"
$RNDV && sigs="TERM TERM KILL"
i=0
for sig in $sigs; do
	i=$((i + 1))
	for _ in $(seq 1200); do
		grep -q "(hold $i)" "$DIR/omx.log" && break
		kill -0 $omx 2>/dev/null || break
		sleep 0.05
	done
	grep -q "(hold $i)" "$DIR/omx.log" || ns_fail "the node never paused ($i): $(tail -2 "$DIR/omx.log")"
	restart "$sig"
	printf x >> "$DIR/hold"
done
# stream, accept: the node's rendezvous (messages 300, 600) are not held
$RNDV || printf xx >> "$DIR/hold"
wait $omx; orc=$?
wait $app; arc=$?
grep -v "^progress:" "$DIR/omx.log"
grep -v "^reflect: got" "$DIR/app.log"
[ -n "${MXW_CTL:-}" ] && "$MXW_CTL" -s "$DIR/d.ctl" counters | grep -E ' (native_resyncs|native_repulls|native_skips|native_untold|quiet_drops|dups|drops|nacks_tx|acks_tx|reconnects|leaves|requeued): '
[ $orc = 0 ] || ns_fail "native node: $(tail -1 "$DIR/omx.log")"
[ $arc = 0 ] || ns_fail "reflector: exit $arc"
# the last daemon (SIGKILL while the old one pulled message 600) pulled it again
if $RNDV && [ -n "${MXW_CTL:-}" ]; then
	rp=$("$MXW_CTL" -s "$DIR/d.ctl" counters | awk '/ native_repulls:/ {print $2; exit}')
	[ "${rp:-0}" -ge 1 ] || ns_fail "the new daemon pulled no rendezvous again (native_repulls ${rp:-none})"
fi
# the last daemon completed the echoes the node had taken without a frame
if [ "$MODE" = dup ] && [ -n "${MXW_CTL:-}" ]; then
	sk=$("$MXW_CTL" -s "$DIR/d.ctl" counters | awk '/ native_skips:/ {print $2; exit}')
	[ "${sk:-0}" -ge 1 ] || ns_fail "the new daemon skipped no echo the node had (native_skips ${sk:-none})"
fi
echo "PASS"
