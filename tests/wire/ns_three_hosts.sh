#!/bin/bash
# Three hosts on a bridge: three exchanges at once (a-b, b-c, c-a), names
# resolved by broadcast HOST_QUERY across the bridge.
. "$(dirname "$0")/ns_lib.sh"
ns_require
ns_bridge_hosts a b c
pids=()
ns_run a timeout 300 "$MXW_XFER" -e 1 -d b:2 -n 2 > "$DIR/x1.log" 2>&1 & pids+=($!)
ns_run b timeout 300 "$MXW_XFER" -e 2 -d a:1 -n 2 > "$DIR/x2.log" 2>&1 & pids+=($!)
ns_run b timeout 300 "$MXW_XFER" -e 3 -d c:4 -n 2 > "$DIR/x3.log" 2>&1 & pids+=($!)
ns_run c timeout 300 "$MXW_XFER" -e 4 -d b:3 -n 2 > "$DIR/x4.log" 2>&1 & pids+=($!)
ns_run c timeout 300 "$MXW_XFER" -e 5 -d a:6 -n 2 > "$DIR/x5.log" 2>&1 & pids+=($!)
ns_run a timeout 300 "$MXW_XFER" -e 6 -d c:5 -n 2 > "$DIR/x6.log" 2>&1 & pids+=($!)
for p in "${pids[@]}"; do wait "$p" || ns_fail "an exchange failed"; done
cat "$DIR"/x?.log
echo "PASS"
