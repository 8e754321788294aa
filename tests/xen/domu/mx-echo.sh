# The echo side of mx_pingpong on endpoint 1 (u2 drives it).
need "myrixen device connected" wait_for 200 shim_is Connected || return
say "mx_pingpong echo side on endpoint 1"
mx_pingpong -e 1 > /tmp/echo.txt 2>&1; rc=$?; cat /tmp/echo.txt
check "mx_pingpong echo side completed" [ $rc = 0 ]
