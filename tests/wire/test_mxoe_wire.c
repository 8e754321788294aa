/* SPDX-License-Identifier: MIT */
/*
 * MXoE codec tests.  Offsets are written out as literals taken from the
 * Open-MX 1.5 layout (common/omx_wire.h), not from our structs, so a layout
 * slip in mxoe_wire.h shows up here.  Frame offsets = 16 (head) + body offset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <myrixen/board_name.h>
#include "mxoe_wire.h"

#include "wcheck.h"

static unsigned be16(const uint8_t *b, size_t off) { return (unsigned)b[off] << 8 | b[off + 1]; }
static uint32_t be32(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 | b[off + 3];
}

static const uint8_t MAC_A[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t MAC_B[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

static void base(struct mxw_frame *f, uint8_t type)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->dst_mac, MAC_B, 6);
	memcpy(f->src_mac, MAC_A, 6);
	f->peer_index = 0x1234;
	f->type = type;
}

static void check_head(const uint8_t *b, uint8_t type)
{
	CHECK(memcmp(b, MAC_B, 6) == 0);
	CHECK(memcmp(b + 6, MAC_A, 6) == 0);
	CHECK(be16(b, 12) == 0x86DF);
	CHECK(be16(b, 14) == 0x1234);
	CHECK(b[16] == type);
}

/* Every truncation of the header must be refused; so must the full frame
 * minus one byte when the frame carries payload. */
static void check_truncations(const uint8_t *b, int len, size_t hdr_end)
{
	struct mxw_frame f;

	for (size_t l = 0; l < hdr_end; l++)
		CHECK(mxw_decode(b, l, &f) < 0);
	(void)len;
}

static void fill_msg(struct mxw_msg_fields *m)
{
	m->dst_ep = 7;
	m->src_ep = 9;
	m->seqnum = 0x4123;
	m->piggyack = 0x4077;
	m->session = 0xdeadbeef;
	m->match_info = 0x0102030405060708ull;
}

static void check_msg_fields(const uint8_t *b, unsigned length)
{
	CHECK(b[16 + 1] == 7);
	CHECK(b[16 + 2] == 9);
	CHECK(be16(b, 16 + 4) == length);
	CHECK(be16(b, 16 + 8) == 0x4123);
	CHECK(be16(b, 16 + 10) == 0x4077);
	CHECK(be32(b, 16 + 12) == 0x01020304);
	CHECK(be32(b, 16 + 16) == 0x05060708);
	CHECK(be32(b, 16 + 20) == 0xdeadbeef);
}

static void check_msg_decoded(const struct mxw_msg_fields *m, unsigned length)
{
	CHECK(m->dst_ep == 7 && m->src_ep == 9);
	CHECK(m->length == length);
	CHECK(m->seqnum == 0x4123 && m->piggyack == 0x4077);
	CHECK(m->session == 0xdeadbeef);
	CHECK(m->match_info == 0x0102030405060708ull);
}

static void test_tiny_small(void)
{
	uint8_t buf[256], pay[128];
	struct mxw_frame f, d;
	int len;

	for (unsigned i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 7 + 1);
	for (unsigned plen = 0; plen <= 128; plen++) {
		uint8_t type = plen <= 32 ? MXW_PKT_TINY : MXW_PKT_SMALL;

		base(&f, type);
		fill_msg(&f.u.msg);
		f.payload = pay;
		f.payload_len = plen;
		len = mxw_encode_frame(buf, sizeof(buf), &f);
		CHECK(len == (int)(16 + 24 + plen < 60 ? 60 : 16 + 24 + plen));
		check_head(buf, type);
		check_msg_fields(buf, plen);
		CHECK(memcmp(buf + 40, pay, plen) == 0);
		CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
		CHECK(d.type == type && d.peer_index == 0x1234);
		CHECK(memcmp(d.src_mac, MAC_A, 6) == 0 && memcmp(d.dst_mac, MAC_B, 6) == 0);
		check_msg_decoded(&d.u.msg, plen);
		CHECK(d.payload_len == plen && memcmp(d.payload, pay, plen) == 0);
		check_truncations(buf, len, 40);
		/* the payload must be in the frame */
		if (plen > 20)
			CHECK(mxw_decode(buf, 40 + plen - 1, &d) == -EMSGSIZE);
	}
	/* a tiny claiming 33 bytes, a small claiming 129: refused */
	base(&f, MXW_PKT_SMALL);
	fill_msg(&f.u.msg);
	f.payload = pay;
	f.payload_len = 64;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	buf[16] = MXW_PKT_TINY;
	CHECK(mxw_decode(buf, (size_t)len, &d) == -EBADMSG);
	buf[16] = MXW_PKT_SMALL;
	buf[20] = 0;
	buf[21] = 129;
	CHECK(mxw_decode(buf, sizeof(buf), &d) == -EBADMSG);
	f.payload_len = 129;
	CHECK(mxw_encode_frame(buf, sizeof(buf), &f) == -EMSGSIZE);
}

/* Open-MX native omx_pkt_medium_frag: 32-bit length at 4 (TINY/SMALL carry
 * 16 bits and a checksum there), frag_length 24, frag_seqnum 26, pad 27,
 * checksum 28, pad 30; 32 bytes. */
static void test_medium(void)
{
	static uint8_t buf[9100], pay[8192];
	struct mxw_frame f, d;
	int len;

	for (unsigned i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i ^ (i >> 8));
	base(&f, MXW_PKT_MEDIUM);
	fill_msg(&f.u.medium.msg);
	f.u.medium.msg.length = 30000;
	f.u.medium.frag_seqnum = 3;
	f.payload = pay;
	f.payload_len = 8192;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 16 + 32 + 8192);
	check_head(buf, MXW_PKT_MEDIUM);
	CHECK(buf[16 + 1] == 7 && buf[16 + 2] == 9 && buf[16 + 3] == 0);
	CHECK(be32(buf, 16 + 4) == 30000);
	CHECK(be16(buf, 16 + 8) == 0x4123 && be16(buf, 16 + 10) == 0x4077);
	CHECK(be32(buf, 16 + 12) == 0x01020304 && be32(buf, 16 + 16) == 0x05060708);
	CHECK(be32(buf, 16 + 20) == 0xdeadbeef);
	CHECK(be16(buf, 16 + 24) == 8192);
	CHECK(buf[16 + 26] == 3);
	CHECK(buf[16 + 27] == 0 && be32(buf, 16 + 28) == 0);
	CHECK(memcmp(buf + 48, pay, 8192) == 0);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	check_msg_decoded(&d.u.medium.msg, 30000);
	CHECK(d.u.medium.frag_length == 8192 && d.u.medium.frag_seqnum == 3);
	CHECK(d.payload == buf + 48 && d.payload_len == 8192);
	check_truncations(buf, len, 48);
	CHECK(mxw_decode(buf, (size_t)len - 1, &d) == -EMSGSIZE);
	/* the high half of the length counts: 0x00010000 + 10 */
	buf[16 + 5] = 1;
	buf[16 + 6] = 0;
	buf[16 + 7] = 10;
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && d.u.medium.msg.length == 0x1000a);
	/* a fragment longer than its message */
	buf[16 + 5] = 0;
	CHECK(mxw_decode(buf, (size_t)len, &d) == -EBADMSG);
	/* a medium of 129 bytes is 0x00000081 at offset 4, not 0x00810000 */
	f.u.medium.msg.length = 129;
	f.u.medium.frag_seqnum = 0;
	f.payload_len = 129;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 16 + 32 + 129);
	CHECK(buf[20] == 0 && buf[21] == 0 && buf[22] == 0 && buf[23] == 0x81);
	CHECK(be16(buf, 16 + 24) == 129);
}

/*
 * Fragment placement: fragment i of a medium sits at i * F, F being the
 * sender's fragment size (Open-MX's omx__process_recv_medium_frag), only
 * the last one shorter.  F is learnt from what arrives, so both Open-MX
 * geometries (1452 at MTU 1500, 8192 at 9000) and a 4096 one are placed
 * right whatever our own MTU.
 */
static void check_geometry(uint32_t msg_len, uint32_t F)
{
	uint32_t n = (msg_len + F - 1) / F, fs = 0;

	/* in order: fragment 0 tells F */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = msg_len - i * F < F ? msg_len - i * F : F;

		CHECK(mxw_medium_frag_offset(msg_len, (uint8_t)i, len, &fs) == (int64_t)i * F);
		CHECK(fs == F || (n == 1 && fs == msg_len));
	}
	/* the last one first: it tells F when nothing else fits */
	if (n > 1) {
		uint32_t last = msg_len - (n - 1) * F;
		int64_t off;

		fs = 0;
		off = mxw_medium_frag_offset(msg_len, (uint8_t)(n - 1), last, &fs);
		CHECK(off == (int64_t)(n - 1) * F || (off == -EAGAIN && fs == 0));
		if (off == -EAGAIN) {
			CHECK(mxw_medium_frag_offset(msg_len, 0, F, &fs) == 0 && fs == F);
			CHECK(mxw_medium_frag_offset(msg_len, (uint8_t)(n - 1), last, &fs) ==
			      (int64_t)(n - 1) * F);
		}
		/* once F is known, another size is refused */
		CHECK(mxw_medium_frag_offset(msg_len, 1, F - 1, &fs) == -EBADMSG);
		CHECK(mxw_medium_frag_offset(msg_len, (uint8_t)n, last, &fs) == -EBADMSG);
	}
}

static void test_medium_geometry(void)
{
	uint32_t fs;

	check_geometry(32768, 1452);    /* MTU 1500: 22 full + 824 */
	check_geometry(32768, 8192);    /* MTU 9000: 4 full */
	check_geometry(30000, 8192);
	check_geometry(30000, 4096);
	check_geometry(3000, 1452);
	check_geometry(1452, 1452);
	check_geometry(129, 1452);
	/* a middle fragment before fragment 0 could be a full 1452 one or the
	 * last after one of 1548: told only once fragment 0 arrives */
	fs = 0;
	CHECK(mxw_medium_frag_offset(3000, 1, 1452, &fs) == -EAGAIN && fs == 0);
	/* 96 bytes as fragment 2 of 3000: only "last after 2 x 1452" fits
	 * (F = 96 would need 32 fragments of a plausible size) */
	fs = 0;
	CHECK(mxw_medium_frag_offset(3000, 2, 96, &fs) == 2904 && fs == 1452);
	/* (seq + 1) * len == msg_len: every fragment that size */
	fs = 0;
	CHECK(mxw_medium_frag_offset(24576, 2, 8192, &fs) == 16384 && fs == 8192);
	/* the old 1466-byte geometry is just another sender geometry */
	fs = 0;
	CHECK(mxw_medium_frag_offset(32768, 0, 1466, &fs) == 0 && fs == 1466);
	CHECK(mxw_medium_frag_offset(32768, 22, 32768 - 22 * 1466, &fs) == 22 * 1466);
	/* impossible fragments */
	fs = 0;
	CHECK(mxw_medium_frag_offset(3000, 0, 3001, &fs) == -EBADMSG);
	CHECK(mxw_medium_frag_offset(3000, 0, 0, &fs) == -EBADMSG);
	CHECK(mxw_medium_frag_offset(0, 1, 0, &fs) == -EBADMSG);
	CHECK(mxw_medium_frag_offset(0, 0, 0, &fs) == 0);
	fs = 0;
	CHECK(mxw_medium_frag_offset(3000, 5, 1000, &fs) == -EBADMSG);
	/* a first fragment implying more than 256 fragments, or tiny ones */
	fs = 0;
	CHECK(mxw_medium_frag_offset(65536, 0, 255, &fs) == -EBADMSG && fs == 0);
	CHECK(mxw_medium_frag_offset(3000, 0, 100, &fs) == -EBADMSG && fs == 0);
	CHECK(mxw_medium_frag_offset(3000, 1, 3000, &fs) == -EBADMSG && fs == 0);
	fs = 1452;
	CHECK(mxw_medium_frag_offset(3000, 3, 1452, &fs) == -EBADMSG);
	CHECK(mxw_medium_frag_offset(3000, 2, 95, &fs) == -EBADMSG);
}

static void test_rndv(void)
{
	uint8_t buf[128];
	struct mxw_frame f, d;
	int len;

	base(&f, MXW_PKT_RNDV);
	fill_msg(&f.u.rndv.msg);
	f.u.rndv.msg_length = 4u << 20;
	f.u.rndv.rdma_id = 0x21;
	f.u.rndv.rdma_seqnum = 0x42;
	f.u.rndv.rdma_offset = 0x0abc;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 60);
	check_head(buf, MXW_PKT_RNDV);
	check_msg_fields(buf, 8);
	CHECK(be32(buf, 16 + 24) == 4u << 20);
	CHECK(buf[16 + 28] == 0x21 && buf[16 + 29] == 0x42);
	CHECK(be16(buf, 16 + 30) == 0x0abc);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	check_msg_decoded(&d.u.rndv.msg, 8);
	CHECK(d.u.rndv.msg_length == 4u << 20 && d.u.rndv.rdma_id == 0x21);
	CHECK(d.u.rndv.rdma_seqnum == 0x42 && d.u.rndv.rdma_offset == 0x0abc);
	check_truncations(buf, len, 48);
}

static void test_pull(void)
{
	uint8_t buf[128];
	struct mxw_frame f, d;
	int len;

	base(&f, MXW_PKT_PULL);
	f.u.pull.dst_ep = 3;
	f.u.pull.src_ep = 4;
	f.u.pull.session = 0x11223344;
	f.u.pull.total_length = 4194304;
	f.u.pull.rdma_id = 0x55;
	f.u.pull.rdma_seqnum = 0x66;
	f.u.pull.rdma_offset = 0x777;
	f.u.pull.src_pull_handle = 0x88990011;
	f.u.pull.src_magic = 0xcafef00d;
	f.u.pull.first_frame_offset = 0x777;
	f.u.pull.block_length = 286976;
	f.u.pull.frame_index = 64;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 16 + 44);
	check_head(buf, MXW_PKT_PULL);
	CHECK(buf[17] == 3 && buf[18] == 4);
	CHECK(be32(buf, 16 + 4) == 0x11223344);
	CHECK(be32(buf, 16 + 8) == 4194304);
	CHECK(be32(buf, 16 + 12) == 0x55);
	CHECK(buf[16 + 16] == 0x66);
	CHECK(be32(buf, 16 + 20) == 0x777);
	CHECK(be32(buf, 16 + 24) == 0x88990011);
	CHECK(be32(buf, 16 + 28) == 0xcafef00d);
	CHECK(be32(buf, 16 + 32) == 0x777);
	CHECK(be32(buf, 16 + 36) == 286976);
	CHECK(be32(buf, 16 + 40) == 64);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.pull.dst_ep == 3 && d.u.pull.src_ep == 4 && d.u.pull.session == 0x11223344);
	CHECK(d.u.pull.total_length == 4194304 && d.u.pull.rdma_id == 0x55);
	CHECK(d.u.pull.rdma_seqnum == 0x66 && d.u.pull.rdma_offset == 0x777);
	CHECK(d.u.pull.src_pull_handle == 0x88990011 && d.u.pull.src_magic == 0xcafef00d);
	CHECK(d.u.pull.first_frame_offset == 0x777 && d.u.pull.block_length == 286976);
	CHECK(d.u.pull.frame_index == 64);
	check_truncations(buf, len, 60);
}

static void test_pull_reply(void)
{
	static uint8_t buf[9100], pay[8968];
	struct mxw_frame f, d;
	int len;

	for (unsigned i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 13);
	base(&f, MXW_PKT_PULL_REPLY);
	f.u.pull_reply.frame_seqnum = 0xfe;
	f.u.pull_reply.msg_offset = 0x00123456;
	f.u.pull_reply.dst_pull_handle = 0x0badf00d;
	f.u.pull_reply.dst_magic = 0x600dcafe;
	f.payload = pay;
	f.payload_len = mxw_pull_reply_max(9000);
	CHECK(f.payload_len == 8968);     /* Open-MX: 9000 - 16 - 16 */
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 16 + 16 + 8968);
	check_head(buf, MXW_PKT_PULL_REPLY);
	CHECK(buf[17] == 0xfe);
	CHECK(be16(buf, 16 + 2) == 8968);
	CHECK(be32(buf, 16 + 4) == 0x00123456);
	CHECK(be32(buf, 16 + 8) == 0x0badf00d);
	CHECK(be32(buf, 16 + 12) == 0x600dcafe);
	CHECK(memcmp(buf + 32, pay, 8968) == 0);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.pull_reply.frame_seqnum == 0xfe && d.u.pull_reply.frame_length == 8968);
	CHECK(d.u.pull_reply.msg_offset == 0x00123456);
	CHECK(d.u.pull_reply.dst_pull_handle == 0x0badf00d && d.u.pull_reply.dst_magic == 0x600dcafe);
	CHECK(d.payload_len == 8968 && memcmp(d.payload, pay, 8968) == 0);
	check_truncations(buf, len, 32);
	CHECK(mxw_decode(buf, (size_t)len - 1, &d) == -EMSGSIZE);
}

static void test_notify(void)
{
	uint8_t buf[128];
	struct mxw_frame f, d;
	int len;

	base(&f, MXW_PKT_NOTIFY);
	f.u.notify.dst_ep = 1;
	f.u.notify.src_ep = 2;
	f.u.notify.session = 0xa1b2c3d4;
	f.u.notify.total_length = 1000000;
	f.u.notify.rdma_id = 5;
	f.u.notify.rdma_seqnum = 6;
	f.u.notify.seqnum = 0x0042;
	f.u.notify.piggyack = 0x0040;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 60);
	check_head(buf, MXW_PKT_NOTIFY);
	CHECK(buf[17] == 1 && buf[18] == 2);
	CHECK(be32(buf, 16 + 4) == 0xa1b2c3d4);
	CHECK(be32(buf, 16 + 8) == 1000000);
	CHECK(buf[16 + 12] == 5 && buf[16 + 13] == 6);
	CHECK(be16(buf, 16 + 18) == 0x42 && be16(buf, 16 + 20) == 0x40);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.notify.dst_ep == 1 && d.u.notify.src_ep == 2);
	CHECK(d.u.notify.session == 0xa1b2c3d4 && d.u.notify.total_length == 1000000);
	CHECK(d.u.notify.rdma_id == 5 && d.u.notify.rdma_seqnum == 6);
	CHECK(d.u.notify.seqnum == 0x42 && d.u.notify.piggyack == 0x40);
	check_truncations(buf, len, 40);
}

/* Our extension (docs/interop.md): the connect and host frames' magic and
 * incarnation, the send number at offset 6 (TINY/SMALL/RNDV) and 30
 * (MEDIUM); zeros without. */
static void test_send_numbers(void)
{
	static const uint8_t payload[1000];
	uint8_t buf[2048];
	struct mxw_frame f, d;
	int len;

	for (int on = 0; on <= 1; on++) {
		base(&f, MXW_PKT_CONNECT);
		f.u.connect.mxn_seq = on;
		f.u.connect.incarnation = 0xa1b2c3d5;
		len = mxw_encode_frame(buf, sizeof(buf), &f);
		CHECK(len == 60);
		CHECK(be32(buf, 16 + 12) == (on ? 0x4d584e53u : 0));
		CHECK(be32(buf, 16 + 28) == (on ? 0xa1b2c3d5u : 0));
		CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
		CHECK(d.u.connect.mxn_seq == on && d.u.connect.incarnation == (on ? 0xa1b2c3d5u : 0));
		f.u.connect.is_reply = 1;   /* a reply's byte 28 is its status, 29.. */
		f.u.connect.status_code = 11;
		len = mxw_encode_frame(buf, sizeof(buf), &f);
		CHECK(be32(buf, 16 + 12) == (on ? 0x4d584e53u : 0));
		CHECK(be32(buf, 16 + 28) == (on ? 0x0bb2c3d5u : 0x0b000000u));
		CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && d.u.connect.status_code == 11);
		CHECK(d.u.connect.incarnation == (on ? 0xb2c3d5u : 0));
		/* HOST_QUERY and HOST_REPLY: the magic in pad0, the whole
		 * incarnation in pad1 (mxoe_life.c); a native one decodes as 0 */
		for (int t = MXW_PKT_HOST_QUERY; t <= MXW_PKT_HOST_REPLY; t++) {
			base(&f, (uint8_t)t);
			f.u.host.magic = MXW_HOST_QUERY_MAGIC;
			f.u.host.incarnation = on ? 0xa1b2c3d5u : 0;
			f.payload = (const uint8_t *)"b:0";
			f.payload_len = t == MXW_PKT_HOST_REPLY ? 3 : 0;
			len = mxw_encode_frame(buf, sizeof(buf), &f);
			CHECK(len == 60 && be32(buf, 16 + 8) == MXW_HOST_QUERY_MAGIC);
			CHECK(be32(buf, 16 + 4) == (on ? 0x4d584e53u : 0));
			CHECK(be32(buf, 16 + 12) == (on ? 0xa1b2c3d5u : 0));
			CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
			CHECK(d.u.host.incarnation == (on ? 0xa1b2c3d5u : 0));
			buf[16 + 4] ^= 1;   /* no magic: pad1 is only a pad */
			CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && d.u.host.incarnation == 0);
		}
	}
	base(&f, MXW_PKT_TINY);
	fill_msg(&f.u.msg);
	f.u.msg.mxn_seq = 0xbeef;
	f.payload = (const uint8_t *)"abc";
	f.payload_len = 3;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len > 0 && be16(buf, 16 + 6) == 0xbeef);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && d.u.msg.mxn_seq == 0xbeef);
	base(&f, MXW_PKT_MEDIUM);
	fill_msg(&f.u.medium.msg);
	f.u.medium.msg.length = 5000;
	f.u.medium.msg.mxn_seq = 0x1234;
	f.payload = payload;
	f.payload_len = sizeof(payload);
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len > 0 && be16(buf, 16 + 30) == 0x1234 && be16(buf, 16 + 28) == 0);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && d.u.medium.msg.mxn_seq == 0x1234);
}

static void test_connect(void)
{
	uint8_t buf[128];
	struct mxw_frame f, d;
	int len;

	for (int reply = 0; reply <= 1; reply++) {
		base(&f, MXW_PKT_CONNECT);
		f.u.connect.dst_ep = 11;
		f.u.connect.src_ep = 12;
		f.u.connect.seqnum = 0;
		f.u.connect.src_dst_peer_index = 0x0203;
		f.u.connect.src_session = 0x10203040;
		f.u.connect.app_key = 0x50607080;
		f.u.connect.target_session = 0x90a0b0c0;
		f.u.connect.target_recv_seqnum_start = 0x8000;
		f.u.connect.is_reply = (uint8_t)reply;
		f.u.connect.connect_seqnum = 0x33;
		f.u.connect.status_code = reply ? MXW_CONNECT_STATUS_BAD_KEY : 0;
		len = mxw_encode_frame(buf, sizeof(buf), &f);
		CHECK(len == 60);
		check_head(buf, MXW_PKT_CONNECT);
		CHECK(buf[17] == 11 && buf[18] == 12);
		CHECK(buf[16 + 4] == 16);
		CHECK(be16(buf, 16 + 8) == 0);
		CHECK(be16(buf, 16 + 10) == 0x0203);
		CHECK(be32(buf, 16 + 16) == 0x10203040);
		CHECK(be32(buf, 16 + 20) == (reply ? 0x90a0b0c0 : 0x50607080));
		CHECK(be16(buf, 16 + 24) == 0x8000);
		CHECK(buf[16 + 26] == reply);
		CHECK(buf[16 + 27] == 0x33);
		CHECK(buf[16 + 28] == (reply ? 11 : 0));
		CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
		CHECK(d.u.connect.dst_ep == 11 && d.u.connect.src_ep == 12);
		CHECK(d.u.connect.src_dst_peer_index == 0x0203);
		CHECK(d.u.connect.src_session == 0x10203040);
		CHECK(d.u.connect.is_reply == reply && d.u.connect.connect_seqnum == 0x33);
		CHECK(d.u.connect.target_recv_seqnum_start == 0x8000);
		if (reply)
			CHECK(d.u.connect.target_session == 0x90a0b0c0 && d.u.connect.status_code == 11);
		else
			CHECK(d.u.connect.app_key == 0x50607080);
		check_truncations(buf, len, 48);
	}
	/* connect data length below 16: refused */
	buf[16 + 4] = 8;
	CHECK(mxw_decode(buf, 60, &d) == -EBADMSG);
}

/*
 * The moved extension (docs/migration.md): after a request's 32-byte header
 * (offset 48: where a native frame has Ethernet padding), "MXMV", the old
 * nic id in MAC order and the proof.  Only a request with the MXNS magic
 * carries or is read for it; a reply, a native request, padding or a wrong
 * magic never yields one.
 */
static void test_connect_moved(void)
{
	uint8_t buf[128];
	struct mxw_frame f, d;
	int len;

	base(&f, MXW_PKT_CONNECT);
	f.u.connect.src_ep = 3;
	f.u.connect.src_session = 0x0badcafe;
	f.u.connect.mxn_seq = true;
	f.u.connect.incarnation = 7;
	f.u.connect.moved_from = 0x525400120001ull;
	f.u.connect.moved_proof = 0xfeedf00d;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 16 + 32 + 14);
	CHECK(be32(buf, 48) == 0x4d584d56u);
	CHECK(buf[52] == 0x52 && buf[53] == 0x54 && buf[54] == 0x00 && buf[55] == 0x12 &&
	      buf[56] == 0x00 && buf[57] == 0x01);
	CHECK(be32(buf, 58) == 0xfeedf00du);
	CHECK(be32(buf, 16 + 28) == 7); /* the incarnation stays where it was */
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.connect.moved_from == 0x525400120001ull && d.u.connect.moved_proof == 0xfeedf00d);
	CHECK(d.u.connect.src_ep == 3 && d.u.connect.src_session == 0x0badcafe);
	/* cut short: no extension, the connect itself still decodes */
	CHECK(mxw_decode(buf, (size_t)len - 1, &d) == 0 && d.u.connect.moved_from == 0);
	/* a wrong magic */
	buf[48] ^= 1;
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && d.u.connect.moved_from == 0);
	buf[48] ^= 1;
	/* a native request (no MXNS) with those bytes behind it: not read */
	buf[16 + 12] = 0;
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && !d.u.connect.mxn_seq &&
	      d.u.connect.moved_from == 0);
	/* never written to a native partner nor in a reply */
	f.u.connect.mxn_seq = false;
	CHECK(mxw_encode_frame(buf, sizeof(buf), &f) == 60 && be32(buf, 48) == 0);
	f.u.connect.mxn_seq = true;
	f.u.connect.is_reply = 1;
	CHECK(mxw_encode_frame(buf, sizeof(buf), &f) == 60 && be32(buf, 48) == 0);
	CHECK(mxw_decode(buf, 60, &d) == 0 && d.u.connect.moved_from == 0);
	/* without a move: Open-MX's 60 bytes, zero padding */
	f.u.connect.is_reply = 0;
	f.u.connect.moved_from = 0;
	CHECK(mxw_encode_frame(buf, sizeof(buf), &f) == 60 && be32(buf, 48) == 0);
}

static void test_truc(void)
{
	uint8_t buf[128];
	struct mxw_frame f, d;
	int len;

	base(&f, MXW_PKT_TRUC);
	f.u.truc.dst_ep = 21;
	f.u.truc.src_ep = 22;
	f.u.truc.session = 0x01020304;
	f.u.truc.data_type = MXW_TRUC_TYPE_ACK;
	f.u.truc.ack_before = 0x4005;
	f.u.truc.session_id = 0x01020304;
	f.u.truc.acknum = 77;
	f.u.truc.send_seq = 0x4005;
	f.u.truc.resent = 1;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 60);
	check_head(buf, MXW_PKT_TRUC);
	CHECK(buf[17] == 21 && buf[18] == 22);
	CHECK(buf[16 + 4] == 16);
	CHECK(be32(buf, 16 + 8) == 0x01020304);
	CHECK(buf[16 + 12] == 0x55);
	CHECK(be16(buf, 16 + 14) == 0x4005);
	CHECK(be32(buf, 16 + 16) == 0x01020304);
	CHECK(be32(buf, 16 + 20) == 77);
	CHECK(be16(buf, 16 + 24) == 0x4005);
	CHECK(buf[16 + 26] == 1);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.truc.dst_ep == 21 && d.u.truc.src_ep == 22 && d.u.truc.session == 0x01020304);
	CHECK(d.u.truc.data_type == 0x55 && d.u.truc.ack_before == 0x4005);
	CHECK(d.u.truc.session_id == 0x01020304 && d.u.truc.acknum == 77);
	CHECK(d.u.truc.send_seq == 0x4005 && d.u.truc.resent == 1);
	check_truncations(buf, len, 44);
}

static void test_nacks(void)
{
	uint8_t buf[128];
	struct mxw_frame f, d;
	int len;

	base(&f, MXW_PKT_NACK_LIB);
	f.u.nack_lib.src_ep = 31;
	f.u.nack_lib.dst_ep = 32;
	f.u.nack_lib.nack_type = MXW_NACK_BAD_SESSION;
	f.u.nack_lib.src_dst_peer_index = 0x0405;
	f.u.nack_lib.seqnum = 0x4321;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 60);
	check_head(buf, MXW_PKT_NACK_LIB);
	CHECK(buf[17] == 31 && buf[19] == 3);
	CHECK(buf[16 + 9] == 32);
	CHECK(be16(buf, 16 + 10) == 0x0405 && be16(buf, 16 + 12) == 0x4321);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.nack_lib.src_ep == 31 && d.u.nack_lib.dst_ep == 32);
	CHECK(d.u.nack_lib.nack_type == 3 && d.u.nack_lib.seqnum == 0x4321);
	CHECK(d.u.nack_lib.src_dst_peer_index == 0x0405);
	check_truncations(buf, len, 32);
	buf[19] = 0;
	CHECK(mxw_decode(buf, 60, &d) == -EBADMSG);
	buf[19] = 9;
	CHECK(mxw_decode(buf, 60, &d) == -EBADMSG);

	base(&f, MXW_PKT_NACK_MCP);
	f.u.nack_mcp.src_ep = 41;
	f.u.nack_mcp.nack_type = MXW_NACK_BAD_RDMAWIN;
	f.u.nack_mcp.src_pull_handle = 0x01010202;
	f.u.nack_mcp.src_magic = 0x03030404;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 60);
	check_head(buf, MXW_PKT_NACK_MCP);
	CHECK(buf[17] == 41 && buf[19] == 4);
	CHECK(be32(buf, 16 + 8) == 0x01010202 && be32(buf, 16 + 12) == 0x03030404);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.nack_mcp.src_ep == 41 && d.u.nack_mcp.nack_type == 4);
	CHECK(d.u.nack_mcp.src_pull_handle == 0x01010202 && d.u.nack_mcp.src_magic == 0x03030404);
	check_truncations(buf, len, 32);
}

static void test_host(void)
{
	uint8_t buf[128];
	struct mxw_frame f, d;
	const char *name = "node-b.example";
	int len;

	base(&f, MXW_PKT_HOST_QUERY);
	f.u.host.src_dst_peer_index = 0x0007;
	f.u.host.magic = MXW_HOST_QUERY_MAGIC;
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 60);
	check_head(buf, MXW_PKT_HOST_QUERY);
	CHECK(be16(buf, 16 + 2) == 7 && be32(buf, 16 + 8) == 0x13052008);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.host.magic == MXW_HOST_QUERY_MAGIC && d.u.host.src_dst_peer_index == 7);
	check_truncations(buf, len, 32);

	/* HOST_REPLY: the length counts the NUL, which is sent (Open-MX's
	 * omx_process_host_queries_and_replies_workfunc: strlen + 1) */
	base(&f, MXW_PKT_HOST_REPLY);
	f.u.host.src_dst_peer_index = 0x0008;
	f.u.host.magic = MXW_HOST_QUERY_MAGIC;
	f.payload = (const uint8_t *)name;
	f.payload_len = (uint32_t)strlen(name);
	len = mxw_encode_frame(buf, sizeof(buf), &f);
	CHECK(len == 60);
	check_head(buf, MXW_PKT_HOST_REPLY);
	CHECK(buf[17] == strlen(name) + 1);
	CHECK(be16(buf, 16 + 2) == 8 && be32(buf, 16 + 8) == 0x13052008);
	CHECK(memcmp(buf + 32, name, strlen(name)) == 0 && buf[32 + strlen(name)] == 0);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0);
	CHECK(d.u.host.name_len == strlen(name) && d.payload_len == strlen(name));
	CHECK(memcmp(d.payload, name, strlen(name)) == 0);
	CHECK(mxw_decode(buf, 32 + strlen(name), &d) == -EMSGSIZE);
	/* a sender that leaves the NUL out is understood too */
	buf[17] = (uint8_t)strlen(name);
	CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && d.payload_len == strlen(name));
	/* Open-MX's longest: 79 characters and the NUL */
	{
		char big[80];

		memset(big, 'n', 79);
		big[79] = 0;
		f.payload = (const uint8_t *)big;
		f.payload_len = 79;
		len = mxw_encode_frame(buf, sizeof(buf), &f);
		CHECK(len == 32 + 80 && buf[17] == 80 && buf[32 + 79] == 0);
		CHECK(mxw_decode(buf, (size_t)len, &d) == 0 && d.payload_len == 79);
		f.payload_len = 80;
		CHECK(mxw_encode_frame(buf, sizeof(buf), &f) == -EMSGSIZE);
	}
	buf[17] = 82;
	CHECK(mxw_decode(buf, sizeof(buf), &d) == -EBADMSG);
}

static void test_bad_frames(void)
{
	uint8_t buf[64] = { 0 };
	struct mxw_frame d;

	CHECK(mxw_decode(NULL, 0, &d) == -EBADMSG);
	CHECK(mxw_decode(buf, 16, &d) == -EBADMSG);
	buf[12] = 0x08; /* IPv4 */
	buf[16] = MXW_PKT_TINY;
	CHECK(mxw_decode(buf, sizeof(buf), &d) == -EPROTONOSUPPORT);
	buf[12] = 0x86;
	buf[13] = 0xdf;
	for (unsigned t = 0; t < 256; t++) {
		unsigned base_t = t & 0x7f;
		int known = (base_t >= 35 && base_t <= 45) || base_t == 3 || base_t == 4;

		buf[16] = (uint8_t)t;
		if (!known)
			CHECK(mxw_decode(buf, sizeof(buf), &d) == -EPROTONOSUPPORT);
	}
	/* the hint bit is stripped, the packet still decodes */
	buf[16] = MXW_PKT_TINY | MXW_PTYPE_NEED_IRQ;
	CHECK(mxw_decode(buf, sizeof(buf), &d) == 0 && d.type == MXW_PKT_TINY);
}

/* Open-MX's MTU (OMX_MTU) is the whole frame, Ethernet header included
 * (common/omx_wire.h: OMX_*_PAYLOAD_SIZE_OF_PACKET(OMX_MTU)). */
static void test_mtu_rules(void)
{
	CHECK(mxw_medium_frag_max(9000) == 8192);
	CHECK(mxw_pull_reply_max(9000) == 8968);
	CHECK(mxw_medium_frag_max(1500) == 1452);
	CHECK(mxw_pull_reply_max(1500) == 1468);
	CHECK(mxw_medium_frag_max(4144) == 4096);
	CHECK(mxw_medium_frag_max(4145) == 4096);
	CHECK(mxw_medium_frag_max(8239) == 4096);
	CHECK(mxw_medium_frag_max(8240) == 8192);
	CHECK(mxw_medium_frag_max(4200) == 4096);
	CHECK(mxw_medium_frag_max(4000) == 3952);
	CHECK(mxw_medium_frag_max(20) == 0);
	CHECK(mxw_pull_reply_max(32) == 0);
	/* a frame of either kind fills exactly the MTU */
	CHECK(16 + 32 + mxw_medium_frag_max(1500) == 1500);
	CHECK(16 + 16 + mxw_pull_reply_max(9000) == 9000);
	uint8_t mac[6];
	mxw_u64_to_mac(0x0211223344556677ull & 0xffffffffffffull, mac);
	CHECK(mac[0] == 0x22 && mac[5] == 0x77);
	CHECK(mxw_mac_to_u64(MAC_A) == 0x021122334455ull);
}

/* MX's "hostname:board": a bare name is board 0. */
static int same(const char *a, const char *b)
{
	return mxn_board_name_eq(a, (uint32_t)strlen(a), b, (uint32_t)strlen(b));
}

static void test_board_names(void)
{
	uint32_t board;

	CHECK(same("omxnode", "omxnode:0") && same("omxnode:0", "omxnode"));
	CHECK(same("omxnode:00", "omxnode") && same("omxnode:1", "omxnode:1"));
	CHECK(!same("omxnode:1", "omxnode") && !same("omxnode:1", "omxnode:0"));
	CHECK(!same("omxnode", "omxnode2") && !same("omx", "omxnode:0"));
	CHECK(same("a:b", "a:b:0"));    /* ":b" is no board suffix: host "a:b" */
	CHECK(mxn_board_split("node:12", 7, &board) == 4 && board == 12);
	CHECK(mxn_board_split("node:1234", 9, &board) == 9 && board == 0);  /* 4 digits: name */
	CHECK(mxn_board_split(":0", 2, &board) == 2 && board == 0);          /* no host part */
	CHECK(mxn_board_split("node:", 5, &board) == 5 && board == 0);
	CHECK(mxn_board_split("10.0.0.1", 8, &board) == 8 && board == 0);
}

int main(void)
{
	test_board_names();
	test_tiny_small();
	test_medium();
	test_medium_geometry();
	test_rndv();
	test_pull();
	test_pull_reply();
	test_notify();
	test_connect();
	test_connect_moved();
	test_send_numbers();
	test_truc();
	test_nacks();
	test_host();
	test_bad_frames();
	test_mtu_rules();
	if (failures) {
		fprintf(stderr, "wire codec: %d failures\n", failures);
		return 1;
	}
	printf("wire codec: all checks passed\n");
	return 0;
}
