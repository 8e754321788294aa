# myribackd's Xen transport against the shim, three guests at once:
#  u1 WAKE round trip, survives a daemon restart and reconnects;
#  u2 scribbles over its command ring: only u2 is cut off;
#  u3 is destroyed mid-transfer (4 MiB rendezvous in flight): dom0 keeps
#  no grant mapping, and the daemon ends with none at all.
# needs: myribackd
# timeout: 330
. /mxt/scenarios/common.sh
daemon_start || { fail "myribackd start"; return; }
BASE=$(gntdev_maps)
D1=$(domu_create u1 pv reconnect) || fail "create u1"
D2=$(domu_create u2 pv hostile) || fail "create u2"
D3=$(domu_create u3 pv hold) || fail "create u3"
for d in $D1 $D2 $D3; do check "myrixenctl attach $d" myrixenctl attach $d; done
check "attach twice is refused" sh -c "! myrixenctl attach $D1 2>/dev/null"

check "u2 (hostile) ran" guest_awaits 200 u2 'hostile done'
check "daemon survived the hostile guest" kill -0 $MXD_PID
myrixenctl list > /tmp/guests.txt 2>&1; cat /tmp/guests.txt
check "u2 is shown cut off" grep -q cut-off /tmp/guests.txt
check "u2 (hostile) verdict" domu_result u2 60

check "u3 is transferring" guest_awaits 150 u3 'transferring'
HELD=$(gntdev_maps)
check "daemon maps u3's area ($HELD > $BASE)" [ "$HELD" -gt "$BASE" ]
P1=$(pulled_bytes); sleep 1; P2=$(pulled_bytes)
check "u3 is mid-transfer (pulled bytes $P1 -> $P2)" [ "$P2" -gt "$P1" ]
xl destroy u3
check "u3 fully destroyed (no dying domain keeps dom0 mappings)" wait_for 40 sh -c "! xl list | grep -q -e '^u3 ' -e '(null)'" || xl list
check "daemon survived the destruction" kill -0 $MXD_PID

check "u1 first round trip" guest_awaits 150 u1 'MXS-PROBE: wake PASSED'
NOW=$(gntdev_maps)
check "u3's mappings are gone ($NOW < $HELD)" [ "$NOW" -lt "$HELD" ]
say "restarting myribackd"
check "daemon stops on SIGTERM" daemon_stop
check "frontend of u1 sees Closed" wait_for 20 xs_is /local/domain/$D1/device/myrixen/0/state 6
check "daemon restarts" daemon_start
check "u1 reconnects (frontend Connected)" wait_for 30 xs_is /local/domain/$D1/device/myrixen/0/state 4
check "u1 verdict (round trip after restart)" domu_result u1 90
check "no dying domains" no_zombies
check "daemon holds no grant mapping once its guests are gone" wait_for 30 maps_at_most $BASE
daemon_stop
