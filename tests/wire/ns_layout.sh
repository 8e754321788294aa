#!/bin/bash
# Frame layout check: capture a real exchange with tcpdump inside a
# namespace and decode it independently (mxoe_decode.py, offsets from the
# Open-MX layout) — every packet type must appear and be well formed, and
# frames must follow Open-MX's geometry for the MTU ($1, default 9000).
. "$(dirname "$0")/ns_lib.sh"
ns_require
command -v tcpdump >/dev/null || ns_skip "tcpdump missing"
command -v python3 >/dev/null || ns_skip "python3 missing"
MTU=${1:-9000}
ns_add a; ns_add b
ns_veth a va b vb "$MTU"
ns_daemon a va
ns_daemon b vb
ip netns exec "${P}a" tcpdump -i "${P}va" -s 0 -B 32768 --immediate-mode -U -w "$DIR/cap.pcap" ether proto 0x86df \
	> "$DIR/tcpdump.log" 2>&1 &
tcpd=$!
PIDS+=($tcpd)
# capture from the first frame on: tcpdump says 'listening' once it is open
for _ in $(seq 100); do
	grep -q listening "$DIR/tcpdump.log" 2>/dev/null && break
	sleep 0.1
done
sleep 0.2
ns_run a timeout 120 "$MXW_XFER" -e 1 -d b:2 -n 1 > "$DIR/xa.log" 2>&1 &
xa=$!
ns_run b timeout 120 "$MXW_XFER" -e 2 -d a:1 -n 1 > "$DIR/xb.log" 2>&1 || ns_fail "exchange b"
wait $xa || ns_fail "exchange a"
ns_run a timeout 60 "$MXW_XFER" -e 7 -k 0x12345 -n 5 -H > /dev/null 2>&1 &
holder=$!
sleep 0.5
ns_run b timeout 60 "$MXW_XFER" -e 3 -d a:7 -k 0x999 -B > /dev/null 2>&1
wait $holder
ns_run a timeout 60 "$MXW_XFER" -e 1 -d b:9 -C > /dev/null 2>&1
# SIGINT makes tcpdump stop without reading what is still queued for it
# (on a loaded machine the last NACK went missing; libpcap hands its
# TPACKET_V3 blocks over late unless --immediate-mode): wait until the
# capture (written per packet, -U) stops growing first
for _ in $(seq 20); do
	s1=$(stat -c %s "$DIR/cap.pcap")
	sleep 0.5
	[ "$s1" = "$(stat -c %s "$DIR/cap.pcap")" ] && break
done
kill -INT $tcpd; wait $tcpd
python3 "$MXW_DECODE" "$DIR/cap.pcap" --mtu "$MTU" --require \
	HOST_QUERY,HOST_REPLY,CONNECT_OK,CONNECT_BAD_KEY,TINY,SMALL,MEDIUM,RNDV,PULL,PULL_REPLY,NOTIFY,TRUC,NACK_LIB \
	|| ns_fail "layout check"
echo "PASS"
