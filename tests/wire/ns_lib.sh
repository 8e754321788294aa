#!/bin/bash
# Shared helpers of the namespace tests (sourced).  Every namespace, veth
# and temp file is named after this shell's pid and removed on exit.
# Needs root and network namespaces, else the test exits 77 (skip).
set -u
P="mxw$$"
DIR=$(mktemp -d /tmp/mxw-ns.XXXXXX)
NSES=()
PIDS=()
: "${MYRIBACKD:?}" "${MXW_XFER:?}"

ns_skip() { echo "SKIP: $*"; exit 77; }
ns_fail() {
	echo "FAIL: $*"
	for f in "$DIR"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
	# the wire and host-wide counters (region_faults, pull_write_stalls) of
	# every daemon still up, when myrixenctl is built
	for c in "$DIR"/*.ctl; do
		[ -S "$c" ] && [ -n "${MXW_CTL:-}" ] && { echo "--- $c"; "$MXW_CTL" -s "$c" peers | grep -v ': 0$'; "$MXW_CTL" -s "$c" counters | grep -v ': 0$'; }
	done
	exit 1
}

ns_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	for n in "${NSES[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$DIR"
}
trap ns_cleanup EXIT

# A test killed by a ctest timeout (SIGKILL) never runs its EXIT trap, so
# its namespaces and the daemons in them stay.  Namespaces are named
# mxw<pid of the test shell><host>: remove those whose shell is gone.
ns_reap_stale() {
	local n pid p
	for n in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $n =~ ^mxw([0-9]+)[a-z] ]] || continue
		pid=${BASH_REMATCH[1]}
		[ "$pid" = "$$" ] && continue
		kill -0 "$pid" 2>/dev/null && continue
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null && echo "removed stale namespace $n (test $pid is gone)"
	done
}

ns_require() {
	[ "$(id -u)" -eq 0 ] || ns_skip "needs root (network namespaces, AF_PACKET)"
	command -v ip >/dev/null || ns_skip "iproute2 missing"
	ns_reap_stale
	ip netns add "${P}probe" 2>/dev/null || ns_skip "cannot create network namespaces here"
	ip netns del "${P}probe"
}

# ns_add NAME: a namespace with loopback up
ns_add() {
	ip netns add "$P$1" || ns_fail "ip netns add $P$1"
	NSES+=("$P$1")
	ip -n "$P$1" link set lo up
}

# ns_veth NS1 IF1 NS2 IF2 [MTU]: a veth pair between two namespaces, up
ns_veth() {
	local mtu=${5:-9000}
	ip link add "$P$2" type veth peer name "$P$4" || ns_fail "veth $2-$4"
	ip link set "$P$2" netns "$P$1"
	ip link set "$P$4" netns "$P$3"
	ip -n "$P$1" link set "$P$2" mtu "$mtu" up
	ip -n "$P$3" link set "$P$4" mtu "$mtu" up
}

# ns_daemon HOST IF [extra config lines]: myribackd for HOST on IF
ns_daemon() {
	local h=$1 ifc=$2
	shift 2
	{
		echo "transports = local"
		echo "local_socket = $DIR/$h.sock"
		echo "ctl_socket = $DIR/$h.ctl"
		echo "interface = $P$ifc"
		echo "hostname = $h"
		for l in "$@"; do echo "$l"; done
	} > "$DIR/$h.conf"
	ip netns exec "$P$h" "$MYRIBACKD" -f -c "$DIR/$h.conf" > "$DIR/$h.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$h=$!"
	# each socket appears once it listens, the control socket last
	for _ in $(seq 100); do
		[ -S "$DIR/$h.sock" ] && [ -S "$DIR/$h.ctl" ] && return 0
		kill -0 "$!" 2>/dev/null || break
		sleep 0.05
	done
	ns_fail "myribackd for $h did not start"
}

# ns_bridge_hosts HOST...: each HOST a namespace on one bridge (veth vHOST,
# bridge port pHOST), with its daemon
ns_bridge_hosts() {
	local h
	ns_add br
	ip -n "${P}br" link add "${P}bridge" type bridge || ns_fail "bridge"
	ip -n "${P}br" link set "${P}bridge" up
	for h in "$@"; do
		ns_add "$h"
		ns_veth "$h" "v$h" br "p$h"
		ip -n "${P}br" link set "${P}p$h" master "${P}bridge"
	done
	for h in "$@"; do ns_daemon "$h" "v$h"; done
}

# ns_run HOST CMD...: run an MX program against HOST's daemon, in its namespace
ns_run() {
	local h=$1
	shift
	MYRIXEN_SOCKET="$DIR/$h.sock" ip netns exec "$P$h" "$@"
}

# ns_capture_start HOST IF FILE: tcpdump of the MXoE frames on IF into FILE,
# from the first frame on (tcpdump says 'listening' once it is open).
# The ring holds a whole ns_every_class exchange even if tcpdump does not
# run meanwhile (a loaded host starves it): --immediate-mode makes
# libpcap use TPACKET_V2, one fixed slot per frame of the snapshot length,
# and -s 0 left 512 slots in 32 MiB (a loaded run lost 87 frames, among
# them a PULL whose replies the dissector check then found for no pull).
# Slots of the link's MTU in 64 MiB hold about 7000 frames at MTU 9000
# (the exchange sends 2000-3000) and 40000 at 1500 (8000-16000).
ns_capture_start() {
	local mtu
	mtu=$(ip -n "$P$1" -o link show "$P$2" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	ip netns exec "$P$1" tcpdump -i "$P$2" -s $((${mtu:-9000} + 18)) -B 65536 --immediate-mode \
		-U -w "$3" ether proto 0x86df > "$3.log" 2>&1 &
	CAP_PID=$!
	PIDS+=($CAP_PID)
	for _ in $(seq 100); do
		grep -q listening "$3.log" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.2
}

# ns_capture_stop FILE: SIGINT makes tcpdump stop without reading what is
# still queued for it (on a loaded machine the last NACK went missing;
# libpcap hands its TPACKET_V3 blocks over late unless --immediate-mode):
# wait until the capture (written per packet, -U) stops growing first
ns_capture_stop() {
	local s1
	for _ in $(seq 20); do
		s1=$(stat -c %s "$1")
		sleep 0.5
		[ "$s1" = "$(stat -c %s "$1")" ] && break
	done
	kill -INT "$CAP_PID"
	wait "$CAP_PID"
	grep -q "^0 packets dropped" "$1.log" ||
		echo "capture $1: $(grep dropped "$1.log") (its checks may miss frames)"
}

# ns_every_class A B: traffic showing every MXoE packet type between the
# daemons of hosts A and B: every size class both ways, a wrong key (an
# endpoint of A held open) and a connect to a closed endpoint of B
ns_every_class() {
	local a=$1 b=$2 xa holder
	ns_run "$a" timeout 120 "$MXW_XFER" -e 1 -d "$b:2" -n 1 > "$DIR/xa$a.log" 2>&1 &
	xa=$!
	ns_run "$b" timeout 120 "$MXW_XFER" -e 2 -d "$a:1" -n 1 > "$DIR/xb$b.log" 2>&1 ||
		ns_fail "exchange $b"
	wait $xa || ns_fail "exchange $a"
	ns_run "$a" timeout 60 "$MXW_XFER" -e 7 -k 0x12345 -n 5 -H > /dev/null 2>&1 &
	holder=$!
	sleep 0.5
	ns_run "$b" timeout 60 "$MXW_XFER" -e 3 -d "$a:7" -k 0x999 -B > /dev/null 2>&1
	wait $holder
	ns_run "$a" timeout 60 "$MXW_XFER" -e 1 -d "$b:9" -C > /dev/null 2>&1
}
