# Hold an endpoint until dom0 destroys this domain.
mxs_probe hold
fail "hold returned"
