# it_survive (tests/integration/it_survive.c) through /dev/myrixen while
# dom0 restarts myribackd or saves and restores this guest.  Kernel command
# line: mxt.side=echo|client|both (both: the two ends in this guest),
# mxt.n (messages), mxt.reattach (re-attaches each end must report, at least),
# mxt.max (largest message), mxt.peer=HOST:EP (the client's echo side; by
# default endpoint 1 of this host), mxt.until=A (open-ended: stream until
# the endpoint has re-attached, then A more round trips; mxt.n the least),
# mxt.peer2=HOST:EP (a second client streams to that echo side too: a
# peer on another host, migrate), mxt.echo=EP[,EP...] (an echo side at each
# endpoint EP for a client elsewhere that connects to this guest, which
# only replies: migrate; its library must tell that client of the move).
need "myrixen device connected" wait_for 200 shim_is Connected || return
N=$(cmdline_arg mxt.n); N=${N:-1000}
WANT=$(cmdline_arg mxt.reattach); WANT=${WANT:-1}
MAX=$(cmdline_arg mxt.max); MAX=${MAX:-70000}
SIDE=$(cmdline_arg mxt.side)
UNTIL=$(cmdline_arg mxt.until); U=${UNTIL:+-u $UNTIL}
# every line on the console too (the scenario waits for some of them)
show() { while read -r l; do say "$l"; echo "$l" >> "$1"; done; }
if [ "$SIDE" = both ]; then
  it_survive -s -e 1 -n $N -w 8 -S $MAX $U > /tmp/sv-echo.txt 2>&1 &
  ECHO=$!
fi
ECHO_EPS=$(cmdline_arg mxt.echo | tr , ' ')
ECHO_PIDS=
for e in $ECHO_EPS; do
  it_survive -s -e $e -n $N -w 8 -S $MAX $U > /tmp/sv-echo-$e.txt 2>&1 &
  ECHO_PIDS="$ECHO_PIDS $!"
done
# the clients open any free index: only once the echo sides hold theirs
echo_open() { grep -q 'echo side on endpoint' "$1" || ! kill -0 $2; }
[ -z "${ECHO:-}" ] || wait_for 60 echo_open /tmp/sv-echo.txt $ECHO
set -- $ECHO_PIDS
for e in $ECHO_EPS; do wait_for 60 echo_open /tmp/sv-echo-$e.txt $1; shift; done
PEER2=$(cmdline_arg mxt.peer2)
if [ -n "$PEER2" ]; then
  it_survive -c -d $PEER2 -n $N -w 8 -S $MAX $U > /tmp/sv-peer2.txt 2>&1 &
  PEER2_PID=$!
fi
if [ "$SIDE" = echo ]; then
  it_survive -s -e 1 -n $N -w 8 -S $MAX $U 2>&1 | show /tmp/sv.txt
  grep -q 'it_survive server: ok' /tmp/sv.txt; rc=$?
else
  HOST=$(mx_info 2>/dev/null | sed -n 's/.*[Hh]ostname[^:]*: *\([^ ]*\).*/\1/p' | head -1)
  HOST=${HOST%%:*}
  DEST=$(cmdline_arg mxt.peer); DEST=${DEST:-${HOST:-emuhost}:1}
  say "streaming $N messages to $DEST"
  it_survive -c -d $DEST -n $N -w 8 -S $MAX -p 50 $U 2>&1 | show /tmp/sv.txt
  grep -q 'it_survive client: ok' /tmp/sv.txt; rc=$?
fi
check "every message and reply verified, in order, none twice" [ $rc = 0 ]
if [ -n "${ECHO:-}" ]; then
  wait $ECHO; erc=$?; cat /tmp/sv-echo.txt
  check "echo side verified every message, in order, none twice" [ $erc = 0 ]
  GOT=$(sed -n 's/.*Re-attaches[^0-9]*\([0-9]*\).*/\1/p' /tmp/sv-echo.txt | tail -1)
  check "echo side re-attached ${GOT:-0} time(s) (want >= $WANT)" [ "${GOT:-0}" -ge "$WANT" ]
fi
if [ -n "${PEER2_PID:-}" ]; then
  wait $PEER2_PID; prc=$?; cat /tmp/sv-peer2.txt
  check "stream to $PEER2: every reply verified, in order, none twice" [ $prc = 0 ]
fi
set -- $ECHO_PIDS
for e in $ECHO_EPS; do
  wait $1; xrc=$?; shift; cat /tmp/sv-echo-$e.txt
  check "echo side $e (its client connected from elsewhere): every message once, in order" [ $xrc = 0 ]
  check "echo side $e told its client of the move (Peers told we moved)" \
    grep -qE 'Peers told we moved[^,]* [1-9]' /tmp/sv-echo-$e.txt
done
GOT=$(sed -n 's/.*Re-attaches[^0-9]*\([0-9]*\).*/\1/p' /tmp/sv.txt | tail -1)
check "library re-attached ${GOT:-0} time(s) (want >= $WANT)" [ "${GOT:-0}" -ge "$WANT" ]
P=/sys/module/myrixen/parameters
say "shim counters: reattaches $(cat $P/reattaches) resumes $(cat $P/resumes) pair_bells $(cat $P/pair_bells) pair_bells_broken $(cat $P/pair_bells_broken) peer_maps $(cat $P/peer_maps) peer_maps_dropped $(cat $P/peer_maps_dropped) peer_maps_failed $(cat $P/peer_maps_failed)"
