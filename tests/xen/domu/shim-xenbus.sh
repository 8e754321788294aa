# Guest half of scenarios/shim-xenbus.sh.
st() { cat /sys/bus/xen/devices/myrixen-0/state 2>/dev/null; }
check "device node /dev/myrixen" wait_for 5 test -c /dev/myrixen
mxs_probe open > /tmp/probe1.txt 2>&1; rc=$?
cat /tmp/probe1.txt
check "probe #1 (open, mmap, regions)" [ $rc = 0 ]
check "reply fields reach the guest" grep -q "endpoint 3 session 77 nic 42 medium 32768 host 'dom0-shell'" /tmp/probe1.txt
check "frontend sees the backend restart" wait_for 60 sh -c '[ "$(cat /sys/bus/xen/devices/myrixen-0/state)" != Connected ]'
check "frontend connected again" wait_for 60 sh -c '[ "$(cat /sys/bus/xen/devices/myrixen-0/state)" = Connected ]'
mxs_probe open 28 > /tmp/probe2.txt 2>&1; rc=$?
cat /tmp/probe2.txt
check "probe #2: backend's error -28 reaches open()" [ $rc = 0 ]
