#!/bin/bash
# The Wireshark dissector (tools/wireshark/mxoe.lua), written from Open-MX
# 1.5's omx_wire.h, decodes a real exchange captured in a namespace: every
# size class both ways (tiny, small, medium, large), a wrong key and a
# closed endpoint, at MTU 9000 and 1500.  dissector_check.py checks the
# decoded fields: types, lengths, match info, medium fragment geometry,
# pull offsets, host names, and that no frame exceeds the MTU (Open-MX's
# MTU counts the Ethernet header).
. "$(dirname "$0")/ns_lib.sh"
ns_require
command -v tshark >/dev/null || ns_skip "tshark missing"
command -v tcpdump >/dev/null || ns_skip "tcpdump missing"
command -v python3 >/dev/null || ns_skip "python3 missing"
: "${MXW_LUA:?}"
here=$(dirname "$0")
fields=frame.len,eth.src,mxoe.type,mxoe.length,mxoe.length32,mxoe.match,mxoe.seqnum,mxoe.frag_seqnum,mxoe.frag_length,mxoe.frag_count,mxoe.msg_length,mxoe.total_length,mxoe.block_length,mxoe.pull_handle,mxoe.pull_magic,mxoe.frame_seqnum,mxoe.frame_length,mxoe.msg_offset,mxoe.name_length,mxoe.hostname,mxoe.connect.status,mxoe.truc.type,_ws.expert

capture() {
	local mtu=$1
	ns_add a$mtu; ns_add b$mtu
	ns_veth a$mtu va$mtu b$mtu vb$mtu "$mtu"
	ns_daemon a$mtu va$mtu
	ns_daemon b$mtu vb$mtu
	ns_capture_start a$mtu va$mtu "$DIR/cap$mtu.pcap"
	ns_every_class a$mtu b$mtu
	ns_capture_stop "$DIR/cap$mtu.pcap"
}

for mtu in 9000 1500; do
	capture $mtu
	tshark -X "lua_script:$MXW_LUA" -r "$DIR/cap$mtu.pcap" -T fields -E occurrence=f \
		$(printf -- '-e %s ' ${fields//,/ }) > "$DIR/fields$mtu.txt" 2> "$DIR/tshark$mtu.log" ||
		ns_fail "tshark at MTU $mtu: $(tail -3 "$DIR/tshark$mtu.log")"
	python3 "$here/dissector_check.py" "$mtu" "$fields" "$here/mxw_xfer.c" < "$DIR/fields$mtu.txt" ||
		ns_fail "decoded fields at MTU $mtu"
	# one medium and one large exchange as tshark shows them
	tshark -X "lua_script:$MXW_LUA" -r "$DIR/cap$mtu.pcap" 2>/dev/null |
		grep -E "MEDIUM len=32768 frag 0 |RNDV msg_len=1048576|PULL total=1048576 frame_index=0 |PULL_REPLY frame=0 |NOTIFY total=1048576" |
		head -6
done
echo "PASS"
