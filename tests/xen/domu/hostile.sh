# Scribble over the command ring: the daemon must cut us off (GUEST_ERROR).
mxs_probe hostile > /tmp/p.txt 2>&1; rc=$?; cat /tmp/p.txt
check "hostile probe saw itself cut off" [ $rc = 0 ]
