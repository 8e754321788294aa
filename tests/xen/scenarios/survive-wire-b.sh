# Host B of survive-wire: b1 streams it_survive (tiny to 32 KiB, 8 in
# flight each way) to hosta:1 across the MXoE wire; mid-stream this host's
# myribackd is stopped and started again.  b1's endpoint re-attaches, its
# library connects again and sends again what had not completed; host A's
# daemon sends again what it had in flight to the restarted one.  b1 checks
# every reply; a1 (host A) every message.  Large messages are left out: a
# pull across the wire under way during the restart is not recovered
# (docs/operations.md).
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
N=${SURVIVE_N:-800}
GUEST_MEM=128
CONF="interface = eth0
nic_id = 52:54:00:12:00:02
peer = hosta 52:54:00:12:00:01"
pair_net_up || { fail "eth0"; return; }
MXD_HOSTNAME=hostb MXD_EXTRA_CONF="$CONF" daemon_start || { fail "myribackd start"; return; }
D1=$(domu_create b1 pv survive "mxt.side=client mxt.peer=hosta:1 mxt.n=$N mxt.max=32768") ||
  { fail "create b1"; return; }
check "myrixenctl attach b1" myrixenctl attach $D1
need "traffic in flight across the wire (150 round trips verified)" \
  wait_for 300 guest_says b1 "150/$N round trips" || return
T0=$(up)
need "myribackd stopped mid-stream" daemon_stop || return
MXD_HOSTNAME=hostb MXD_EXTRA_CONF="$CONF" daemon_start || { fail "myribackd restart"; return; }
say "myribackd down and up again in $(awk "BEGIN { print $(up) - $T0 }") s"
check "b1 verdict: every reply once, in order, intact; re-attached" domu_result b1 360
myrixenctl counters > /tmp/counters.txt; cat /tmp/counters.txt
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
wcnt() { sed -n "/^wire/,\$s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "b1's endpoint re-attached ($(cnt eps_reattached))" [ "$(cnt eps_reattached)" -ge 1 ]
say "wire: quiet_drops $(wcnt quiet_drops), requeued $(wcnt requeued), nacks_tx $(wcnt nacks_tx)"
check "daemon alive" kill -0 $MXD_PID
daemon_stop
