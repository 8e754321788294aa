# Keep large transfers in flight until dom0 destroys this domain: both
# sides of a 4 MiB mx_pingpong (rendezvous and grant copies) in this domU.
need "myrixen device connected" wait_for 200 shim_is Connected || return
mx_pingpong -b -s 4194304 -S 4194304 -n 1000000 -w 0 > /tmp/busy.txt 2>&1 &
sleep 2
say "transferring"
wait
cat /tmp/busy.txt
fail "transfers ended before the domain was destroyed"
