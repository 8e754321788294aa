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
ns_capture_start a va "$DIR/cap.pcap"
ns_every_class a b
ns_capture_stop "$DIR/cap.pcap"
python3 "$MXW_DECODE" "$DIR/cap.pcap" --mtu "$MTU" --require \
	HOST_QUERY,HOST_REPLY,CONNECT_OK,CONNECT_BAD_KEY,TINY,SMALL,MEDIUM,RNDV,PULL,PULL_REPLY,NOTIFY,TRUC,NACK_LIB \
	|| ns_fail "layout check"
echo "PASS"
