# A save that leaves the guest running (issue 13): `xl save -c` (a
# checkpoint) suspends u1, writes it out and resumes it in place, as a save
# that fails or is cancelled does.  Linux tells no driver of such a resume,
# and myribackd detached u1's endpoints when it was asked to suspend: it
# watches the domain, sees it running again and restarts the device, and
# the library re-attaches.  Both ends of it_survive run in u1 with traffic
# in flight and finish with every message verified once.
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
N=${SURVIVE_N:-1200}
GUEST_MEM=128
daemon_start || { fail "myribackd start"; return; }
D1=$(domu_create u1 pv survive "mxt.side=both mxt.n=$N") || { fail "create u1"; return; }
check "myrixenctl attach u1" myrixenctl attach $D1
need "traffic in flight (200 round trips verified)" wait_for 240 guest_says u1 "200/$N round trips" || return
T0=$(up)
need "xl save -c u1 (checkpoint: u1 keeps running)" xl save -c u1 /tmp/u1.save || return
say "checkpointed in $(awk "BEGIN { print $(up) - $T0 }") s"
rm -f /tmp/u1.save
check "u1 still runs as domain $D1" [ "$(xl domid u1)" = "$D1" ]
check "the device came back (backend Connected)" wait_for 60 xs_is /local/domain/0/backend/myrixen/$D1/0/state 4
check "u1 verdict (both ends)" domu_result u1 300
myrixenctl counters > /tmp/counters.txt; cat /tmp/counters.txt
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "resume in place counted ($(cnt suspends_cancelled))" [ "$(cnt suspends_cancelled)" = 1 ]
check "both endpoints re-attached ($(cnt eps_reattached))" [ "$(cnt eps_reattached)" -ge 2 ]
check "no grant copy fault" [ "$(cnt copy_faults)" = 0 ]
check "daemon alive" kill -0 $MXD_PID
daemon_stop
