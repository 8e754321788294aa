# survive-restore with u2's stream over a Xen pair channel
# (xen_pair_channels = yes): u1's pair bell is the shim's, so the restored
# guest lets go of it by IRQ number (no BUG in drivers/xen/evtchn.c); u1
# drops the channels the restore voided and the daemon brokers a new one.
# Not registered with ctest while it does not pass every time
# (lib/README.md "Why Xen pair channels stay off ...").
# needs: myribackd
# needs: mx-tests
# timeout: 420
SURVIVE_PAIRS=yes
. /mxt/scenarios/survive-restore.sh
