# Host A of the two-host pair (run.sh pair): myribackd with the wire on
# eth0 (QEMU socket netdev to host B over 127.0.0.1), a domU running the
# mx_pingpong echo side on endpoint 1; host B drives it across the wire.
# needs: myribackd
# needs: mx-tests
# timeout: 420
. /mxt/scenarios/common.sh
pair_net_up || { fail "eth0"; return; }
MXD_HOSTNAME=hosta MXD_EXTRA_CONF="interface = eth0
nic_id = 52:54:00:12:00:01
peer = hostb 52:54:00:12:00:02" daemon_start || { fail "myribackd start"; return; }
D1=$(domu_create a1 pv mx-echo) || { fail "create a1"; return; }
check "myrixenctl attach a1" myrixenctl attach $D1
check "a1 echo verdict (driven from host B)" domu_result a1 300
myrixenctl peers; myrixenctl counters | sed -n '/^wire/,/^[a-z]/p'
check "daemon alive" kill -0 $MXD_PID
daemon_stop
