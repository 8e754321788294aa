# WAKE round trip; then again after myribackd restarted.
mxs_probe wake > /tmp/p1.txt 2>&1; rc=$?; cat /tmp/p1.txt
check "round trip through myribackd" [ $rc = 0 ]
st() { cat /sys/bus/xen/devices/myrixen-0/state 2>/dev/null; }
check "backend goes away" wait_for 120 sh -c '[ "$(cat /sys/bus/xen/devices/myrixen-0/state)" != Connected ]'
check "backend is back" wait_for 60 sh -c '[ "$(cat /sys/bus/xen/devices/myrixen-0/state)" = Connected ]'
mxs_probe wake > /tmp/p2.txt 2>&1; rc=$?; cat /tmp/p2.txt
check "round trip after the restart" [ $rc = 0 ]
