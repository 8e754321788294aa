# WAKE round trip; then again after myribackd restarted.
need "myrixen device connected" wait_for 200 shim_is Connected || return
mxs_probe wake > /tmp/p1.txt 2>&1; rc=$?; cat /tmp/p1.txt
check "round trip through myribackd" [ $rc = 0 ]
check "backend goes away" wait_for 200 shim_isnt Connected
say "shim state now $(shim_state)"
check "backend is back" wait_for 90 shim_is Connected
mxs_probe wake > /tmp/p2.txt 2>&1; rc=$?; cat /tmp/p2.txt
check "round trip after the restart" [ $rc = 0 ]
