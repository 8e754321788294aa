/* SPDX-License-Identifier: MIT */
/*
 * MXoE encode/decode.  Pure: bytes in, struct out (and back), no I/O.
 * A received frame is hostile: every header is copied out only after its
 * full length was checked against the frame, and every length field that
 * points at payload is bounded by what the frame really holds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "mxoe_wire.h"

uint64_t mxw_mac_to_u64(const uint8_t mac[6])
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 6; i++)
		v = (v << 8) | mac[i];
	return v;
}

void mxw_u64_to_mac(uint64_t v, uint8_t mac[6])
{
	for (int i = 5; i >= 0; i--) {
		mac[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint32_t mxw_medium_frag_max(uint32_t mtu)
{
	uint32_t hdr = MXW_HEAD_LEN + (uint32_t)sizeof(struct mxw_hdr_medium);

	if (mtu <= hdr)
		return 0;
	if (mtu - hdr <= 4096)
		return mtu - hdr;
	/* above a page Open-MX keeps fragments a power of two */
	return mtu >= hdr + 8192 ? 8192 : 4096;
}

uint32_t mxw_pull_reply_max(uint32_t mtu)
{
	uint32_t hdr = MXW_HEAD_LEN + (uint32_t)sizeof(struct mxw_hdr_pull_reply);

	return mtu > hdr ? mtu - hdr : 0;
}

/* Is F a fragment size under which (seq, len) is a fragment of msg_len? */
static bool frag_fits(uint32_t msg_len, uint32_t seq, uint32_t len, uint32_t F)
{
	uint64_t off = (uint64_t)seq * F;

	if (F == 0 || (F < MXW_FRAG_SIZE_MIN && F < msg_len))
		return false;
	if ((msg_len + (uint64_t)F - 1) / F > 256u || off >= msg_len)
		return false;
	return len == (msg_len - off < F ? msg_len - off : F);
}

int64_t mxw_medium_frag_offset(uint32_t msg_len, uint8_t frag_seqnum, uint32_t frag_len,
			       uint32_t *frag_size)
{
	uint32_t seq = frag_seqnum, rest;
	bool full, last;

	if (msg_len == 0)
		return seq == 0 && frag_len == 0 ? 0 : -EBADMSG;
	if (frag_len == 0 || frag_len > msg_len)
		return -EBADMSG;
	if (*frag_size)
		return frag_fits(msg_len, seq, frag_len, *frag_size) ?
		       (int64_t)seq * *frag_size : -EBADMSG;
	if (seq == 0) {
		/* the first fragment is a full one unless it is the only one */
		if (frag_len < msg_len && !frag_fits(msg_len, 0, frag_len, frag_len))
			return -EBADMSG;
		*frag_size = frag_len;
		return 0;
	}
	/* a full fragment of size frag_len, or the last one after seq full
	 * fragments of (msg_len - frag_len) / seq bytes */
	rest = msg_len - frag_len;
	full = (uint64_t)(seq + 1) * frag_len < msg_len && frag_fits(msg_len, seq, frag_len, frag_len);
	last = rest % seq == 0 && frag_fits(msg_len, seq, frag_len, rest / seq);
	if (full == last)
		return full ? -EAGAIN : -EBADMSG;
	*frag_size = full ? frag_len : rest / seq;
	return (int64_t)seq * *frag_size;
}

const char *mxw_pkt_type_name(unsigned type)
{
	switch (type) {
	case MXW_PKT_HOST_QUERY: return "host-query";
	case MXW_PKT_HOST_REPLY: return "host-reply";
	case MXW_PKT_TRUC: return "truc";
	case MXW_PKT_CONNECT: return "connect";
	case MXW_PKT_TINY: return "tiny";
	case MXW_PKT_SMALL: return "small";
	case MXW_PKT_MEDIUM: return "medium";
	case MXW_PKT_RNDV: return "rndv";
	case MXW_PKT_PULL: return "pull";
	case MXW_PKT_PULL_REPLY: return "pull-reply";
	case MXW_PKT_NOTIFY: return "notify";
	case MXW_PKT_NACK_LIB: return "nack-lib";
	case MXW_PKT_NACK_MCP: return "nack-mcp";
	default: return "unknown";
	}
}

/* ---- decode ---- */

static void msg_from_wire(struct mxw_msg_fields *m, const struct mxw_hdr_msg *w)
{
	m->dst_ep = w->dst_endpoint;
	m->src_ep = w->src_endpoint;
	m->length = ntohs(w->length);
	m->seqnum = ntohs(w->lib_seqnum);
	m->piggyack = ntohs(w->lib_piggyack);
	m->session = ntohl(w->session);
	m->match_info = ((uint64_t)ntohl(w->match_a) << 32) | ntohl(w->match_b);
	m->mxn_seq = ntohs(w->mxn_seq);
}

/* Copy the type header out once the frame is known to hold it. */
#define TAKE(hdr, body, blen)                                          \
	do {                                                           \
		if ((blen) < sizeof(hdr))                              \
			return -EBADMSG;                               \
		memcpy(&(hdr), (body), sizeof(hdr));                   \
	} while (0)

static int decode_payload(struct mxw_frame *f, const uint8_t *body, size_t blen,
			  size_t hlen, size_t plen)
{
	if (plen > blen - hlen)
		return -EMSGSIZE;
	f->payload = body + hlen;
	f->payload_len = (uint32_t)plen;
	return 0;
}

static int decode_msg(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_msg w;

	TAKE(w, body, blen);
	msg_from_wire(&f->u.msg, &w);
	if (f->type == MXW_PKT_TINY && f->u.msg.length > MXW_TINY_MAX)
		return -EBADMSG;
	if (f->type == MXW_PKT_SMALL && f->u.msg.length > MXW_SMALL_MAX)
		return -EBADMSG;
	return decode_payload(f, body, blen, sizeof(w), f->u.msg.length);
}

static int decode_medium(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_medium w;
	struct mxw_msg_fields *m = &f->u.medium.msg;

	TAKE(w, body, blen);
	m->dst_ep = w.dst_endpoint;
	m->src_ep = w.src_endpoint;
	m->length = ntohl(w.length);
	m->seqnum = ntohs(w.lib_seqnum);
	m->piggyack = ntohs(w.lib_piggyack);
	m->session = ntohl(w.session);
	m->match_info = ((uint64_t)ntohl(w.match_a) << 32) | ntohl(w.match_b);
	m->mxn_seq = ntohs(w.mxn_seq);
	f->u.medium.frag_length = ntohs(w.frag_length);
	f->u.medium.frag_seqnum = w.frag_seqnum;
	if (f->u.medium.frag_length > m->length)
		return -EBADMSG;
	return decode_payload(f, body, blen, sizeof(w), f->u.medium.frag_length);
}

static int decode_rndv(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_rndv w;

	TAKE(w, body, blen);
	msg_from_wire(&f->u.rndv.msg, &w.msg);
	f->u.rndv.msg_length = ntohl(w.msg_length);
	f->u.rndv.rdma_id = w.pulled_rdma_id;
	f->u.rndv.rdma_seqnum = w.pulled_rdma_seqnum;
	f->u.rndv.rdma_offset = ntohs(w.pulled_rdma_offset);
	return 0;
}

static int decode_pull(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_pull w;

	TAKE(w, body, blen);
	f->u.pull.dst_ep = w.dst_endpoint;
	f->u.pull.src_ep = w.src_endpoint;
	f->u.pull.session = ntohl(w.session);
	f->u.pull.total_length = ntohl(w.total_length);
	f->u.pull.rdma_id = ntohl(w.pulled_rdma_id);
	f->u.pull.rdma_seqnum = w.pulled_rdma_seqnum;
	f->u.pull.rdma_offset = ntohl(w.pulled_rdma_offset);
	f->u.pull.src_pull_handle = ntohl(w.src_pull_handle);
	f->u.pull.src_magic = ntohl(w.src_magic);
	f->u.pull.first_frame_offset = ntohl(w.first_frame_offset);
	f->u.pull.block_length = ntohl(w.block_length);
	f->u.pull.frame_index = ntohl(w.frame_index);
	return 0;
}

static int decode_pull_reply(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_pull_reply w;

	TAKE(w, body, blen);
	f->u.pull_reply.frame_seqnum = w.frame_seqnum;
	f->u.pull_reply.frame_length = ntohs(w.frame_length);
	f->u.pull_reply.msg_offset = ntohl(w.msg_offset);
	f->u.pull_reply.dst_pull_handle = ntohl(w.dst_pull_handle);
	f->u.pull_reply.dst_magic = ntohl(w.dst_magic);
	return decode_payload(f, body, blen, sizeof(w), f->u.pull_reply.frame_length);
}

static int decode_notify(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_notify w;

	TAKE(w, body, blen);
	f->u.notify.dst_ep = w.dst_endpoint;
	f->u.notify.src_ep = w.src_endpoint;
	f->u.notify.session = ntohl(w.session);
	f->u.notify.total_length = ntohl(w.total_length);
	f->u.notify.rdma_id = w.pulled_rdma_id;
	f->u.notify.rdma_seqnum = w.pulled_rdma_seqnum;
	f->u.notify.seqnum = ntohs(w.lib_seqnum);
	f->u.notify.piggyack = ntohs(w.lib_piggyack);
	return 0;
}

/* The moved extension after a request's header; anything else there
 * (Ethernet padding, a native node's bytes) is not one. */
static void decode_connect_moved(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_connect_moved m;
	uint32_t v;

	if (blen < sizeof(struct mxw_hdr_connect) + sizeof(m))
		return;
	memcpy(&m, body + sizeof(struct mxw_hdr_connect), sizeof(m));
	memcpy(&v, m.magic, sizeof(v));
	if (ntohl(v) != MXW_MOVED_MAGIC)
		return;
	f->u.connect.moved_from = mxw_mac_to_u64(m.old_nic);
	memcpy(&v, m.proof, sizeof(v));
	f->u.connect.moved_proof = ntohl(v);
}

static int decode_connect(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_connect w;

	TAKE(w, body, blen);
	if (w.length < MXW_CONNECT_DATA_LEN)
		return -EBADMSG;
	f->u.connect.dst_ep = w.dst_endpoint;
	f->u.connect.src_ep = w.src_endpoint;
	f->u.connect.seqnum = ntohs(w.lib_seqnum);
	f->u.connect.src_dst_peer_index = ntohs(w.src_dst_peer_index);
	f->u.connect.src_session = ntohl(w.src_session_id);
	f->u.connect.is_reply = w.is_reply;
	f->u.connect.target_recv_seqnum_start = ntohs(w.target_recv_seqnum_start);
	f->u.connect.connect_seqnum = w.connect_seqnum;
	f->u.connect.mxn_seq = ntohl(w.ext_magic) == MXW_MXN_SEQ_MAGIC;
	if (w.is_reply) {
		f->u.connect.target_session = ntohl(w.app_key_or_target_session);
		f->u.connect.status_code = w.status_code;
		if (f->u.connect.mxn_seq)   /* bytes 29..31: 24 bits of it */
			f->u.connect.incarnation = (uint32_t)w.pad3[0] << 16 |
						   (uint32_t)w.pad3[1] << 8 | w.pad3[2];
	} else {
		f->u.connect.app_key = ntohl(w.app_key_or_target_session);
		if (f->u.connect.mxn_seq) {
			uint32_t inc;

			memcpy(&inc, &w.status_code, sizeof(inc)); /* bytes 28..31 */
			f->u.connect.incarnation = ntohl(inc);
			decode_connect_moved(f, body, blen);
		}
	}
	return 0;
}

static int decode_truc(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_truc w;

	TAKE(w, body, blen);
	if (w.length < MXW_TRUC_LIBACK_LEN)
		return -EBADMSG;
	f->u.truc.dst_ep = w.dst_endpoint;
	f->u.truc.src_ep = w.src_endpoint;
	f->u.truc.session = ntohl(w.session);
	f->u.truc.data_type = w.type;
	f->u.truc.ack_before = ntohs(w.lib_seqnum);
	f->u.truc.session_id = ntohl(w.session_id);
	f->u.truc.acknum = ntohl(w.acknum);
	f->u.truc.send_seq = ntohs(w.send_seq);
	f->u.truc.resent = w.resent;
	return 0;
}

static int decode_nack_lib(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_nack_lib w;

	TAKE(w, body, blen);
	f->u.nack_lib.src_ep = w.src_endpoint;
	f->u.nack_lib.dst_ep = w.dst_endpoint;
	f->u.nack_lib.nack_type = w.nack_type;
	f->u.nack_lib.src_dst_peer_index = ntohs(w.src_dst_peer_index);
	f->u.nack_lib.seqnum = ntohs(w.lib_seqnum);
	if (w.nack_type == MXW_NACK_NONE || w.nack_type >= MXW_NACK_MAX)
		return -EBADMSG;
	return 0;
}

static int decode_nack_mcp(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_nack_mcp w;

	TAKE(w, body, blen);
	f->u.nack_mcp.src_ep = w.src_endpoint;
	f->u.nack_mcp.nack_type = w.nack_type;
	f->u.nack_mcp.src_pull_handle = ntohl(w.src_pull_handle);
	f->u.nack_mcp.src_magic = ntohl(w.src_magic);
	if (w.nack_type == MXW_NACK_NONE || w.nack_type >= MXW_NACK_MAX)
		return -EBADMSG;
	return 0;
}

/* A HOST_REPLY's length counts the name's NUL (Open-MX writes a NUL over
 * the last byte it receives); the name is what precedes the first NUL, so
 * a sender that leaves the NUL out is understood too. */
static int decode_host(struct mxw_frame *f, const uint8_t *body, size_t blen)
{
	struct mxw_hdr_host w;
	int err;

	TAKE(w, body, blen);
	f->u.host.src_dst_peer_index = ntohs(w.src_dst_peer_index);
	f->u.host.magic = ntohl(w.magic);
	if (ntohl(w.pad0) == MXW_MXN_SEQ_MAGIC || ntohl(w.pad0) == MXW_LEAVING_MAGIC)
		f->u.host.incarnation = ntohl(w.pad1);
	f->u.host.leaving = ntohl(w.pad0) == MXW_LEAVING_MAGIC && f->u.host.incarnation;
	if (f->type == MXW_PKT_HOST_QUERY)
		return 0;
	if (w.length > MXW_HOSTNAME_MAX + 1)
		return -EBADMSG;
	err = decode_payload(f, body, blen, sizeof(w), w.length);
	if (err)
		return err;
	f->payload_len = (uint32_t)strnlen((const char *)f->payload, w.length);
	if (f->payload_len > MXW_HOSTNAME_MAX)
		return -EBADMSG;
	f->u.host.name_len = (uint8_t)f->payload_len;
	return 0;
}

int mxw_decode(const uint8_t *buf, size_t len, struct mxw_frame *out)
{
	struct mxw_hdr_head head;
	const uint8_t *body;
	size_t blen;

	if (!buf || len < MXW_HEAD_LEN + 1)
		return -EBADMSG;
	memcpy(&head, buf, sizeof(head));
	if (ntohs(head.ethertype) != MXW_ETHERTYPE)
		return -EPROTONOSUPPORT;
	memset(out, 0, sizeof(*out));
	memcpy(out->dst_mac, head.dst_mac, 6);
	memcpy(out->src_mac, head.src_mac, 6);
	out->peer_index = ntohs(head.peer_index);
	body = buf + MXW_HEAD_LEN;
	blen = len - MXW_HEAD_LEN;
	out->type = body[0] & (uint8_t)~MXW_PTYPE_NEED_IRQ;

	switch (out->type) {
	case MXW_PKT_TINY:
	case MXW_PKT_SMALL: return decode_msg(out, body, blen);
	case MXW_PKT_MEDIUM: return decode_medium(out, body, blen);
	case MXW_PKT_RNDV: return decode_rndv(out, body, blen);
	case MXW_PKT_PULL: return decode_pull(out, body, blen);
	case MXW_PKT_PULL_REPLY: return decode_pull_reply(out, body, blen);
	case MXW_PKT_NOTIFY: return decode_notify(out, body, blen);
	case MXW_PKT_CONNECT: return decode_connect(out, body, blen);
	case MXW_PKT_TRUC: return decode_truc(out, body, blen);
	case MXW_PKT_NACK_LIB: return decode_nack_lib(out, body, blen);
	case MXW_PKT_NACK_MCP: return decode_nack_mcp(out, body, blen);
	case MXW_PKT_HOST_QUERY:
	case MXW_PKT_HOST_REPLY: return decode_host(out, body, blen);
	default: return -EPROTONOSUPPORT;
	}
}

/* ---- encode ---- */

static void msg_to_wire(struct mxw_hdr_msg *w, uint8_t type, const struct mxw_msg_fields *m,
			uint16_t length)
{
	memset(w, 0, sizeof(*w));
	w->ptype = type;
	w->dst_endpoint = m->dst_ep;
	w->src_endpoint = m->src_ep;
	w->length = htons(length);
	w->lib_seqnum = htons(m->seqnum);
	w->lib_piggyack = htons(m->piggyack);
	w->match_a = htonl((uint32_t)(m->match_info >> 32));
	w->match_b = htonl((uint32_t)m->match_info);
	w->session = htonl(m->session);
	w->mxn_seq = htons(m->mxn_seq);
}

static int encode_connect_moved(const struct mxw_frame *f, void *at)
{
	struct mxw_connect_moved m;
	uint32_t v = htonl(MXW_MOVED_MAGIC);

	memcpy(m.magic, &v, sizeof(v));
	mxw_u64_to_mac(f->u.connect.moved_from, m.old_nic);
	v = htonl(f->u.connect.moved_proof);
	memcpy(m.proof, &v, sizeof(v));
	memcpy(at, &m, sizeof(m));
	return (int)sizeof(m);
}

/* The type header of f in wire form, in hdr; returns its size or -errno. */
static int header_to_wire(const struct mxw_frame *f, void *hdr)
{
	switch (f->type) {
	case MXW_PKT_TINY:
	case MXW_PKT_SMALL: {
		struct mxw_hdr_msg *w = hdr;

		if (f->payload_len > (f->type == MXW_PKT_TINY ? MXW_TINY_MAX : MXW_SMALL_MAX))
			return -EMSGSIZE;
		msg_to_wire(w, f->type, &f->u.msg, (uint16_t)f->payload_len);
		return sizeof(*w);
	}
	case MXW_PKT_MEDIUM: {
		struct mxw_hdr_medium *w = hdr;
		const struct mxw_msg_fields *m = &f->u.medium.msg;

		if (f->payload_len > 0xffff)
			return -EMSGSIZE;
		memset(w, 0, sizeof(*w));
		w->ptype = f->type;
		w->dst_endpoint = m->dst_ep;
		w->src_endpoint = m->src_ep;
		w->length = htonl(m->length);
		w->lib_seqnum = htons(m->seqnum);
		w->lib_piggyack = htons(m->piggyack);
		w->match_a = htonl((uint32_t)(m->match_info >> 32));
		w->match_b = htonl((uint32_t)m->match_info);
		w->session = htonl(m->session);
		w->frag_length = htons((uint16_t)f->payload_len);
		w->frag_seqnum = f->u.medium.frag_seqnum;
		w->mxn_seq = htons(m->mxn_seq);
		return sizeof(*w);
	}
	case MXW_PKT_RNDV: {
		struct mxw_hdr_rndv *w = hdr;

		msg_to_wire(&w->msg, f->type, &f->u.rndv.msg, MXW_RNDV_DATA_LEN);
		w->msg_length = htonl(f->u.rndv.msg_length);
		w->pulled_rdma_id = f->u.rndv.rdma_id;
		w->pulled_rdma_seqnum = f->u.rndv.rdma_seqnum;
		w->pulled_rdma_offset = htons(f->u.rndv.rdma_offset);
		return sizeof(*w);
	}
	case MXW_PKT_PULL: {
		struct mxw_hdr_pull *w = hdr;

		memset(w, 0, sizeof(*w));
		w->ptype = f->type;
		w->dst_endpoint = f->u.pull.dst_ep;
		w->src_endpoint = f->u.pull.src_ep;
		w->session = htonl(f->u.pull.session);
		w->total_length = htonl(f->u.pull.total_length);
		w->pulled_rdma_id = htonl(f->u.pull.rdma_id);
		w->pulled_rdma_seqnum = f->u.pull.rdma_seqnum;
		w->pulled_rdma_offset = htonl(f->u.pull.rdma_offset);
		w->src_pull_handle = htonl(f->u.pull.src_pull_handle);
		w->src_magic = htonl(f->u.pull.src_magic);
		w->first_frame_offset = htonl(f->u.pull.first_frame_offset);
		w->block_length = htonl(f->u.pull.block_length);
		w->frame_index = htonl(f->u.pull.frame_index);
		return sizeof(*w);
	}
	case MXW_PKT_PULL_REPLY: {
		struct mxw_hdr_pull_reply *w = hdr;

		if (f->payload_len > 0xffff)
			return -EMSGSIZE;
		w->ptype = f->type;
		w->frame_seqnum = f->u.pull_reply.frame_seqnum;
		w->frame_length = htons((uint16_t)f->payload_len);
		w->msg_offset = htonl(f->u.pull_reply.msg_offset);
		w->dst_pull_handle = htonl(f->u.pull_reply.dst_pull_handle);
		w->dst_magic = htonl(f->u.pull_reply.dst_magic);
		return sizeof(*w);
	}
	case MXW_PKT_NOTIFY: {
		struct mxw_hdr_notify *w = hdr;

		memset(w, 0, sizeof(*w));
		w->ptype = f->type;
		w->dst_endpoint = f->u.notify.dst_ep;
		w->src_endpoint = f->u.notify.src_ep;
		w->session = htonl(f->u.notify.session);
		w->total_length = htonl(f->u.notify.total_length);
		w->pulled_rdma_id = f->u.notify.rdma_id;
		w->pulled_rdma_seqnum = f->u.notify.rdma_seqnum;
		w->lib_seqnum = htons(f->u.notify.seqnum);
		w->lib_piggyack = htons(f->u.notify.piggyack);
		return sizeof(*w);
	}
	case MXW_PKT_CONNECT: {
		struct mxw_hdr_connect *w = hdr;

		memset(w, 0, sizeof(*w));
		w->ptype = f->type;
		w->dst_endpoint = f->u.connect.dst_ep;
		w->src_endpoint = f->u.connect.src_ep;
		w->length = MXW_CONNECT_DATA_LEN;
		w->lib_seqnum = htons(f->u.connect.seqnum);
		w->src_dst_peer_index = htons(f->u.connect.src_dst_peer_index);
		w->ext_magic = htonl(f->u.connect.mxn_seq ? MXW_MXN_SEQ_MAGIC : 0);
		w->src_session_id = htonl(f->u.connect.src_session);
		w->app_key_or_target_session = htonl(f->u.connect.is_reply ?
						      f->u.connect.target_session :
						      f->u.connect.app_key);
		w->target_recv_seqnum_start = htons(f->u.connect.target_recv_seqnum_start);
		w->is_reply = f->u.connect.is_reply ? 1 : 0;
		w->connect_seqnum = f->u.connect.connect_seqnum;
		w->status_code = f->u.connect.is_reply ? f->u.connect.status_code : 0;
		if (!f->u.connect.is_reply && f->u.connect.mxn_seq) {
			uint32_t inc = htonl(f->u.connect.incarnation);

			memcpy(&w->status_code, &inc, sizeof(inc)); /* bytes 28..31 */
			if (f->u.connect.moved_from)
				return (int)sizeof(*w) + encode_connect_moved(f, w + 1);
		} else if (f->u.connect.mxn_seq) {
			w->pad3[0] = (uint8_t)(f->u.connect.incarnation >> 16);
			w->pad3[1] = (uint8_t)(f->u.connect.incarnation >> 8);
			w->pad3[2] = (uint8_t)f->u.connect.incarnation;
		}
		return sizeof(*w);
	}
	case MXW_PKT_TRUC: {
		struct mxw_hdr_truc *w = hdr;

		memset(w, 0, sizeof(*w));
		w->ptype = f->type;
		w->dst_endpoint = f->u.truc.dst_ep;
		w->src_endpoint = f->u.truc.src_ep;
		w->length = MXW_TRUC_LIBACK_LEN;
		w->session = htonl(f->u.truc.session);
		w->type = f->u.truc.data_type;
		w->lib_seqnum = htons(f->u.truc.ack_before);
		w->session_id = htonl(f->u.truc.session_id);
		w->acknum = htonl(f->u.truc.acknum);
		w->send_seq = htons(f->u.truc.send_seq);
		w->resent = f->u.truc.resent;
		return sizeof(*w);
	}
	case MXW_PKT_NACK_LIB: {
		struct mxw_hdr_nack_lib *w = hdr;

		memset(w, 0, sizeof(*w));
		w->ptype = f->type;
		w->src_endpoint = f->u.nack_lib.src_ep;
		w->nack_type = f->u.nack_lib.nack_type;
		w->dst_endpoint = f->u.nack_lib.dst_ep;
		w->src_dst_peer_index = htons(f->u.nack_lib.src_dst_peer_index);
		w->lib_seqnum = htons(f->u.nack_lib.seqnum);
		return sizeof(*w);
	}
	case MXW_PKT_NACK_MCP: {
		struct mxw_hdr_nack_mcp *w = hdr;

		memset(w, 0, sizeof(*w));
		w->ptype = f->type;
		w->src_endpoint = f->u.nack_mcp.src_ep;
		w->nack_type = f->u.nack_mcp.nack_type;
		w->src_pull_handle = htonl(f->u.nack_mcp.src_pull_handle);
		w->src_magic = htonl(f->u.nack_mcp.src_magic);
		return sizeof(*w);
	}
	case MXW_PKT_HOST_QUERY:
	case MXW_PKT_HOST_REPLY: {
		struct mxw_hdr_host *w = hdr;

		if (f->type == MXW_PKT_HOST_REPLY && f->payload_len > MXW_HOST_REPLY_NAME_MAX)
			return -EMSGSIZE;
		memset(w, 0, sizeof(*w));
		w->ptype = f->type;
		/* the name's NUL is counted and sent, as Open-MX does */
		w->length = f->type == MXW_PKT_HOST_REPLY ? (uint8_t)(f->payload_len + 1) : 0;
		w->src_dst_peer_index = htons(f->u.host.src_dst_peer_index);
		w->magic = htonl(f->u.host.magic);
		if (f->u.host.incarnation) {
			w->pad0 = htonl(f->u.host.leaving ? MXW_LEAVING_MAGIC : MXW_MXN_SEQ_MAGIC);
			w->pad1 = htonl(f->u.host.incarnation);
		}
		return sizeof(*w);
	}
	default:
		return -EPROTONOSUPPORT;
	}
}

static int type_has_payload(uint8_t type)
{
	return type == MXW_PKT_TINY || type == MXW_PKT_SMALL || type == MXW_PKT_MEDIUM ||
	       type == MXW_PKT_PULL_REPLY || type == MXW_PKT_HOST_REPLY;
}

int mxw_encode_frame(uint8_t *buf, size_t cap, const struct mxw_frame *f)
{
	union {
		struct mxw_hdr_msg msg;
		struct mxw_hdr_medium medium;
		struct mxw_hdr_rndv rndv;
		struct mxw_hdr_pull pull;
		struct mxw_hdr_pull_reply pull_reply;
		struct mxw_hdr_notify notify;
		struct mxw_hdr_connect connect;
		uint8_t connect_moved[sizeof(struct mxw_hdr_connect) +
				      sizeof(struct mxw_connect_moved)];
		struct mxw_hdr_truc truc;
		struct mxw_hdr_nack_lib nack_lib;
		struct mxw_hdr_nack_mcp nack_mcp;
		struct mxw_hdr_host host;
	} hdr;
	struct mxw_hdr_head head;
	size_t plen = type_has_payload(f->type) ? f->payload_len : 0;
	size_t nul = f->type == MXW_PKT_HOST_REPLY;   /* the name's NUL */
	size_t total;
	int hlen;

	hlen = header_to_wire(f, &hdr);
	if (hlen < 0)
		return hlen;
	total = MXW_HEAD_LEN + (size_t)hlen + plen + nul;
	if (plen && !f->payload)
		return -EINVAL;
	if ((total < MXW_ETH_ZLEN ? MXW_ETH_ZLEN : total) > cap)
		return -ENOBUFS;
	memcpy(head.dst_mac, f->dst_mac, 6);
	memcpy(head.src_mac, f->src_mac, 6);
	head.ethertype = htons(MXW_ETHERTYPE);
	head.peer_index = htons(f->peer_index);
	memcpy(buf, &head, sizeof(head));
	memcpy(buf + MXW_HEAD_LEN, &hdr, (size_t)hlen);
	if (plen)
		memcpy(buf + MXW_HEAD_LEN + hlen, f->payload, plen);
	if (nul)
		buf[MXW_HEAD_LEN + hlen + plen] = '\0';
	if (total < MXW_ETH_ZLEN) {
		memset(buf + total, 0, MXW_ETH_ZLEN - total);
		total = MXW_ETH_ZLEN;
	}
	return (int)total;
}
