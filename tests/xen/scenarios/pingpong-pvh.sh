# MX between two PVH domUs through myribackd (see pingpong.inc).
# needs: myribackd
# needs: mx-tests
# timeout: 420
# smp: 1
GUEST_TYPE=pvh
. /mxt/scenarios/pingpong.inc
