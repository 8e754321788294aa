-- SPDX-License-Identifier: MIT
--
-- Wireshark/tshark dissector for MXoE: the Open-MX 1.5 wire protocol in
-- its native layout (not the MX wire-compatible one), carried directly in
-- Ethernet frames with EtherType 0x86DF.  Written from Open-MX 1.5.4's
-- common/omx_wire.h (packet types, field offsets and widths), not from
-- myrixen's codec, so it can judge that codec.  Every multi-byte field is
-- big-endian.  Lua 5.2 (Debian 12's tshark 4.0).
--
-- Use:  tshark -X lua_script:mxoe.lua -r capture.pcap -O mxoe
-- or install it in a Lua plugin folder (tshark -G folders), which
-- `cmake --install` does (see tools/wireshark/README.md).
--
-- The frame after the 14-byte Ethernet header: a 16-bit peer index (the
-- receiver's index of the sender), then the packet body, whose first
-- byte is the packet type.  Offsets below are within the body.

local mxoe = Proto("mxoe", "Open-MX 1.5 over Ethernet (MXoE)")

local ptypes = {
	[0] = "NONE", [1] = "RAW", [2] = "MFM_NIC_REPLY", [3] = "HOST_QUERY",
	[4] = "HOST_REPLY", [32] = "ETHER_UNICAST", [33] = "ETHER_MULTICAST",
	[34] = "ETHER_NATIVE", [35] = "TRUC", [36] = "CONNECT", [37] = "TINY",
	[38] = "SMALL", [39] = "MEDIUM", [40] = "RNDV", [41] = "PULL",
	[42] = "PULL_REPLY", [43] = "NOTIFY", [44] = "NACK_LIB", [45] = "NACK_MCP",
}
local nack_types = {
	[0] = "None", [1] = "Bad Endpoint", [2] = "Endpoint Closed",
	[3] = "Bad Session", [4] = "Bad RDMA Window",
}
local connect_status = { [0] = "Success", [11] = "Bad Key" }
local truc_types = { [0x55] = "Lib Ack" }

local F = {}
local function uint(name, desc, bits, b, vals, mask)
	local ctor = ({ [8] = ProtoField.uint8, [16] = ProtoField.uint16,
			[32] = ProtoField.uint32, [64] = ProtoField.uint64 })[bits]
	F[name] = ctor("mxoe." .. name, desc, b or base.DEC, vals, mask)
end

uint("peer_index", "Peer index (receiver's index of the sender)", 16, base.HEX)
uint("type", "Packet type", 8, base.DEC, ptypes)
uint("dst_ep", "Destination endpoint", 8)
uint("src_ep", "Source endpoint", 8)
uint("src_generation", "Source generation", 8)
uint("length", "Length", 16)
uint("length32", "Message length", 32)
uint("checksum", "Checksum", 16, base.HEX)
uint("seqnum", "Library sequence number", 16, base.HEX)
uint("seqnum.seq", "Sequence", 16, base.DEC, nil, 0x3fff)
uint("seqnum.session", "Partner session", 16, base.DEC, nil, 0xc000)
uint("piggyack", "Piggy-backed ack (next expected)", 16, base.HEX)
uint("match", "Match info", 64, base.HEX)
uint("session", "Session", 32, base.HEX)
uint("src_dst_peer_index", "Sender's index of the receiver", 16, base.HEX)
uint("magic", "Magic", 32, base.HEX)
uint("name_length", "Host name length (with its NUL)", 8)
F.hostname = ProtoField.string("mxoe.hostname", "Host name")
-- medium
uint("frag_length", "Fragment length", 16)
uint("frag_seqnum", "Fragment number", 8)
uint("frag_offset", "Fragment offset in the message (derived)", 32)
uint("frag_count", "Fragments in the message (derived)", 32)
-- rendezvous, pull, notify
uint("msg_length", "Message length", 32)
uint("rdma_id", "Pulled RDMA window id", 8)
uint("rdma_id32", "Pulled RDMA window id", 32)
uint("rdma_seqnum", "Pulled RDMA window seqnum", 8)
uint("rdma_offset", "Pulled RDMA window offset", 16)
uint("rdma_offset32", "Pulled RDMA window offset", 32)
uint("total_length", "Total length", 32)
uint("pull_handle", "Pull handle", 32, base.HEX)
uint("pull_magic", "Pull magic", 32, base.HEX)
uint("first_frame_offset", "First frame offset", 32)
uint("block_length", "Block length", 32)
uint("frame_index", "Frame index", 32)
uint("frame_seqnum", "Frame seqnum", 8)
uint("frame_length", "Frame length", 16)
uint("msg_offset", "Message offset", 32)
-- connect
uint("connect.length", "Connect data length", 8)
uint("connect.src_session", "Requester's session", 32, base.HEX)
uint("connect.app_key", "Application key", 32, base.HEX)
uint("connect.target_session", "Target session", 32, base.HEX)
uint("connect.recv_start", "Target receive seqnum start", 16, base.HEX)
uint("connect.is_reply", "Is reply", 8)
uint("connect.seqnum", "Connect seqnum", 8)
uint("connect.status", "Status", 8, base.DEC, connect_status)
-- truc (lib ack)
uint("truc.length", "Truc data length", 8)
uint("truc.type", "Truc type", 8, base.HEX, truc_types)
uint("truc.ack_before", "Acked up to (lib seqnum)", 16, base.HEX)
uint("truc.session_id", "Session id", 32, base.HEX)
uint("truc.acknum", "Ack number", 32)
uint("truc.send_seq", "Send seq", 16, base.HEX)
uint("truc.resent", "Resent", 8)
-- nacks
uint("nack_type", "NACK type", 8, base.DEC, nack_types)
F.payload = ProtoField.bytes("mxoe.payload", "Payload")

local fields = {}
for _, f in pairs(F) do fields[#fields + 1] = f end
mxoe.fields = fields

local ef_short = ProtoExpert.new("mxoe.short", "Frame shorter than its header",
				 expert.group.MALFORMED, expert.severity.ERROR)
local ef_len = ProtoExpert.new("mxoe.badlen", "Length points past the frame",
			       expert.group.MALFORMED, expert.severity.ERROR)
mxoe.experts = { ef_short, ef_len }

-- Header sizes of the native layout (omx_wire.h).
local hdr_len = {
	[3] = 16, [4] = 16, [35] = 28, [36] = 32, [37] = 24, [38] = 24, [39] = 32,
	[40] = 32, [41] = 44, [42] = 16, [43] = 24, [44] = 16, [45] = 16,
}

-- Medium fragment size per (source, destination): learnt from a fragment
-- that is not the last of its message (its length is the full size).
local frag_size = {}

local function seqnum(t, r)
	local s = t:add(F.seqnum, r)
	s:add(F["seqnum.seq"], r)
	s:add(F["seqnum.session"], r)
end

local function payload(t, b, off, len, pinfo)
	if len == 0 then return end
	if off + len > b:len() then
		t:add_proto_expert_info(ef_len)
		len = b:len() - off
		if len <= 0 then return end
	end
	t:add(F.payload, b(off, len))
end

local function msg_common(t, b)
	t:add(F.dst_ep, b(1, 1))
	t:add(F.src_ep, b(2, 1))
	t:add(F.src_generation, b(3, 1))
	seqnum(t, b(8, 2))
	t:add(F.piggyack, b(10, 2))
	t:add(F.match, b(12, 8))
	t:add(F.session, b(20, 4))
end

local dissect = {}

dissect[3] = function(t, b)         -- HOST_QUERY
	t:add(F.src_dst_peer_index, b(2, 2))
	t:add(F.magic, b(8, 4))
	return ""
end

dissect[4] = function(t, b)         -- HOST_REPLY
	local n = b(1, 1):uint()
	t:add(F.name_length, b(1, 1))
	t:add(F.src_dst_peer_index, b(2, 2))
	t:add(F.magic, b(8, 4))
	if 16 + n > b:len() then
		t:add_proto_expert_info(ef_len)
		n = b:len() - 16
	end
	if n > 0 then
		local name = b(16, n):stringz()
		t:add(F.hostname, b(16, n), name)
		return " name=" .. name
	end
	return ""
end

dissect[35] = function(t, b)        -- TRUC
	t:add(F.dst_ep, b(1, 1))
	t:add(F.src_ep, b(2, 1))
	t:add(F.src_generation, b(3, 1))
	t:add(F["truc.length"], b(4, 1))
	t:add(F.session, b(8, 4))
	t:add(F["truc.type"], b(12, 1))
	t:add(F["truc.ack_before"], b(14, 2))
	t:add(F["truc.session_id"], b(16, 4))
	t:add(F["truc.acknum"], b(20, 4))
	t:add(F["truc.send_seq"], b(24, 2))
	t:add(F["truc.resent"], b(26, 1))
	return string.format(" ack<%04x", b(14, 2):uint())
end

dissect[36] = function(t, b)        -- CONNECT request or reply
	local reply = b(26, 1):uint() ~= 0
	t:add(F.dst_ep, b(1, 1))
	t:add(F.src_ep, b(2, 1))
	t:add(F.src_generation, b(3, 1))
	t:add(F["connect.length"], b(4, 1))
	seqnum(t, b(8, 2))
	t:add(F.src_dst_peer_index, b(10, 2))
	t:add(F["connect.src_session"], b(16, 4))
	if reply then
		t:add(F["connect.target_session"], b(20, 4))
	else
		t:add(F["connect.app_key"], b(20, 4))
	end
	t:add(F["connect.recv_start"], b(24, 2))
	t:add(F["connect.is_reply"], b(26, 1))
	t:add(F["connect.seqnum"], b(27, 1))
	if reply then
		t:add(F["connect.status"], b(28, 1))
		return " reply status=" .. (connect_status[b(28, 1):uint()] or b(28, 1):uint())
	end
	return " request"
end

local function dissect_msg(t, b)    -- TINY, SMALL
	local len = b(4, 2):uint()
	msg_common(t, b)
	t:add(F.length, b(4, 2))
	t:add(F.checksum, b(6, 2))
	payload(t, b, 24, len)
	return string.format(" len=%u seq=%04x match=0x%s", len, b(8, 2):uint(),
			     b(12, 8):uint64():tohex())
end
dissect[37] = dissect_msg
dissect[38] = dissect_msg

dissect[39] = function(t, b, pinfo) -- MEDIUM fragment (native: 32-bit length at 4)
	local len = b(4, 4):uint()
	local flen, fseq = b(24, 2):uint(), b(26, 1):uint()
	local key = tostring(pinfo.dl_src) .. ">" .. tostring(pinfo.dl_dst)
	msg_common(t, b)
	t:add(F.length32, b(4, 4))
	t:add(F.frag_length, b(24, 2))
	t:add(F.frag_seqnum, b(26, 1))
	t:add(F.checksum, b(28, 2))
	if fseq == 0 and flen < len then
		frag_size[key] = flen
	end
	local fs = frag_size[key]
	local at = ""
	if fs and fs > 0 then
		local n = math.floor((len + fs - 1) / fs)
		t:add(F.frag_offset, fseq * fs):set_generated()
		t:add(F.frag_count, n):set_generated()
		at = string.format(" of %u at %u", n, fseq * fs)
	end
	payload(t, b, 32, flen)
	return string.format(" len=%u frag %u%s (%u B) seq=%04x match=0x%s", len, fseq, at, flen,
			     b(8, 2):uint(), b(12, 8):uint64():tohex())
end

dissect[40] = function(t, b)        -- RNDV
	msg_common(t, b)
	t:add(F.length, b(4, 2))
	t:add(F.checksum, b(6, 2))
	t:add(F.msg_length, b(24, 4))
	t:add(F.rdma_id, b(28, 1))
	t:add(F.rdma_seqnum, b(29, 1))
	t:add(F.rdma_offset, b(30, 2))
	return string.format(" msg_len=%u rdma=%u/%u seq=%04x match=0x%s", b(24, 4):uint(),
			     b(28, 1):uint(), b(29, 1):uint(), b(8, 2):uint(),
			     b(12, 8):uint64():tohex())
end

dissect[41] = function(t, b)        -- PULL (native layout, 44 bytes)
	t:add(F.dst_ep, b(1, 1))
	t:add(F.src_ep, b(2, 1))
	t:add(F.src_generation, b(3, 1))
	t:add(F.session, b(4, 4))
	t:add(F.total_length, b(8, 4))
	t:add(F.rdma_id32, b(12, 4))
	t:add(F.rdma_seqnum, b(16, 1))
	t:add(F.rdma_offset32, b(20, 4))
	t:add(F.pull_handle, b(24, 4))
	t:add(F.pull_magic, b(28, 4))
	t:add(F.first_frame_offset, b(32, 4))
	t:add(F.block_length, b(36, 4))
	t:add(F.frame_index, b(40, 4))
	return string.format(" total=%u frame_index=%u block=%u ffo=%u", b(8, 4):uint(),
			     b(40, 4):uint(), b(36, 4):uint(), b(32, 4):uint())
end

dissect[42] = function(t, b)        -- PULL_REPLY
	local flen = b(2, 2):uint()
	t:add(F.frame_seqnum, b(1, 1))
	t:add(F.frame_length, b(2, 2))
	t:add(F.msg_offset, b(4, 4))
	t:add(F.pull_handle, b(8, 4))
	t:add(F.pull_magic, b(12, 4))
	payload(t, b, 16, flen)
	return string.format(" frame=%u len=%u offset=%u", b(1, 1):uint(), flen, b(4, 4):uint())
end

dissect[43] = function(t, b)        -- NOTIFY
	t:add(F.dst_ep, b(1, 1))
	t:add(F.src_ep, b(2, 1))
	t:add(F.src_generation, b(3, 1))
	t:add(F.session, b(4, 4))
	t:add(F.total_length, b(8, 4))
	t:add(F.rdma_id, b(12, 1))
	t:add(F.rdma_seqnum, b(13, 1))
	seqnum(t, b(18, 2))
	t:add(F.piggyack, b(20, 2))
	return string.format(" total=%u rdma=%u/%u", b(8, 4):uint(), b(12, 1):uint(),
			     b(13, 1):uint())
end

dissect[44] = function(t, b)        -- NACK_LIB
	t:add(F.src_ep, b(1, 1))
	t:add(F.src_generation, b(2, 1))
	t:add(F.nack_type, b(3, 1))
	t:add(F.dst_ep, b(9, 1))
	t:add(F.src_dst_peer_index, b(10, 2))
	seqnum(t, b(12, 2))
	return " " .. (nack_types[b(3, 1):uint()] or "?")
end

dissect[45] = function(t, b)        -- NACK_MCP
	t:add(F.src_ep, b(1, 1))
	t:add(F.src_generation, b(2, 1))
	t:add(F.nack_type, b(3, 1))
	t:add(F.pull_handle, b(8, 4))
	t:add(F.pull_magic, b(12, 4))
	return " " .. (nack_types[b(3, 1):uint()] or "?")
end

function mxoe.dissector(tvb, pinfo, tree)
	if tvb:len() < 3 then return 0 end
	pinfo.cols.protocol = "MXoE"
	local t = tree:add(mxoe, tvb())
	t:add(F.peer_index, tvb(0, 2))
	local b = tvb(2):tvb()
	local ptype = b(0, 1):uint()
	t:add(F.type, b(0, 1))
	local name = ptypes[ptype] or string.format("type %u", ptype)
	local need = hdr_len[ptype]
	local info = ""
	if need and b:len() < need then
		t:add_proto_expert_info(ef_short)
	elseif dissect[ptype] then
		info = dissect[ptype](t, b, pinfo)
	elseif b:len() > 1 then
		t:add(F.payload, b(1))  -- RAW, MFM, ETHER_*: no header in omx_wire.h
	end
	pinfo.cols.info = name .. info
	t:append_text(", " .. name)
	return tvb:len()
end

DissectorTable.get("ethertype"):add(0x86DF, mxoe)
