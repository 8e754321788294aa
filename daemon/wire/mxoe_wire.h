/* SPDX-License-Identifier: MIT */
/*
 * MXoE frame layouts: the Open-MX 1.5 wire protocol (native mode, not the
 * MX wire-compatible mode) carried directly in Ethernet frames with
 * EtherType 0x86DF.  Every multi-byte field is big-endian on the wire.
 *
 * The mxw_hdr_* structs mirror the on-wire layout byte for byte (natural
 * alignment gives the right offsets, no __packed); the static assertions
 * below pin every size and offset.  They are never overlaid on a received
 * buffer: decoding memcpy()s the header out after bounding its length, and
 * hands back a host-order struct mxw_frame.
 *
 * Error convention: encoders return the frame length (> 0) or -errno,
 * mxw_decode() returns 0 or -errno (-EBADMSG for a malformed frame,
 * -EPROTONOSUPPORT for an unknown packet type, -EMSGSIZE when a length points
 * past the end of the frame).
 */
#ifndef MXW_MXOE_WIRE_H
#define MXW_MXOE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MXW_ETHERTYPE 0x86DFu
#define MXW_ETH_ALEN 6u
#define MXW_ETH_HLEN 14u
#define MXW_HEAD_LEN 16u            /* Ethernet header + peer index */
#define MXW_ETH_ZLEN 60u            /* minimum frame (without FCS) */
#define MXW_PEER_INDEX_UNKNOWN 0xffffu

/* Size classes and limits of native Open-MX. */
#define MXW_TINY_MAX 32u
#define MXW_SMALL_MAX 128u
#define MXW_MEDIUM_MAX (64u * 1024u)  /* what a received medium may announce */
#define MXW_PULL_REPLY_PER_BLOCK 32u
#define MXW_HOST_QUERY_MAGIC 0x13052008u
#define MXW_HOSTNAME_MAX 80u         /* name characters, without the NUL */
#define MXW_HOST_REPLY_NAME_MAX 79u  /* what we send: Open-MX keeps 80 bytes, NUL included */
#define MXW_CONNECT_DATA_LEN 16u
#define MXW_TRUC_LIBACK_LEN 16u
#define MXW_TRUC_TYPE_ACK 0x55u
#define MXW_CONNECT_STATUS_SUCCESS 0u
#define MXW_CONNECT_STATUS_BAD_KEY 11u
#define MXW_PTYPE_NEED_IRQ 0x80u    /* a hint bit some senders set; ignored */
/*
 * Our one extension, invisible to native Open-MX: a myribackd puts this
 * magic in its CONNECT frames' pad2 (offset 12, zero in Open-MX's), telling
 * the other side that it reads and writes the library's per-connection send
 * number (abi.h, MXN_SEQ_SHIFT) in message frames: TINY, SMALL and RNDV at
 * offset 6 (Open-MX's checksum, zero unless a debug build computes one),
 * MEDIUM at offset 30 (pad2).  We write it only to a partner whose connect
 * frame carried the magic, and read it only from such a partner, so a
 * native node sees Open-MX's frames byte for byte and its checksum is never
 * taken for a number.  A resend after a re-attach then keeps its number
 * across the wire and the receiving library drops a copy it already took.
 * A connect request with the magic also carries, in its last 4 bytes
 * (Open-MX: a request's pad), the sender engine's incarnation: nonzero,
 * new at every daemon start, so a restarted daemon's request is never taken
 * for a late copy of its predecessor's.  A reply to a request with the
 * magic carries the low 24 bits of the replier's incarnation in its last 3
 * bytes (Open-MX: a reply's pad), so a late reply of the same life is never
 * taken for a peer that lost its state (MXW_INC_REPLY_MASK).
 * A HOST_QUERY of ours carries the magic in pad0 (offset 4) and our
 * incarnation in pad1 (offset 12), and so does our HOST_REPLY to a query
 * that carried the magic: a peer whose daemon restarted says so by its
 * queries and answers (mxoe_life.c).  A daemon that stops while endpoints
 * may come back to its successor says so in a HOST_QUERY with
 * MXW_LEAVING_MAGIC in pad0 and its incarnation in pad1 (mxoe_life.c).
 */
#define MXW_INC_REPLY_MASK 0xffffffu
#define MXW_MXN_SEQ_MAGIC 0x4d584e53u  /* "MXNS" */
#define MXW_LEAVING_MAGIC 0x4d584c56u  /* "MXLV" */
/*
 * The second part of it: a connect REQUEST with MXW_MXN_SEQ_MAGIC from an
 * endpoint whose guest was migrated to the sending host may be followed,
 * right after the 32-byte connect header (where a native frame has only
 * Ethernet padding, which Open-MX never reads), by struct mxw_connect_moved:
 * the nic id the endpoint lived on and, as proof, the session of the
 * endpoint it connects to as it knew it.  Its index and session are the
 * request's own (src_endpoint, src_session_id): they survive the move.
 * docs/migration.md, docs/security.md ("a connect that proves it").
 */
#define MXW_MOVED_MAGIC 0x4d584d56u    /* "MXMV" */
struct mxw_connect_moved {
	uint8_t magic[4];            /* MXW_MOVED_MAGIC, big-endian */
	uint8_t old_nic[6];          /* the nic id it lived on, MAC order */
	uint8_t proof[4];            /* the target endpoint's session, big-endian */
};
_Static_assert(sizeof(struct mxw_connect_moved) == 14, "connect_moved");

/* 14-bit sequence numbers, the two top bits number the partner session. */
#define MXW_SEQNUM_BITS 14u
#define MXW_SEQNUM_MASK ((1u << MXW_SEQNUM_BITS) - 1u)
#define MXW_SESNUM_MASK (0xffffu & ~MXW_SEQNUM_MASK)
#define MXW_SESNUM_ONE (1u << MXW_SEQNUM_BITS)

enum mxw_pkt_type {
	MXW_PKT_NONE = 0,
	MXW_PKT_RAW = 1,
	MXW_PKT_MFM_NIC_REPLY = 2,
	MXW_PKT_HOST_QUERY = 3,
	MXW_PKT_HOST_REPLY = 4,
	MXW_PKT_ETHER_UNICAST = 32,
	MXW_PKT_ETHER_MULTICAST = 33,
	MXW_PKT_ETHER_NATIVE = 34,
	MXW_PKT_TRUC = 35,
	MXW_PKT_CONNECT = 36,
	MXW_PKT_TINY = 37,
	MXW_PKT_SMALL = 38,
	MXW_PKT_MEDIUM = 39,
	MXW_PKT_RNDV = 40,
	MXW_PKT_PULL = 41,
	MXW_PKT_PULL_REPLY = 42,
	MXW_PKT_NOTIFY = 43,
	MXW_PKT_NACK_LIB = 44,
	MXW_PKT_NACK_MCP = 45,
};

enum mxw_nack_type {
	MXW_NACK_NONE = 0,
	MXW_NACK_BAD_ENDPT = 1,
	MXW_NACK_ENDPT_CLOSED = 2,
	MXW_NACK_BAD_SESSION = 3,
	MXW_NACK_BAD_RDMAWIN = 4,
	MXW_NACK_MAX
};

/* ---- on-wire mirrors (network byte order in every multi-byte field) ---- */

struct mxw_hdr_head {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint16_t ethertype;
	uint16_t peer_index;         /* the receiver's index of the sender */
};
_Static_assert(sizeof(struct mxw_hdr_head) == 16, "head");
_Static_assert(offsetof(struct mxw_hdr_head, ethertype) == 12, "ethertype");
_Static_assert(offsetof(struct mxw_hdr_head, peer_index) == 14, "peer_index");

struct mxw_hdr_host {           /* HOST_QUERY and HOST_REPLY */
	uint8_t ptype;
	uint8_t length;              /* REPLY: name bytes after the header, its NUL included */
	uint16_t src_dst_peer_index;
	uint32_t pad0;
	uint32_t magic;
	uint32_t pad1;
};
_Static_assert(sizeof(struct mxw_hdr_host) == 16, "host");
_Static_assert(offsetof(struct mxw_hdr_host, src_dst_peer_index) == 2, "host.idx");
_Static_assert(offsetof(struct mxw_hdr_host, magic) == 8, "host.magic");

struct mxw_hdr_msg {            /* TINY, SMALL, and the start of MEDIUM/RNDV */
	uint8_t ptype;
	uint8_t dst_endpoint;
	uint8_t src_endpoint;
	uint8_t src_generation;
	uint16_t length;             /* message length (RNDV: 8, its data) */
	uint16_t mxn_seq;            /* Open-MX: checksum; ours: see MXW_MXN_SEQ_MAGIC */
	uint16_t lib_seqnum;
	uint16_t lib_piggyack;
	uint32_t match_a;            /* high 32 bits of match_info */
	uint32_t match_b;            /* low 32 bits */
	uint32_t session;            /* the destination endpoint's session */
};
_Static_assert(sizeof(struct mxw_hdr_msg) == 24, "msg");
_Static_assert(offsetof(struct mxw_hdr_msg, length) == 4, "msg.length");
_Static_assert(offsetof(struct mxw_hdr_msg, mxn_seq) == 6, "msg.mxn_seq");
_Static_assert(offsetof(struct mxw_hdr_msg, lib_seqnum) == 8, "msg.seq");
_Static_assert(offsetof(struct mxw_hdr_msg, lib_piggyack) == 10, "msg.piggy");
_Static_assert(offsetof(struct mxw_hdr_msg, match_a) == 12, "msg.match_a");
_Static_assert(offsetof(struct mxw_hdr_msg, match_b) == 16, "msg.match_b");
_Static_assert(offsetof(struct mxw_hdr_msg, session) == 20, "msg.session");

/* Native Open-MX (not MX-wire-compatible): the message length is 32 bits at
 * offset 4, where TINY/SMALL carry 16 bits and a checksum. */
struct mxw_hdr_medium {
	uint8_t ptype;
	uint8_t dst_endpoint;
	uint8_t src_endpoint;
	uint8_t src_generation;
	uint32_t length;             /* the whole message */
	uint16_t lib_seqnum;
	uint16_t lib_piggyack;
	uint32_t match_a;
	uint32_t match_b;
	uint32_t session;
	uint16_t frag_length;
	uint8_t frag_seqnum;
	uint8_t pad1;                /* MX-wire mode: frag_pipeline */
	uint16_t checksum;           /* unused (debug builds of Open-MX only) */
	uint16_t mxn_seq;            /* Open-MX: pad2; ours: see MXW_MXN_SEQ_MAGIC */
};
_Static_assert(sizeof(struct mxw_hdr_medium) == 32, "medium");
_Static_assert(offsetof(struct mxw_hdr_medium, length) == 4, "medium.length");
_Static_assert(offsetof(struct mxw_hdr_medium, lib_seqnum) == 8, "medium.seq");
_Static_assert(offsetof(struct mxw_hdr_medium, match_a) == 12, "medium.match_a");
_Static_assert(offsetof(struct mxw_hdr_medium, session) == 20, "medium.session");
_Static_assert(offsetof(struct mxw_hdr_medium, frag_length) == 24, "frag_length");
_Static_assert(offsetof(struct mxw_hdr_medium, frag_seqnum) == 26, "frag_seqnum");
_Static_assert(offsetof(struct mxw_hdr_medium, checksum) == 28, "medium.checksum");
_Static_assert(offsetof(struct mxw_hdr_medium, mxn_seq) == 30, "medium.mxn_seq");

struct mxw_hdr_rndv {
	struct mxw_hdr_msg msg;
	uint32_t msg_length;
	uint8_t pulled_rdma_id;
	uint8_t pulled_rdma_seqnum;
	uint16_t pulled_rdma_offset;
};
_Static_assert(sizeof(struct mxw_hdr_rndv) == 32, "rndv");
_Static_assert(offsetof(struct mxw_hdr_rndv, msg_length) == 24, "rndv.msg_length");
_Static_assert(offsetof(struct mxw_hdr_rndv, pulled_rdma_offset) == 30, "rndv.off");
#define MXW_RNDV_DATA_LEN 8u

struct mxw_hdr_pull {
	uint8_t ptype;
	uint8_t dst_endpoint;
	uint8_t src_endpoint;
	uint8_t src_generation;
	uint32_t session;
	uint32_t total_length;
	uint32_t pulled_rdma_id;
	uint8_t pulled_rdma_seqnum;
	uint8_t pad1[3];
	uint32_t pulled_rdma_offset;
	uint32_t src_pull_handle;
	uint32_t src_magic;
	uint32_t first_frame_offset;
	uint32_t block_length;
	uint32_t frame_index;
};
_Static_assert(sizeof(struct mxw_hdr_pull) == 44, "pull");
_Static_assert(offsetof(struct mxw_hdr_pull, session) == 4, "pull.session");
_Static_assert(offsetof(struct mxw_hdr_pull, total_length) == 8, "pull.total");
_Static_assert(offsetof(struct mxw_hdr_pull, pulled_rdma_id) == 12, "pull.id");
_Static_assert(offsetof(struct mxw_hdr_pull, pulled_rdma_seqnum) == 16, "pull.seq");
_Static_assert(offsetof(struct mxw_hdr_pull, pulled_rdma_offset) == 20, "pull.off");
_Static_assert(offsetof(struct mxw_hdr_pull, src_pull_handle) == 24, "pull.handle");
_Static_assert(offsetof(struct mxw_hdr_pull, src_magic) == 28, "pull.magic");
_Static_assert(offsetof(struct mxw_hdr_pull, first_frame_offset) == 32, "pull.ffo");
_Static_assert(offsetof(struct mxw_hdr_pull, block_length) == 36, "pull.block");
_Static_assert(offsetof(struct mxw_hdr_pull, frame_index) == 40, "pull.index");

struct mxw_hdr_pull_reply {
	uint8_t ptype;
	uint8_t frame_seqnum;
	uint16_t frame_length;
	uint32_t msg_offset;
	uint32_t dst_pull_handle;
	uint32_t dst_magic;
};
_Static_assert(sizeof(struct mxw_hdr_pull_reply) == 16, "pull_reply");
_Static_assert(offsetof(struct mxw_hdr_pull_reply, frame_length) == 2, "pr.len");
_Static_assert(offsetof(struct mxw_hdr_pull_reply, msg_offset) == 4, "pr.off");
_Static_assert(offsetof(struct mxw_hdr_pull_reply, dst_pull_handle) == 8, "pr.handle");
_Static_assert(offsetof(struct mxw_hdr_pull_reply, dst_magic) == 12, "pr.magic");

struct mxw_hdr_notify {
	uint8_t ptype;
	uint8_t dst_endpoint;
	uint8_t src_endpoint;
	uint8_t src_generation;
	uint32_t session;
	uint32_t total_length;
	uint8_t pulled_rdma_id;
	uint8_t pulled_rdma_seqnum;
	uint16_t pad1;
	uint16_t pad2;
	uint16_t lib_seqnum;
	uint16_t lib_piggyack;
	uint16_t pad3;
};
_Static_assert(sizeof(struct mxw_hdr_notify) == 24, "notify");
_Static_assert(offsetof(struct mxw_hdr_notify, total_length) == 8, "notify.total");
_Static_assert(offsetof(struct mxw_hdr_notify, pulled_rdma_id) == 12, "notify.id");
_Static_assert(offsetof(struct mxw_hdr_notify, lib_seqnum) == 18, "notify.seq");
_Static_assert(offsetof(struct mxw_hdr_notify, lib_piggyack) == 20, "notify.piggy");

struct mxw_hdr_connect {
	uint8_t ptype;
	uint8_t dst_endpoint;
	uint8_t src_endpoint;
	uint8_t src_generation;
	uint8_t length;              /* MXW_CONNECT_DATA_LEN */
	uint8_t pad1[3];
	uint16_t lib_seqnum;
	uint16_t src_dst_peer_index; /* the sender's index of the receiver */
	uint32_t ext_magic;          /* Open-MX: pad2; ours: MXW_MXN_SEQ_MAGIC */
	/* connect data, request and reply share the first 8 bytes' shape */
	uint32_t src_session_id;
	uint32_t app_key_or_target_session; /* request: app key; reply: target session */
	uint16_t target_recv_seqnum_start;
	uint8_t is_reply;
	uint8_t connect_seqnum;
	uint8_t status_code;         /* reply only; request: pad */
	uint8_t pad3[3];
};
_Static_assert(sizeof(struct mxw_hdr_connect) == 32, "connect");
_Static_assert(offsetof(struct mxw_hdr_connect, length) == 4, "connect.length");
_Static_assert(offsetof(struct mxw_hdr_connect, lib_seqnum) == 8, "connect.seq");
_Static_assert(offsetof(struct mxw_hdr_connect, src_dst_peer_index) == 10, "connect.idx");
_Static_assert(offsetof(struct mxw_hdr_connect, ext_magic) == 12, "connect.ext");
_Static_assert(offsetof(struct mxw_hdr_connect, src_session_id) == 16, "connect.ssid");
_Static_assert(offsetof(struct mxw_hdr_connect, app_key_or_target_session) == 20, "connect.key");
_Static_assert(offsetof(struct mxw_hdr_connect, target_recv_seqnum_start) == 24, "connect.start");
_Static_assert(offsetof(struct mxw_hdr_connect, is_reply) == 26, "connect.is_reply");
_Static_assert(offsetof(struct mxw_hdr_connect, connect_seqnum) == 27, "connect.cseq");
_Static_assert(offsetof(struct mxw_hdr_connect, status_code) == 28, "connect.status");

struct mxw_hdr_truc {
	uint8_t ptype;
	uint8_t dst_endpoint;
	uint8_t src_endpoint;
	uint8_t src_generation;
	uint8_t length;              /* MXW_TRUC_LIBACK_LEN */
	uint8_t pad1[3];
	uint32_t session;
	/* liback data */
	uint8_t type;                /* MXW_TRUC_TYPE_ACK */
	uint8_t pad2;
	uint16_t lib_seqnum;         /* ack everything before this seqnum */
	uint32_t session_id;
	uint32_t acknum;             /* grows with every liback; stale ones ignored */
	uint16_t send_seq;
	uint8_t resent;
	uint8_t pad3;
};
_Static_assert(sizeof(struct mxw_hdr_truc) == 28, "truc");
_Static_assert(offsetof(struct mxw_hdr_truc, session) == 8, "truc.session");
_Static_assert(offsetof(struct mxw_hdr_truc, type) == 12, "truc.type");
_Static_assert(offsetof(struct mxw_hdr_truc, lib_seqnum) == 14, "truc.seq");
_Static_assert(offsetof(struct mxw_hdr_truc, session_id) == 16, "truc.sid");
_Static_assert(offsetof(struct mxw_hdr_truc, acknum) == 20, "truc.acknum");
_Static_assert(offsetof(struct mxw_hdr_truc, send_seq) == 24, "truc.send_seq");
_Static_assert(offsetof(struct mxw_hdr_truc, resent) == 26, "truc.resent");

struct mxw_hdr_nack_lib {
	uint8_t ptype;
	uint8_t src_endpoint;
	uint8_t src_generation;
	uint8_t nack_type;
	uint32_t pad1;
	uint8_t pad2;
	uint8_t dst_endpoint;
	uint16_t src_dst_peer_index;
	uint16_t lib_seqnum;
	uint16_t pad3;
};
_Static_assert(sizeof(struct mxw_hdr_nack_lib) == 16, "nack_lib");
_Static_assert(offsetof(struct mxw_hdr_nack_lib, nack_type) == 3, "nack_lib.type");
_Static_assert(offsetof(struct mxw_hdr_nack_lib, dst_endpoint) == 9, "nack_lib.dst");
_Static_assert(offsetof(struct mxw_hdr_nack_lib, src_dst_peer_index) == 10, "nack_lib.idx");
_Static_assert(offsetof(struct mxw_hdr_nack_lib, lib_seqnum) == 12, "nack_lib.seq");

struct mxw_hdr_nack_mcp {
	uint8_t ptype;
	uint8_t src_endpoint;
	uint8_t src_generation;
	uint8_t nack_type;
	uint32_t pad1;
	uint32_t src_pull_handle;
	uint32_t src_magic;
};
_Static_assert(sizeof(struct mxw_hdr_nack_mcp) == 16, "nack_mcp");
_Static_assert(offsetof(struct mxw_hdr_nack_mcp, src_pull_handle) == 8, "nack_mcp.handle");
_Static_assert(offsetof(struct mxw_hdr_nack_mcp, src_magic) == 12, "nack_mcp.magic");

/* ---- the decoded (host byte order) form ---- */

struct mxw_msg_fields {          /* TINY, SMALL, MEDIUM, RNDV */
	uint8_t dst_ep, src_ep;
	uint32_t length;             /* 16 bits on the wire but for MEDIUM */
	uint16_t seqnum, piggyack;
	uint32_t session;
	uint64_t match_info;
	uint16_t mxn_seq;            /* the library's send number (0: none) */
};

struct mxw_frame {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint16_t peer_index;
	uint8_t type;                /* enum mxw_pkt_type, hint bit stripped */
	union {
		struct mxw_msg_fields msg;  /* TINY, SMALL */
		struct {
			struct mxw_msg_fields msg;
			uint16_t frag_length;
			uint8_t frag_seqnum;
		} medium;
		struct {
			struct mxw_msg_fields msg;
			uint32_t msg_length;
			uint8_t rdma_id, rdma_seqnum;
			uint16_t rdma_offset;
		} rndv;
		struct {
			uint8_t dst_ep, src_ep;
			uint32_t session, total_length, rdma_id;
			uint8_t rdma_seqnum;
			uint32_t rdma_offset, src_pull_handle, src_magic;
			uint32_t first_frame_offset, block_length, frame_index;
		} pull;
		struct {
			uint8_t frame_seqnum;
			uint16_t frame_length;
			uint32_t msg_offset, dst_pull_handle, dst_magic;
		} pull_reply;
		struct {
			uint8_t dst_ep, src_ep;
			uint32_t session, total_length;
			uint8_t rdma_id, rdma_seqnum;
			uint16_t seqnum, piggyack;
		} notify;
		struct {
			uint8_t dst_ep, src_ep;
			uint16_t seqnum, src_dst_peer_index;
			uint32_t src_session;
			uint32_t app_key;         /* request */
			uint32_t target_session;  /* reply */
			uint16_t target_recv_seqnum_start;
			uint8_t is_reply, connect_seqnum, status_code;
			bool mxn_seq;             /* MXW_MXN_SEQ_MAGIC sent/seen */
			/* with the magic, the sender engine's: a request all 32
			 * bits, a reply the low 24 (MXW_INC_REPLY_MASK) */
			uint32_t incarnation;
			uint64_t moved_from;      /* request: struct mxw_connect_moved, 0: none */
			uint32_t moved_proof;
		} connect;
		struct {
			uint8_t dst_ep, src_ep;
			uint32_t session;
			uint8_t data_type;
			uint16_t ack_before;
			uint32_t session_id, acknum;
			uint16_t send_seq;
			uint8_t resent;
		} truc;
		struct {
			uint8_t src_ep, dst_ep, nack_type;
			uint16_t src_dst_peer_index, seqnum;
		} nack_lib;
		struct {
			uint8_t src_ep, nack_type;
			uint32_t src_pull_handle, src_magic;
		} nack_mcp;
		struct {
			uint16_t src_dst_peer_index;
			uint32_t magic;
			uint8_t name_len;
			/* MXW_MXN_SEQ_MAGIC in pad0: the sender engine's
			 * incarnation (pad1), else 0; MXW_LEAVING_MAGIC:
			 * the same, and that life is stopping (leaving) */
			uint32_t incarnation;
			bool leaving;
		} host;
	} u;
	/* TINY/SMALL message, MEDIUM fragment, PULL_REPLY data, HOST_REPLY
	 * name: a view into the decoded buffer, valid while it is. */
	const uint8_t *payload;
	uint32_t payload_len;
};

/* Decode one received frame (Ethernet header included, FCS excluded). */
int mxw_decode(const uint8_t *buf, size_t len, struct mxw_frame *out);

/* Human-readable packet type, for logs and tools. */
const char *mxw_pkt_type_name(unsigned type);

/*
 * Encode f into buf (at most cap bytes): the head, the header of f->type,
 * then f->payload (payload_len bytes) where the type carries one, padded
 * with zeros to the Ethernet minimum.  Length fields that describe the
 * payload (msg.length for TINY/SMALL, frag_length, frame_length, host
 * name_len) are taken from payload_len.  Returns the frame length.
 */
int mxw_encode_frame(uint8_t *buf, size_t cap, const struct mxw_frame *f);

/*
 * Fragment geometry for an Open-MX MTU.  Open-MX's MTU (OMX_MTU, a
 * configure-time constant, 9000 by default) bounds the whole frame, its
 * 14-byte Ethernet header included: a pull reply carries MTU - 32 bytes
 * (8968 at 9000, 1468 at 1500); a medium fragment MTU - 48 up to 4 KiB
 * (1452 at 1500), else 8192 when 8192 + 48 fits, else 4096.
 */
uint32_t mxw_medium_frag_max(uint32_t mtu);
uint32_t mxw_pull_reply_max(uint32_t mtu);

/*
 * Where a received medium fragment goes.  Every fragment but the last holds
 * the SENDER's fragment size F and fragment i starts at i * F (Open-MX's
 * placement); the last holds the rest.  F is learnt from the fragments, so
 * a peer with another MTU is understood too: *frag_size is 0 while unknown
 * and is set once a fragment tells it (fragment 0 of a message of several
 * always does).  Returns the offset, -EAGAIN while F cannot be told yet
 * (drop it, the sender's resend brings it again), -EBADMSG when no
 * geometry explains the fragment.
 */
int64_t mxw_medium_frag_offset(uint32_t msg_len, uint8_t frag_seqnum, uint32_t frag_len,
			       uint32_t *frag_size);
#define MXW_FRAG_SIZE_MIN 256u      /* no Ethernet MTU gives smaller fragments */

/* 48-bit board address <-> MAC bytes. */
uint64_t mxw_mac_to_u64(const uint8_t mac[6]);
void mxw_u64_to_mac(uint64_t v, uint8_t mac[6]);

#endif /* MXW_MXOE_WIRE_H */
