# Host B of the two-host pair: a domU drives a verified mx_pingpong sweep
# against hosta:1 (a domU on the other emulated host) through both
# myribackds and the MXoE wire between them.
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
pair_net_up || { fail "eth0"; return; }
MXD_HOSTNAME=hostb MXD_EXTRA_CONF="interface = eth0
nic_id = 52:54:00:12:00:02
peer = hosta 52:54:00:12:00:01" daemon_start || { fail "myribackd start"; return; }
D1=$(domu_create b1 pv mx-remote "mxt.peer=hosta:1") || { fail "create b1"; return; }
check "myrixenctl attach b1" myrixenctl attach $D1
check "b1 verdict (sweep across the wire)" domu_result b1 300
myrixenctl peers; myrixenctl counters | sed -n '/^wire/,/^[a-z]/p'
check "daemon alive" kill -0 $MXD_PID
daemon_stop
