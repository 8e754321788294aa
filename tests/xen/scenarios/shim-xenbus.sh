# The shim's xenbus protocol against a backend played by xenstore commands
# (no daemon): handshake, endpoint open reply, mmap/region checks in the
# guest, close, backend restart (Closed -> InitWait) and an error reply.
# timeout: 200
. /mxt/scenarios/common.sh
D=$(domu_create u1 pv shim-xenbus) || { fail "xl create"; return; }
FE=/local/domain/$D/device/myrixen/0
BE=/local/domain/0/backend/myrixen/$D/0
fe_is() { xs_is $FE/state "$1"; }
# What myribackd does in one transaction, step by step: backend readable
# by the guest, frontend owned by the guest, its state (1) written last as
# xenbus only probes a node in Initialising.
# Children inherit the directory's permissions, so chmod comes first.
xenstore-write $BE "" && xenstore-chmod $BE n0 r$D
xenstore-write $BE/frontend $FE $BE/frontend-id $D $BE/online 1 $BE/state 2
xenstore-write $FE "" && xenstore-chmod $FE n$D r0
xenstore-write $FE/backend $BE $FE/backend-id 0
xenstore-write $FE/state 1
need "frontend reaches Initialised" wait_for 90 fe_is 3 || return
check "frontend publishes abi-version 10" xs_is $FE/abi-version 10
xenstore-write $BE/state 4
need "frontend reaches Connected" wait_for 20 fe_is 4 || return

need "endpoint open request appears" wait_for 60 xs_is $FE/ep/0/state open || return
N=$(xenstore-read $FE/ep/0/nonce)
PAGES=$(xenstore-read $FE/ep/0/area-pages)
REFS=$(xenstore-read $FE/ep/0/dir-refs)
say "open request: nonce $N pages $PAGES dir-refs '$REFS' port $(xenstore-read $FE/ep/0/event-channel)"
# defaults: cmd 2^8 x 64 B + evt 2^10 x 64 B + 1 MiB + 2 MiB + 2 pages = 790 pages
check "area-pages follows layout.h (790)" [ "$PAGES" = 790 ]
check "one directory page" [ "$(echo $REFS | wc -w)" = 1 ]
xenstore-write $BE/ep/0/nonce $N $BE/ep/0/error 0 $BE/ep/0/endpoint 3 $BE/ep/0/session 77 \
  $BE/ep/0/nic-id 42 $BE/ep/0/medium-max 32768 $BE/ep/0/hostname dom0-shell
check "guest closes: endpoint node removed" wait_for 60 sh -c "! xenstore-exists $FE/ep/0"

say "backend restart: Closed, then InitWait"
xenstore-rm $BE/ep
xenstore-write $BE/state 6
check "frontend follows to Closed" wait_for 20 fe_is 6
# The guest sees the restart by polling its device state every 0.25 s: a
# restart shorter than that went unseen now and then (it waited 60 s there).
sleep 2
xenstore-write $BE/state 2
check "frontend re-initialises" wait_for 20 fe_is 3
xenstore-write $BE/state 4
need "frontend reconnects" wait_for 20 fe_is 4 || return
need "second open request appears" wait_for 60 xs_is $FE/ep/0/state open || return
N2=$(xenstore-read $FE/ep/0/nonce)
check "fresh nonce" [ "$N2" != "$N" ]
xenstore-write -- $BE/ep/0/nonce $N2 $BE/ep/0/error -28 $BE/ep/0/endpoint 0 $BE/ep/0/session 0 \
  $BE/ep/0/nic-id 0 $BE/ep/0/medium-max 0
check "guest verdict" domu_result u1 60
check "failed open leaves no endpoint node" wait_for 10 sh -c "! xenstore-exists $FE/ep/0"
