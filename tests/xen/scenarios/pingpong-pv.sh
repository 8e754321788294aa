# MX between two PV domUs through myribackd (see pingpong.inc).
# needs: myribackd
# needs: mx-tests
# timeout: 560
GUEST_TYPE=pv
. /mxt/scenarios/pingpong.inc
