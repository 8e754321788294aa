# Host B of survive-wire: b1 streams it_survive (tiny to 1 MiB: 64 KiB,
# 256 KiB and 1 MiB by rendezvous; 8 in flight each way) to hosta:1 across
# the MXoE wire; mid-stream this host's myribackd is stopped and started
# again.  b1's endpoint re-attaches, its library connects again and sends
# again what had not completed (rendezvous announced again under their
# send numbers); host A's daemon sends again what it had in flight to the
# restarted one, announces again the rendezvous the old one had taken
# (`reannounced`), and its pulls from B's dead windows wait for b1's
# re-announce (`pulls_parked`, `pulls_retargeted`).  b1 checks every
# reply; a1 (host A) every message (issue 13).
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
N=${SURVIVE_N:-200}
GUEST_MEM=128
CONF="interface = eth0
nic_id = 52:54:00:12:00:02
peer = hosta 52:54:00:12:00:01"
pair_net_up || { fail "eth0"; return; }
MXD_HOSTNAME=hostb MXD_EXTRA_CONF="$CONF" daemon_start || { fail "myribackd start"; return; }
D1=$(domu_create b1 pv survive "mxt.side=client mxt.peer=hosta:1 mxt.n=$N mxt.max=1048576") ||
  { fail "create b1"; return; }
check "myrixenctl attach b1" myrixenctl attach $D1
need "traffic in flight across the wire (100 round trips verified)" \
  wait_for 300 guest_says b1 "100/$N round trips" || return
T0=$(up)
need "myribackd stopped mid-stream" daemon_stop || return
MXD_HOSTNAME=hostb MXD_EXTRA_CONF="$CONF" daemon_start || { fail "myribackd restart"; return; }
say "myribackd down and up again in $(awk "BEGIN { print $(up) - $T0 }") s"
check "b1 verdict: every reply once, in order, intact; re-attached" domu_result b1 360
myrixenctl counters > /tmp/counters.txt; cat /tmp/counters.txt
cnt() { sed -n "/^xen:/,/^[a-z]/s/^ *$1: *//p" /tmp/counters.txt | head -1; }
wcnt() { sed -n "/^wire/,\$s/^ *$1: *//p" /tmp/counters.txt | head -1; }
check "b1's endpoint re-attached ($(cnt eps_reattached))" [ "$(cnt eps_reattached)" -ge 1 ]
say "wire: quiet_drops $(wcnt quiet_drops), requeued $(wcnt requeued), nacks_tx $(wcnt nacks_tx), pulls_parked $(wcnt pulls_parked), reannounced $(wcnt reannounced)"
check "daemon alive" kill -0 $MXD_PID
daemon_stop
