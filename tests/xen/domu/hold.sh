# Hold an endpoint until dom0 destroys this domain.
need "myrixen device connected" wait_for 200 shim_is Connected || return
mxs_probe hold
fail "hold returned"
