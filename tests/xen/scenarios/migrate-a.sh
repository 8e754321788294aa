# Host A of migrate (run.sh migrate, two emulated hosts as in pair; issue
# 13): u1 runs both ends of it_survive (every size class, 8 in flight each
# way, order, bytes and duplicates checked) and is moved live to host B
# with `xl migrate` mid-stream, the migration stream crossing the emulated
# wire between the dom0s (IP on the same e1000 link the MXoE frames use).
# Plain `xl migrate`, nothing else: both daemons attach u1 by themselves
# when it appears (xen_attach, default all); its endpoints re-attach on
# host B with B's nic id and the stream goes on (verdict checked on host B).
# A second stream from u1 goes to a peer that stays here (a dom0 process,
# endpoint 2, which only replies to status.source): it must follow u1 to
# host B (u1's re-connect proves the move: moved_followed here).  A third
# stream goes the other way: a dom0 client here connects to u1's endpoint
# 9, which only replies; u1's library must tell it of the move (a
# re-connect with its own key) and the client must follow too.  A fourth
# comes from a dom0 client on host B to u1's endpoint 10 (over the wire
# until the move brings u1 to that client's own host: host B's daemon
# must tell it that u1 is now local, migrate-b.sh).
# needs: myribackd
# needs: mx-tests
# timeout: 900
. /mxt/scenarios/common.sh
# The live copy over the emulated link (TCG, e1000) takes one to three
# minutes, more on a loaded host: the stream (messages up to 4000 bytes)
# runs until the endpoints have re-attached on host B, then 2000 round
# trips more (it_survive -u), so it outlasts any copy and still ends.
AFTER=${SURVIVE_AFTER:-2000}
GUEST_MEM=128
pair_net_up || { fail "eth0"; return; }
ip addr add 10.77.0.1/24 dev eth0
MXD_XEN_ATTACH=default MXD_HOSTNAME=hosta MXD_EXTRA_CONF="interface = eth0
nic_id = 52:54:00:12:00:01
peer = hostb 52:54:00:12:00:02" daemon_start || { fail "myribackd start"; return; }
# dom0 (xl, nc: the live copy) shares the one emulated CPU with u1, whose
# stream keeps it busy: weighted equal, the copy crawled (over 450 s for
# 128 MiB at a host load of 12); dom0 gets 4 times u1's share
xl sched-credit2 -d 0 -w 1024 >/dev/null 2>&1 || xl sched-credit -d 0 -w 1024 >/dev/null 2>&1
say "xen scheduler $(xl info | sed -n "s/^xen_scheduler *: //p"), dom0 weight 1024"
need "host B reachable over IP" wait_for 120 ping -c 1 -W 1 10.77.0.2 || return
heard_on 8004 /tmp/b-ready.txt &
BASE=$(gntdev_maps)
it_survive -s -e 2 -n 200 -u $AFTER -w 8 -S 4000 > /tmp/sv-dom0.txt 2>&1 &
PEER=$!
# PVH: live migration of a PV guest needs shadow paging (log-dirty), which
# Debian's hypervisor is built without (xc: "Failed to enable logdirty: 95")
D1=$(domu_create u1 pvh survive "mxt.side=both mxt.n=200 mxt.until=$AFTER mxt.max=4000 mxt.peer=hosta:1 mxt.peer2=hosta:2 mxt.echo=9,10") || { fail "create u1"; return; }
it_survive -c -e 7 -d hosta:9 -n 200 -u $AFTER -w 8 -S 4000 -p 50 > /tmp/sv-dom0c.txt 2>&1 &
CLIENT=$!
attached() { myrixenctl counters | sed -n 's/^ *domains_auto_attached: *//p' | grep -qx 1; }
check "u1 attached by itself (xen_attach)" wait_for 30 attached
need "traffic in flight (200 round trips verified)" wait_for 240 guest_says u1 " 200 round trips" ||
  return
need "dom0 client to u1:9 streaming (200 round trips)" wait_for 240 grep -q ' 200 round trips' /tmp/sv-dom0c.txt ||
  return
need "host B told u1:10 is open" say_to 10.77.0.2 8003 go || return
need "host B's client to u1:10 streaming" wait_for 300 grep -q ready /tmp/b-ready.txt || return
T0=$(up)
# xl runs "exec SSHCMD HOST xl migrate-receive": the "ssh" is nc to host B's
# `nc -l -p 8002 -e xl migrate-receive` (no ssh in the images)
# no -p, no attach, no unpause: host B's daemon attaches u1 as it arrives
# where the copy is, once a minute (a run cut short by its timeout says so)
( while sleep 60; do
    say "xl migrate so far: $(tr '\r' '\n' < /tmp/xl-migrate.txt | grep . | tail -1)"
  done ) &
PROGRESS=$!
xl migrate -e -s "sh -c 'exec nc \$0 8002'" u1 10.77.0.2 > /tmp/xl-migrate.txt 2>&1
rc=$?
kill $PROGRESS 2>/dev/null
say "xl migrate: rc $rc in $(awk "BEGIN { print $(up) - $T0 }") s"
tail -5 /tmp/xl-migrate.txt
need "xl migrate u1 to host B" [ $rc = 0 ] || return
check "u1 is gone from host A" domu_gone u1
check "its endpoints are gone from this dom0" wait_for 30 maps_at_most $BASE
myrixenctl counters > /tmp/counters.txt
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "u1's endpoints detached on suspend ($(cnt eps_suspended))" [ "$(cnt eps_suspended)" -ge 3 ]
ended() { ! kill -0 $1 2>/dev/null; }
# PID LOG WHO: that dom0 stream with u1 ended, every message checked once,
# in order, intact, across the move, and its library followed u1 to host B
followed() {
  check "$3 finished" wait_for 400 ended $1
  wait $1; rc=$?; grep -E 'pause|ok|fail|took|followed after' $2 | tail -5
  check "$3: every message with u1 once, in order, intact" [ $rc = 0 ]
  check "$3 followed u1 (Peers followed to another host)" \
    grep -qE 'Peers followed to another host [1-9]' $2
}
followed $PEER /tmp/sv-dom0.txt "the echo peer on host A (u1 connected to it)"
followed $CLIENT /tmp/sv-dom0c.txt "the client on host A (it connected to u1:9, which only replies)"
myrixenctl counters > /tmp/counters.txt
sed -n '/^wire/,/^[a-z]/p' /tmp/counters.txt | grep -E 'moved|quiet|requeued' | head -4
wcnt() { sed -n "/^wire/,\$s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "u1's re-connects proved its move, both peers followed ($(wcnt moved_followed))" [ "$(wcnt moved_followed)" -ge 2 ]
check "no claim refused ($(wcnt moved_refused))" [ "$(wcnt moved_refused)" = 0 ]
check "daemon alive" kill -0 $MXD_PID
daemon_stop
