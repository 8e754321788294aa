#!/bin/bash
# Killing the peer's daemon gives the sender an error status, not a hang,
# once a's peer_timeout_ms (6 s here; 65 s by default, for a killed daemon
# that comes back: ns_restart_large.sh) is over; a wrong key is refused; a
# closed endpoint is refused.
. "$(dirname "$0")/ns_lib.sh"
ns_require
ns_add a; ns_add b
ns_veth a va b vb
ns_daemon a va "peer_timeout_ms = 6000"
ns_daemon b vb
ns_run a timeout 60 "$MXW_XFER" -e 7 -k 0x12345 -n 5 -H >/dev/null 2>&1 &
holder=$!
sleep 0.5
ns_run b timeout 60 "$MXW_XFER" -e 2 -d a:7 -k 0x999 -B > "$DIR/badkey.log" 2>&1
wait $holder
grep -q "refused (bad key)" "$DIR/badkey.log" || ns_fail "wrong key not refused: $(cat "$DIR/badkey.log")"
ns_run a timeout 60 "$MXW_XFER" -e 1 -d b:9 -C > "$DIR/closed.log" 2>&1 || ns_fail "closed endpoint: $(cat "$DIR/closed.log")"
ns_run b timeout 120 "$MXW_XFER" -e 2 -d a:1 -K > "$DIR/xb.log" 2>&1 &
ns_run a timeout 120 "$MXW_XFER" -e 1 -d b:2 -K > "$DIR/xa.log" 2>&1 &
xa=$!
sleep 2
kill -KILL "$PID_b"
start=$(date +%s)
wait $xa || ns_fail "sender hung or saw no error: $(cat "$DIR/xa.log")"
echo "$(cat "$DIR/badkey.log"); $(cat "$DIR/closed.log"); $(cat "$DIR/xa.log") in $(( $(date +%s) - start )) s"
kill -0 "$PID_a" || ns_fail "surviving daemon died"
echo "PASS"
