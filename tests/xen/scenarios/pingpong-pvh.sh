# MX between two PVH domUs through myribackd (see pingpong.inc).
# needs: myribackd
# needs: mx-tests
# timeout: 560
GUEST_TYPE=pvh
. /mxt/scenarios/pingpong.inc
