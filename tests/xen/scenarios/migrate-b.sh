# Host B of migrate: receives u1 from host A (`xl migrate-receive` behind
# `nc -l`) and does nothing else: its daemon attaches the arriving domain
# by itself (xen_attach, default all) before xl unpauses it.  Checks that
# its endpoints came back here (eps_migrated_in) and that it_survive in u1
# finished with every message and reply verified once.  Before the move a
# dom0 client here streams to u1's endpoint 10 on host A; the move brings
# u1 here, and this daemon must tell the client so (u1's re-connect is a
# local one here: moved_followed), which then finishes every round trip
# once, in order.
# needs: myribackd
# needs: mx-tests
# timeout: 900 (run.sh reads migrate-a's)
. /mxt/scenarios/common.sh
pair_net_up || { fail "eth0"; return; }
ip addr add 10.77.0.2/24 dev eth0
MXD_XEN_ATTACH=default MXD_HOSTNAME=hostb MXD_EXTRA_CONF="interface = eth0
nic_id = 52:54:00:12:00:02
peer = hosta 52:54:00:12:00:01" daemon_start || { fail "myribackd start"; return; }
# dom0 weighs 4 times a guest (as on host A): xl migrate-receive is not
# starved by the arrived guest
xl sched-credit2 -d 0 -w 1024 >/dev/null 2>&1 || xl sched-credit -d 0 -w 1024 >/dev/null 2>&1
nc -l -p 8002 -e xl migrate-receive -e > /tmp/xl-receive.txt 2>&1 &
# the domain is "u1--incoming" while it arrives, "u1" once it is all here
arrived() { xl list 2>/dev/null | awk '$1 == "u1" { print $2; f = 1 } END { exit !f }'; }
a_gone() { ! ping -c 1 -W 2 10.77.0.1 >/dev/null 2>&1; }
arrived_or_a_gone() { arrived >/dev/null || a_gone; }
heard_on 8003 /tmp/a-go.txt &
need "host A reachable over IP" wait_for 120 ping -c 1 -W 1 10.77.0.1 || return
# host A says when u1's endpoint 10 is open; our client streams to it
# before the move and must follow u1 here
need "host A says u1 is up" wait_for 400 grep -q go /tmp/a-go.txt || return
it_survive -c -e 7 -d hosta:10 -n 200 -u 2000 -w 8 -S 4000 -p 50 > /tmp/sv-dom0c.txt 2>&1 &
CLIENT=$!
need "dom0 client to u1:10 streaming (200 round trips)" \
  wait_for 240 grep -q ' 200 round trips' /tmp/sv-dom0c.txt || return
need "host A told our client streams" say_to 10.77.0.1 8004 ready || return
# host A gives up (and its emulator exits) when xl migrate fails: so do we
need "u1 arrives from host A" wait_for 540 arrived_or_a_gone || return
need "u1 arrived (host A still up)" arrived >/dev/null || return
D=$(arrived)
say "u1 arrived as domain $D"
T0=$(up)
u1_log() { cat /var/log/xen/console/guest-u1*.log 2>/dev/null; }
# a guest that resumed without its device (talk_to_otherend failed) never ends
resume_failed() { u1_log | grep -qE 'talk_to_otherend.*failed|reading other end details'; }
u1_done() { u1_log | grep -q 'DOMU-RESULT:' || resume_failed; }
check "u1 finished here" wait_for 400 u1_done
say "verdict $(awk "BEGIN { print $(up) - $T0 }") s after the domain arrived"
u1_log | grep -E 'it_survive.*(pause|ok|fail)|DOMU-RESULT' | tail -6
check "u1 verdict: every message and reply once, in order, intact" \
  sh -c "cat /var/log/xen/console/guest-u1*.log | grep -q 'DOMU-RESULT: PASS'"
cat /tmp/xl-receive.txt | tail -5
client_ended() { ! kill -0 $CLIENT 2>/dev/null; }
check "the client here (to u1:10) finished" wait_for 400 client_ended
wait $CLIENT; crc=$?; grep -E 'pause|ok|fail|took|followed after' /tmp/sv-dom0c.txt | tail -5
check "the client here: every reply from u1 once, in order, intact" [ $crc = 0 ]
check "the client here followed u1 to this host (Peers followed)" \
  grep -qE 'Peers followed to another host [1-9]' /tmp/sv-dom0c.txt
myrixenctl counters > /tmp/counters.txt; cat /tmp/counters.txt
wcnt() { sed -n "/^wire/,\$s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "u1's local re-connect proved its move here ($(wcnt moved_followed))" [ "$(wcnt moved_followed)" -ge 1 ]
check "no claim refused here ($(wcnt moved_refused))" [ "$(wcnt moved_refused)" = 0 ]
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "u1 attached by itself ($(cnt domains_auto_attached))" [ "$(cnt domains_auto_attached)" = 1 ]
check "both endpoints moved in ($(cnt eps_migrated_in))" [ "$(cnt eps_migrated_in)" -ge 2 ]
check "no endpoint index taken ($(cnt eps_index_taken))" [ "$(cnt eps_index_taken)" = 0 ]
u1_log | grep -E 'myrixen: (resumed|waited)' | tail -3
resume_ok() { ! resume_failed; }
check "u1's resume found its device (no talk_to_otherend failure)" resume_ok
check "no grant copy fault" [ "$(cnt copy_faults)" = 0 ]
check "daemon alive" kill -0 $MXD_PID
daemon_stop
