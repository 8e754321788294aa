# myribackd restarted under load (issue 13): u1 runs it_survive's echo
# side, u2 streams messages of every size class to it (8 in flight each
# way, every byte checked, order checked so a loss or a duplicate fails).
# Once traffic flows dom0 stops myribackd (SIGTERM) and starts a new one:
# the shim and the library re-attach both endpoints on their own (same
# index and session), resend what had not completed, and both programs
# finish with every message verified once.  u2's tiny/small/medium
# messages go through their Xen pair channel (xen_pair_channels, the
# default; SURVIVE_PAIRS=no runs without), which outlives the daemon and
# is taken over by the new one under its own id (both guests count "Pair
# channels kept"); the pair counters rise before and after the restart.
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
N=${SURVIVE_N:-600}
PAIRS=${SURVIVE_PAIRS:-yes}
MXD_EXTRA_CONF="xen_pair_channels = $PAIRS"
daemon_start || { fail "myribackd start"; return; }
D1=$(domu_create u1 pv survive "mxt.side=echo mxt.n=$N") || { fail "create u1"; return; }
check "myrixenctl attach u1" myrixenctl attach $D1
need "u1 echo side up" wait_for 200 guest_says u1 'echo side on endpoint' || return
D2=$(domu_create u2 pv survive "mxt.side=client mxt.n=$N") || { fail "create u2"; return; }
check "myrixenctl attach u2" myrixenctl attach $D2
need "traffic in flight (100 round trips verified)" wait_for 150 guest_says u2 "100/$N round trips" || return
pair_sends() { sed -n 's/.*it_survive: pair sends \([0-9]*\).*/\1/p' "$(guest_log u2)" | tail -1; }
P0=$(pair_sends)
[ $PAIRS = yes ] && check "u2's stream went through the pair channel before the restart (${P0:-0} pair sends)" [ "${P0:-0}" -gt 0 ]
T0=$(up)
check "myribackd stops (SIGTERM) under load" daemon_stop
check "myribackd starts again" daemon_start
say "daemon down and up again in $(awk "BEGIN { print $(up) - $T0 }") s"
P1=$(pair_sends)
check "u2 (client) verdict" domu_result u2 200
check "u1 (echo) verdict" domu_result u1 60
P2=$(sed -n 's/.*client longest pause.*Pair channel sends \([0-9]*\).*/\1/p' "$(guest_log u2)" | tail -1)
K=$(sed -n 's/.*client longest pause.*Pair channels kept across a re-attach \([0-9]*\).*/\1/p' "$(guest_log u2)" | tail -1)
L1=$(survive_counter u1 'Buffered sends failed after completion')
L2=$(survive_counter u2 'Buffered sends failed after completion')
check "no send completed at issue failed after (u1 ${L1:-?}, u2 ${L2:-?})" [ "${L1:-x}" = 0 -a "${L2:-x}" = 0 ]
[ $PAIRS = yes ] && check "the pair channel carried u2's stream after the restart (pair sends ${P1:-0} at the restart, ${P2:-0} at the end), kept under the new daemon (${K:-0})" [ "${P2:-0}" -gt "${P1:-0}" -a "${K:-0}" -ge 1 ]
myrixenctl counters > /tmp/counters.txt; cat /tmp/counters.txt
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "new daemon re-attached both endpoints ($(cnt eps_reattached))" [ "$(cnt eps_reattached)" -ge 2 ]
check "every endpoint detached, no grant page left mapped" [ "$(cnt endpoints)" = 0 -a "$(cnt grant_pages_mapped)" = 0 ]
check "no grant copy fault" [ "$(cnt copy_faults)" = 0 ]
check "daemon alive" kill -0 $MXD_PID
daemon_stop
