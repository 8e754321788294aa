# myribackd restarted under load (issue 13): u1 runs it_survive's echo
# side, u2 streams messages of every size class to it (8 in flight each
# way, every byte checked, order checked so a loss or a duplicate fails).
# Once traffic flows dom0 stops myribackd (SIGTERM) and starts a new one:
# the shim and the library re-attach both endpoints on their own (same
# index and session), resend what had not completed, and both programs
# finish with every message verified once.
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
N=${SURVIVE_N:-600}
daemon_start || { fail "myribackd start"; return; }
D1=$(domu_create u1 pv survive "mxt.side=echo mxt.n=$N") || { fail "create u1"; return; }
check "myrixenctl attach u1" myrixenctl attach $D1
need "u1 echo side up" wait_for 200 guest_says u1 'echo side on endpoint' || return
D2=$(domu_create u2 pv survive "mxt.side=client mxt.n=$N") || { fail "create u2"; return; }
check "myrixenctl attach u2" myrixenctl attach $D2
need "traffic in flight (100 round trips verified)" wait_for 150 guest_says u2 "100/$N round trips" || return
T0=$(up)
check "myribackd stops (SIGTERM) under load" daemon_stop
check "myribackd starts again" daemon_start
say "daemon down and up again in $(awk "BEGIN { print $(up) - $T0 }") s"
check "u2 (client) verdict" domu_result u2 200
check "u1 (echo) verdict" domu_result u1 60
myrixenctl counters > /tmp/counters.txt; cat /tmp/counters.txt
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "new daemon re-attached both endpoints ($(cnt eps_reattached))" [ "$(cnt eps_reattached)" -ge 2 ]
check "every endpoint detached, no grant page left mapped" [ "$(cnt endpoints)" = 0 -a "$(cnt grant_pages_mapped)" = 0 ]
check "no grant copy fault" [ "$(cnt copy_faults)" = 0 ]
check "daemon alive" kill -0 $MXD_PID
daemon_stop
