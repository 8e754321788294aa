# Drive a verified mx_pingpong sweep against a peer on another host.
need "myrixen device connected" wait_for 200 shim_is Connected || return
PEER=$(cmdline_arg mxt.peer)
# the echo side on the other host may still be booting: retry the connect
n=0; rc=1
while [ $n -lt 6 ] && [ $rc != 0 ]; do
  mx_pingpong -d "$PEER" -V -n 2 -w 1 -S 1048576 > /tmp/pp.txt 2>&1; rc=$?
  grep -q 'cannot connect' /tmp/pp.txt || break
  n=$((n + 1)); sleep 10
done
cat /tmp/pp.txt
check "verified sweep 0 B .. 1 MiB to $PEER across the wire" [ $rc = 0 ]
check "sweep reached 1 MiB" grep -q '^ *1048576 ' /tmp/pp.txt
