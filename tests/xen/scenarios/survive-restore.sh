# xl save, then xl restore, of a guest with open endpoints and traffic in
# flight (issue 13): both ends of it_survive run in u1 (client and echo
# side, 8 messages in flight each way, every byte and the order checked).
# Mid-stream dom0 saves u1 to a file (the domain is gone) and restores it
# (a new domain id, a new grant table, new event channels): myribackd
# recognises the returning domain (same /vm/<uuid>) and attaches it again,
# the shim's xenbus resume re-grants every endpoint area, the library
# re-attaches and resends, and both programs finish with every message
# verified once.
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
N=${SURVIVE_N:-1200}
GUEST_MEM=128
daemon_start || { fail "myribackd start"; return; }
BASE=$(gntdev_maps)
D1=$(domu_create u1 pv survive "mxt.side=both mxt.n=$N") || { fail "create u1"; return; }
check "myrixenctl attach u1" myrixenctl attach $D1
need "traffic in flight (200 round trips verified)" wait_for 240 guest_says u1 "200/$N round trips" || return
T0=$(up)
need "xl save u1 (domain saved, then gone)" xl save u1 /tmp/u1.save || return
say "saved in $(awk "BEGIN { print $(up) - $T0 }") s ($(du -m /tmp/u1.save | cut -f1) MiB)"
check "the saved domain's endpoints are gone from dom0" wait_for 30 maps_at_most $BASE
T1=$(up)
need "xl restore" xl restore /tmp/u1.save || return
rm -f /tmp/u1.save
D2=$(xl domid u1)
say "restored as domain $D2 in $(awk "BEGIN { print $(up) - $T1 }") s"
check "restored domain has a new id ($D1 -> $D2)" [ "$D2" != "$D1" ]
check "myribackd attached the returning domain by itself" wait_for 30 xs_is /local/domain/0/backend/myrixen/$D2/0/state 4
check "u1 verdict (both ends)" domu_result u1 300
myrixenctl counters > /tmp/counters.txt; cat /tmp/counters.txt
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "domains_restored counted ($(cnt domains_restored))" [ "$(cnt domains_restored)" = 1 ]
check "both endpoints re-attached ($(cnt eps_reattached))" [ "$(cnt eps_reattached)" -ge 2 ]
check "no grant copy fault" [ "$(cnt copy_faults)" = 0 ]
check "daemon alive" kill -0 $MXD_PID
daemon_stop
