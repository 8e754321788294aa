# xl save, then xl restore, of a guest with open endpoints and traffic in
# flight (issue 13): u1 runs the echo side of it_survive, u2 streams to it
# (every size class, 8 messages in flight each way, every byte and the
# order checked).  Mid-stream dom0 saves u1 to a file (the domain is gone)
# and restores it (a new domain id, a new grant table, new event
# channels): myribackd recognises the returning domain (same /vm/<uuid>)
# and attaches it again, the shim's xenbus resume re-grants every endpoint
# area, the library re-attaches and resends, and both programs finish with
# every message verified once.  (A third MX process in u1 made u1's kernel
# oops in its grant allocator, get_free_entries, before any save: two runs
# of two; so u1 runs one.)  While u1 is away
# myribackd parks u2's sends to it, fails u2's pulls of u1's rendezvous and
# u1's of u2's with MXN_ST_AWAY (each side announces again), and restores
# the connection u2 made once u1 re-attaches, so u2's stream loses nothing.
# u2's tiny/small/medium messages go through a Xen pair channel
# (xen_pair_channels, the default; SURVIVE_PAIRS=no runs without): u1 is
# side 1 and maps u2's pages, which its shim replaces by zeroes as u1
# suspends (the restored process died of SIGBUS before: its page table
# was left out of the image); u2's channel with u1 is torn down when u1
# suspends (u2 unmaps: the saved domain leaves no zombie) and a new one
# carries the stream once u1 is back (u2's pair counters rise before the
# save and after the restore).
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
N=${SURVIVE_N:-1200}
GUEST_MEM=128
PAIRS=${SURVIVE_PAIRS:-yes}
MXD_EXTRA_CONF="xen_pair_channels = $PAIRS"
daemon_start || { fail "myribackd start"; return; }
BASE=$(gntdev_maps)
D1=$(domu_create u1 pv survive "mxt.side=echo mxt.n=$N") || { fail "create u1"; return; }
check "myrixenctl attach u1" myrixenctl attach $D1
need "u1 echo side up" wait_for 200 guest_says u1 'echo side on endpoint' || return
U1MAPS=$(( $(gntdev_maps) - BASE ))   # u1's endpoint area, mapped by the daemon
D2=$(domu_create u2 pv survive "mxt.side=client mxt.n=$N mxt.reattach=0") || { fail "create u2"; return; }
check "myrixenctl attach u2" myrixenctl attach $D2
need "u2's stream to u1 in flight (100 round trips verified)" wait_for 240 guest_says u2 "100/$N round trips" || return
# u2's pair channel sends so far (its last progress line)
pair_sends() { sed -n 's/.*it_survive: pair sends \([0-9]*\).*/\1/p' "$(guest_log u2)" | tail -1; }
P0=$(pair_sends)
BOTH=$(gntdev_maps)
[ $PAIRS = yes ] && check "u2's stream went through the pair channel before the save (${P0:-0} pair sends)" [ "${P0:-0}" -gt 0 ]
T0=$(up)
need "xl save u1 (domain saved, then gone)" xl save u1 /tmp/u1.save || return
say "saved in $(awk "BEGIN { print $(up) - $T0 }") s ($(du -m /tmp/u1.save | cut -f1) MiB)"
check "the saved domain's endpoints are gone from dom0 ($U1MAPS of $BOTH mappings were u1's)" \
  wait_for 30 maps_at_most $((BOTH - U1MAPS))
check "no dying domain left (u2 unmapped u1's pair pages)" wait_for 30 no_zombies
T1=$(up)
need "xl restore" xl restore /tmp/u1.save || return
rm -f /tmp/u1.save
D3=$(xl domid u1)
say "restored as domain $D3 in $(awk "BEGIN { print $(up) - $T1 }") s"
P1=$(pair_sends)
check "restored domain has a new id ($D1 -> $D3)" [ "$D3" != "$D1" ]
check "myribackd attached the returning domain by itself" wait_for 30 xs_is /local/domain/0/backend/myrixen/$D3/0/state 4
check "u2 verdict (its stream to u1)" domu_result u2 300
check "u1 verdict (echo side)" domu_result u1 120
# The restored guest lets go of its old pair bells by IRQ number (the shim
# owns them): no BUG as with a port bound through /dev/xen/evtchn.
check "no kernel BUG or oops in u1 or u2" sh -c "! grep -q -e 'kernel BUG' -e 'Oops' $(guest_log u1) $(guest_log u2)"
bells() { sed -n 's/.*shim counters:.* pair_bells \([0-9]*\) pair_bells_broken \([0-9]*\).*/\1 \2/p' "$(guest_log u1)" | tail -1; }
[ $PAIRS = yes ] && check "u1's shim bound pair bells and the restore ended them (bound, ended: $(bells))" \
  [ "$(bells | cut -d' ' -f1)" -ge 1 -a "$(bells | cut -d' ' -f2)" -ge 1 ]
# u1 is side 1: it mapped u2's pages, which no page table may hold at the
# save (the restored process died of SIGBUS): the shim replaced them by
# zeroes when u1 suspended (include/myrixen/shim.h MYRIXEN_IOC_PEER_MAP).
pmaps() { sed -n 's/.*shim counters:.* peer_maps \([0-9]*\) peer_maps_dropped \([0-9]*\) peer_maps_failed \([0-9]*\).*/\1 \2 \3/p' "$(guest_log u1)" | tail -1; }
[ $PAIRS = yes ] && check "u1's shim dropped its mapping of u2's pages at the suspend (registered, dropped, failed: $(pmaps))" \
  [ "$(pmaps | cut -d' ' -f2)" -ge 1 -a "$(pmaps | cut -d' ' -f3)" = 0 ]
P2=$(sed -n 's/.*client longest pause.*Pair channel sends \([0-9]*\).*/\1/p' "$(guest_log u2)" | tail -1)
[ $PAIRS = yes ] && check "a new pair channel carried u2's stream after the restore (pair sends ${P1:-0} at the restore, ${P2:-0} at the end)" [ "${P2:-0}" -gt "${P1:-0}" ]
# what u1 had not consumed at the freeze: sent again through the daemon
RS=$(sed -n 's/.*client longest pause.*Pair slots sent again through the daemon for a saved peer \([0-9]*\).*/\1/p' "$(guest_log u2)" | tail -1)
[ $PAIRS = yes ] && say "u2 sent again ${RS:-0} pair slot(s) u1 had not consumed at the save"
# none lost: nothing u2 sent through the daemon was newer than those slots
# (held until u1 had consumed the slots before it: lib/README.md)
HELD=$(survive_counter u2 'Daemon-path sends held until a Xen pair peer consumed')
[ $PAIRS = yes ] && say "u2 held ${HELD:-0} daemon-path send(s) until u1 had consumed the slots before them"
L1=$(survive_counter u1 'Buffered sends failed after completion')
L2=$(survive_counter u2 'Buffered sends failed after completion')
check "no send completed at issue failed after (u1 ${L1:-?}, u2 ${L2:-?})" [ "${L1:-x}" = 0 -a "${L2:-x}" = 0 ]
myrixenctl counters > /tmp/counters.txt; cat /tmp/counters.txt
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
ccnt() { sed -n "/^core:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "domains_restored counted ($(cnt domains_restored))" [ "$(cnt domains_restored)" = 1 ]
check "u1's endpoint re-attached ($(cnt eps_reattached))" [ "$(cnt eps_reattached)" -ge 1 ]
[ $PAIRS = yes ] && check "pair channels opened before and after ($(ccnt pairs_opened)), none cut off ($(ccnt pair_faults))" \
  [ "$(ccnt pairs_opened)" -ge 2 -a "$(ccnt pair_faults)" = 0 ]
check "no grant copy fault" [ "$(cnt copy_faults)" = 0 ]
check "daemon alive" kill -0 $MXD_PID
daemon_stop
