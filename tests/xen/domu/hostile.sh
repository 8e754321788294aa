# Scribble over the command ring: the daemon must cut us off (GUEST_ERROR).
need "myrixen device connected" wait_for 200 shim_is Connected || return
mxs_probe hostile > /tmp/p.txt 2>&1; rc=$?; cat /tmp/p.txt
check "hostile probe saw itself cut off" [ $rc = 0 ]
say "hostile done, staying up for dom0's checks"
sleep 20
