#!/bin/bash
# it_survive -u, the open-ended stream the Xen migrate scenario relies on:
# it must run on until the endpoints have re-attached, then the asked
# number of round trips more, and end cleanly on both sides.  The re-attach
# here is a restart of the local daemon (SIGTERM, a new myribackd on the
# same configuration) 300 round trips in.
#   run_with_daemon.sh MYRIBACKD survive_until.sh IT_SURVIVE MYRIBACKD
set -u
surv=$1 daemon=$2
dir=$MYRIXEN_TEST_DIR
"$surv" -s -e 5 -w 8 -S 4000 -u 400 > "$dir/echo.txt" 2>&1 &
echo_pid=$!
"$surv" -c -d "$(hostname):5" -w 8 -S 4000 -n 100 -u 400 -p 50 > "$dir/client.txt" 2>&1 &
client_pid=$!
for _ in $(seq 600); do
	grep -q '^it_survive: 300 round trips verified' "$dir/client.txt" && break
	sleep 0.05
done
grep -q '^it_survive: 300 round trips verified' "$dir/client.txt" ||
	{ echo "FAIL: no progress"; cat "$dir/client.txt"; exit 1; }
kill -TERM "$MYRIXEN_TEST_DAEMON_PID"
while kill -0 "$MYRIXEN_TEST_DAEMON_PID" 2>/dev/null; do sleep 0.05; done
"$daemon" -f -c "$dir/myribackd.conf" > "$dir/daemon2.log" 2>&1 &
d2=$!
trap 'kill -TERM $d2 2>/dev/null; wait $d2' EXIT
wait $client_pid; crc=$?
wait $echo_pid; erc=$?
cat "$dir/client.txt" "$dir/echo.txt"
rc=0
[ $crc = 0 ] || { echo "FAIL: client exit $crc"; rc=1; }
[ $erc = 0 ] || { echo "FAIL: echo side exit $erc"; rc=1; }
# the run went on past the re-attach by exactly the asked number
at=$(sed -n 's/^it_survive: re-attached or followed after \([0-9]*\) round trips, 400 more$/\1/p' "$dir/client.txt")
[ -n "$at" ] || { echo "FAIL: the client never saw its re-attach"; rc=1; }
grep -q "^it_survive: client verified $((${at:-0} + 400)) round trips$" "$dir/client.txt" ||
	{ echo "FAIL: client did not stop 400 round trips after the re-attach"; rc=1; }
grep -q "^it_survive: server took $((${at:-0} + 400)) messages$" "$dir/echo.txt" ||
	{ echo "FAIL: echo side did not stop at the client's last message"; rc=1; }
exit $rc
