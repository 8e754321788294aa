#!/bin/bash
# Staged wire transfers (lib/staged.c, daemon/core/core_remote.c): rendezvous of
# 64 KiB, 128 KiB, 128 KiB + 1 and 1 MiB both ways between two hosts, four
# of each in flight, every byte checked.  Each receiving daemon must hand
# pulled blocks to its library in the recvq (pull_staged) and each sending
# daemon must serve the sends of at most 128 KiB from the library's copy in
# the sendq (send_staged).  Then the same with MYRIXEN_WIRE_STAGED=0: the
# bytes still arrive, through the daemon's writes (pull_written), and
# neither staged counter moves.
. "$(dirname "$0")/ns_lib.sh"
ns_require
[ -n "${MXW_CTL:-}" ] || ns_skip "myrixenctl not built"
ns_add a
ns_add b
ns_veth a va b vb 9000
ns_daemon a va
ns_daemon b vb

# counter NAME HOST: a host-wide counter of HOST's daemon
counter() { "$MXW_CTL" -s "$DIR/$2.ctl" counters | awk -v k="$1:" '$1 == k { print $2; exit }'; }
# xfer PHASE [VAR=VALUE...]: the exchange, both sides at once
xfer() {
	local p=$1 xa
	shift
	ns_run a env "$@" timeout 300 "$MXW_XFER" -e 1 -d b:2 -n 4 -l 65536 -m 1048576 \
		> "$DIR/xa$p.log" 2>&1 &
	xa=$!
	ns_run b env "$@" timeout 300 "$MXW_XFER" -e 2 -d a:1 -n 4 -l 65536 -m 1048576 \
		> "$DIR/xb$p.log" 2>&1 || ns_fail "$p: host b side"
	wait $xa || ns_fail "$p: host a side"
	cat "$DIR/xa$p.log" "$DIR/xb$p.log"
}
NAMES="pull_staged pull_staged_bytes pull_written send_staged send_staged_bytes"
# snap TAG: every counter of NAMES on both hosts, as variables TAG_HOST_NAME
snap() {
	local h n v
	for h in a b; do
		for n in $NAMES; do
			v=$(counter "$n" "$h")
			[ -n "$v" ] || ns_fail "counter $n not found on $h"
			eval "$1_${h}_$n=$v"
		done
	done
}
# moved HOST NAME: how much NAME moved on HOST between snapshots s0 and s1
moved() { eval echo \$\(\( s1_$1_$2 - s0_$1_$2 \)\); }

snap s0
xfer staged
snap s1
for h in a b; do
	echo "$h staged: pull_staged $(moved $h pull_staged) ($(moved $h pull_staged_bytes) bytes)," \
		"pull_written $(moved $h pull_written), send_staged $(moved $h send_staged)" \
		"($(moved $h send_staged_bytes) bytes)"
	[ "$(moved $h pull_staged)" -gt 0 ] || ns_fail "$h: no pulled block went through the recvq"
	[ "$(moved $h send_staged)" -gt 0 ] || ns_fail "$h: no send was served from the sendq copy"
done

snap s0
xfer unstaged MYRIXEN_WIRE_STAGED=0
snap s1
for h in a b; do
	echo "$h unstaged: pull_staged $(moved $h pull_staged), pull_written $(moved $h pull_written)," \
		"send_staged $(moved $h send_staged)"
	[ "$(moved $h pull_staged)" -eq 0 ] && [ "$(moved $h send_staged)" -eq 0 ] ||
		ns_fail "$h: staged with MYRIXEN_WIRE_STAGED=0"
	[ "$(moved $h pull_written)" -gt 0 ] || ns_fail "$h: pulled blocks not written either"
done
echo "PASS"
