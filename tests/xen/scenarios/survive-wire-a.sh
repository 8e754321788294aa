# Host A of survive-wire (run.sh survive-wire, two emulated hosts as in
# pair): a1 runs the echo side of it_survive on endpoint 1 while host B's
# myribackd is restarted under the stream that crosses the MXoE wire.  a1
# checks every message's order and bytes and that none arrives twice: a
# message B's re-attached library sends again must be dropped by a1's
# library by its send number, which only the wire carries (issue 13).
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
N=${SURVIVE_N:-200}
GUEST_MEM=128
pair_net_up || { fail "eth0"; return; }
MXD_HOSTNAME=hosta MXD_EXTRA_CONF="interface = eth0
nic_id = 52:54:00:12:00:01
peer = hostb 52:54:00:12:00:02" daemon_start || { fail "myribackd start"; return; }
D1=$(domu_create a1 pv survive "mxt.side=echo mxt.n=$N mxt.max=1048576 mxt.reattach=0") ||
  { fail "create a1"; return; }
check "myrixenctl attach a1" myrixenctl attach $D1
check "a1 echo verdict: every message once, in order, intact" domu_result a1 360
myrixenctl counters > /tmp/counters.txt; sed -n '/^wire/,/^[a-z]/p' /tmp/counters.txt
wcnt() { sed -n "/^wire/,\$s/^ *$1: *//p" /tmp/counters.txt | head -1; }
say "wire: requeued $(wcnt requeued), resends $(wcnt resends), nacks_tx $(wcnt nacks_tx), nacks_rx $(wcnt nacks_rx), reannounced $(wcnt reannounced), pulls_parked $(wcnt pulls_parked), pulls_retargeted $(wcnt pulls_retargeted)"
check "daemon alive" kill -0 $MXD_PID
daemon_stop
