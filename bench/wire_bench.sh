#!/bin/bash
# MXoE vs kernel UDP over the same veth, in one run: ping-pong latency
# (0 B .. 4 MiB) and streaming bandwidth between two network namespaces.
# Prints both tables with MX/UDP ratios and writes CSV.  Not a test.
#   bench/wire_bench.sh [BUILD_DIR] [OUT.csv]     (root; release build advised)
# Env: MTU (9000), RING (v2|v3: the daemon's receive ring, default v2), ITERS (1000).
set -eEu
B=$(realpath "${1:-build}")
OUT=${2:-wire_bench.csv}
MTU=${MTU:-9000}
RING=${RING:-v2}
ITERS=${ITERS:-1000}
[ "$(id -u)" -eq 0 ] || { echo "wire_bench: needs root (namespaces)"; exit 1; }
for f in daemon/myribackd tools/mx_pingpong bench/mxw_stream bench/udp_bench; do
	[ -x "$B/$f" ] || { echo "wire_bench: $B/$f not built"; exit 1; }
done
P="mxb$$"
DIR=$(mktemp -d /tmp/mxw-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	ip netns del ${P}a 2>/dev/null || true
	ip netns del ${P}b 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'echo "wire_bench: failed; daemon logs:"; cat "$DIR"/*.log' ERR
ip netns add ${P}a; ip netns add ${P}b
ip link add ${P}va type veth peer name ${P}vb
ip link set ${P}va netns ${P}a; ip link set ${P}vb netns ${P}b
for h in a b; do
	ip -n ${P}$h link set lo up
	ip -n ${P}$h link set ${P}v$h mtu "$MTU" up
	cat > "$DIR/$h.conf" <<CONF
transports = local
local_socket = $DIR/$h.sock
ctl_socket = $DIR/$h.ctl
interface = ${P}v$h
hostname = bench$h
CONF
	MYRIXEN_WIRE_RING=$RING ip netns exec ${P}$h "$B/daemon/myribackd" -f -c "$DIR/$h.conf" \
		> "$DIR/$h.log" 2>&1 &
	PIDS+=($!)
done
ip -n ${P}a addr add 10.77.0.1/24 dev ${P}va
ip -n ${P}b addr add 10.77.0.2/24 dev ${P}vb
for _ in $(seq 50); do [ -S "$DIR/a.sock" ] && [ -S "$DIR/b.sock" ] && break; sleep 0.1; done
runa() { MYRIXEN_SOCKET=$DIR/a.sock ip netns exec ${P}a "$@"; }

# --- ping-pong ---
# servers start without the helper functions so $! is the server itself
MYRIXEN_SOCKET=$DIR/b.sock ip netns exec ${P}b "$B/tools/mx_pingpong" -e 1 > "$DIR/ppserve.log" 2>&1 &
PIDS+=($!)
sleep 0.5
runa "$B/tools/mx_pingpong" -d benchb:1 -n "$ITERS" -w 20 -s 0 -S $((4 << 20)) -c "$DIR/mx_pp.csv" \
	> /dev/null
ip netns exec ${P}b "$B/bench/udp_bench" -l 7777 > /dev/null 2>&1 &
PIDS+=($!)
sleep 0.2
: > "$DIR/udp_pp.txt"
tail -n +2 "$DIR/mx_pp.csv" | while IFS=, read -r size _ _; do
	n=$ITERS; [ "$size" -gt 65536 ] && n=$(( ITERS * 65536 / size )); [ $n -lt 20 ] && n=20
	runa "$B/bench/udp_bench" -c 10.77.0.2:7777 -p "$size" -n "$n" >> "$DIR/udp_pp.txt"
done

# --- streaming ---
MYRIXEN_SOCKET=$DIR/b.sock ip netns exec ${P}b "$B/bench/mxw_stream" -e 2 > /dev/null 2>&1 &
PIDS+=($!)
: > "$DIR/mx_st.txt"; : > "$DIR/udp_st.txt"
for size in 1024 8192 32768 65536 262144 1048576 4194304; do
	runa "$B/bench/mxw_stream" -d benchb:2 -s $size -w 16 >> "$DIR/mx_st.txt"
	count=$(( (256 << 20) / size )); [ $count -gt 20000 ] && count=20000
	runa "$B/bench/udp_bench" -c 10.77.0.2:7777 -s $size -n $count >> "$DIR/udp_st.txt"
done

# --- report ---
{
	echo "kind,bytes,mx,udp,ratio_mx_over_udp"
	paste -d' ' <(tail -n +2 "$DIR/mx_pp.csv" | tr ',' ' ' | awk '{print $1, $2}') "$DIR/udp_pp.txt" |
		awk '{ printf "latency_us,%d,%.2f,%.2f,%.2f\n", $1, $2, $4, ($4 > 0 ? $2 / $4 : 0) }'
	paste -d' ' "$DIR/mx_st.txt" "$DIR/udp_st.txt" |
		awk '{ printf "bandwidth_mbps,%d,%.1f,%.1f,%.2f\n", $1, $2, $4, ($4 > 0 ? $2 / $4 : 0) }'
} > "$OUT"
echo "MXoE vs kernel UDP over one veth (MTU $MTU, daemon ring $RING); same run"
echo
echo "Ping-pong, one-way latency (us); ratio > 1 means MX is slower"
printf "%10s %12s %12s %8s\n" bytes mx udp mx/udp
grep '^latency' "$OUT" | awk -F, '{ printf "%10d %12.2f %12.2f %8.2f\n", $2, $3, $4, $5 }'
echo
echo "Streaming bandwidth (MB/s); ratio > 1 means MX is faster"
printf "%10s %12s %12s %8s\n" bytes mx udp mx/udp
grep '^bandwidth' "$OUT" | awk -F, '{ printf "%10d %12.1f %12.1f %8.2f\n", $2, $3, $4, $5 }'
echo
echo "CSV: $OUT"
