# The echo side of mx_pingpong on endpoint 1 (u2 drives it); with
# mxt.huge=BYTES on the command line, a second run for messages of that size.
need "myrixen device connected" wait_for 200 shim_is Connected || return
say "mx_pingpong echo side on endpoint 1"
# bounded: u2 boots, runs its suite, then drives this (65 s in all idle, 160 s at load 5)
bounded 300 /tmp/echo.txt mx_pingpong -e 1 -C; rc=$?; cat /tmp/echo.txt
check "mx_pingpong echo side completed" [ $rc = 0 ]
HUGE=$(cmdline_arg mxt.huge)
if [ -n "$HUGE" ]; then
  say "mx_pingpong echo side for $HUGE-byte messages"
  bounded 180 /tmp/echo-huge.txt mx_pingpong -e 1 -S "$HUGE"; rc=$?; cat /tmp/echo-huge.txt
  check "mx_pingpong echo side of the $HUGE-byte messages completed" [ $rc = 0 ]
fi
if [ "$(cmdline_arg mxt.pairkill)" = 1 ]; then
  # Then a sink for u2's stream that stops consuming (its pair channel
  # fills up) until dom0 destroys this domain (pingpong.inc).
  say "ECHO-VERDICT: ${FAILED:-PASS}"
  mxt_pairkill -s -e 2 2>&1 | while read -r l; do say "$l"; done
  fail "the sink returned"
fi
