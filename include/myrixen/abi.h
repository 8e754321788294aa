/* SPDX-License-Identifier: MIT */
/*
 * myrixen shared ABI: the layout of an endpoint's shared area and of every
 * word that crosses between a guest (libmyrixen, or the shim on its behalf)
 * and myribackd.  This header compiles in the Linux kernel (shim/) and in
 * user space (lib/, daemon/).  It holds only fixed-width types with explicit
 * padding; every struct has static assertions on its size and offsets.
 *
 * Versioning rule: MYRIXEN_ABI_VERSION is bumped whenever a size, an offset,
 * an opcode value, a status value or the meaning of a field changes, or a
 * field is removed.  Adding a new opcode or event type that an older peer
 * rejects cleanly (MXN_ST_BAD_REQUEST) does not bump it.  Both sides refuse
 * a version they were not built for; there is no negotiation.
 *
 * Reserved rule: every member named pad* (and, in a command, all of 'u' for
 * an opcode without a union member: NOP, WAKE) is reserved and must be
 * zero.  The daemon refuses a non-zero reserved byte: a command is
 * malformed (the guest is cut off), an open request gets -EINVAL.  The
 * library and the shim zero whole structs before filling them.  A later
 * version may give reserved bytes a meaning (with a version bump).
 * (Enforced since this comment; no layout change.)
 *
 * Trust rule: the daemon treats every byte of the shared area as hostile.
 * It copies a slot before looking at it, validates the copy, and keeps its
 * own private copy of the geometry (never re-reads mxn_area_hdr).
 */
#ifndef MYRIXEN_ABI_H
#define MYRIXEN_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stdint.h>
#include <stddef.h>
#endif

#define MYRIXEN_ABI_VERSION 10u /* 2: pair channels (pair.h), pair_seq; 3: send seq;
				* 4: windowed regions (REGION_NEXT, REGION_MORE);
				* 5: the area's feature word (MXN_AREAF_*), the grant
				* in the announcement (MXN_RINGF_PREGRANT,
				* MXN_EVTF_GRANT), staged wire pulls and sends
				* (MXN_CMDF_STAGED, staged_off, MXN_EVT_PULL_DATA);
				* 6: a moved endpoint's connect (proof, moved_from),
				* MXN_ST_MOVED, MXN_EVT_MOVED;
				* 7: a pair slot's seq (pair.h "Publication");
				* 8: rendezvous in a pair channel (pair.h
				* "Rendezvous": MXN_PAIR_RNDV, MXN_PAIR_FIN,
				* MXN_RINGF_PAIR_RNDV, mxn_pair_open flags and
				* peer_pid);
				* 9: a native Open-MX rendezvous pulled again after
				* a re-attach (MXN_CMD_PULL_WIRE, mxn_evt_rndv.wire);
				* 10: a send's wire seqnum toward a native Open-MX
				* node (MXN_EVT_WIRE_SEQ, MXN_CMDF_WIRE_SEQ); a
				* pair FIN's done_ns and MXN_RINGF_FIN_QUIET (pair.h
				* "FIN naps") */
#define MYRIXEN_AREA_MAGIC 0x5852594du /* "MYRX" little-endian */

#define MXN_PAGE_SIZE 4096u
#define MXN_CACHELINE 64u

/* ---- size classes (chosen by the library, checked by the daemon) ---- */
#define MXN_TINY_MAX 32u           /* payload rides inside the ring slot */
#define MXN_SMALL_MAX 128u         /* one sendq chunk, one recvq chunk */
#define MXN_MEDIUM_MAX_DEFAULT (32u * 1024u)
#define MXN_MEDIUM_MAX_LIMIT (64u * 1024u) /* hard cap the daemon accepts */
#define MXN_MAX_SEGMENTS 256u      /* MX_MAX_SEGMENTS */

/* ---- geometry limits (the daemon clamps a guest's request to these) ---- */
#define MXN_RING_ORDER_MIN 4u      /* 16 slots */
#define MXN_RING_ORDER_MAX 12u     /* 4096 slots */
#define MXN_QUEUE_MIN (64u * 1024u)
#define MXN_QUEUE_MAX (16u * 1024u * 1024u)
#define MXN_QUEUE_ALIGN 64u        /* recvq chunks start on this boundary */
#define MXN_ENDPOINTS_MAX 256u     /* endpoint index fits MX's 8 bits */

/*
 * One direction of a ring, io/ring.h style.  Indices run free (they wrap at
 * 2^32, never masked when stored); a slot is ring[idx & (nslots - 1)];
 * nslots is a power of two.  A consistent ring has 0 <= prod - cons <= nslots.
 *
 *  prod        written by the producer only, after the slots it covers.
 *  prod_event  written by the consumer: "notify me once prod passes this"
 *              (io/ring.h req_event / rsp_event).  The producer notifies
 *              iff (new_prod - prod_event) < (new_prod - old_prod).
 *  cons        written by the consumer only, after it copied the slots out.
 *  cons_event  written by the producer: "notify me once cons passes this",
 *              used when the producer is waiting for free slots.
 *
 * prod/prod_event and cons/cons_event live on separate cache lines so the
 * two sides do not false-share.
 */
struct mxn_ring_ctl {
	uint32_t prod;
	uint32_t prod_event;
	uint32_t flags;           /* MXN_RINGF_*, written by the consumer */
	uint8_t pad0[MXN_CACHELINE - 12];
	uint32_t cons;
	uint32_t cons_event;
	uint8_t pad1[MXN_CACHELINE - 8];
};
_Static_assert(sizeof(struct mxn_ring_ctl) == 128, "mxn_ring_ctl size");
_Static_assert(offsetof(struct mxn_ring_ctl, prod) == 0, "prod");
_Static_assert(offsetof(struct mxn_ring_ctl, prod_event) == 4, "prod_event");
_Static_assert(offsetof(struct mxn_ring_ctl, flags) == 8, "flags");
/* Event ring: also ring the doorbell for quiet events (MXN_EVTF_QUIET): the
 * guest waits for the queue room they give back. */
#define MXN_RINGF_WAKE_QUIET 0x1u
/* The consumer sleeps in a futex wait on this ring's prod word (local
 * transport, lib/fbell.c), not on the doorbell: a producer whose push asks
 * for a notification wakes it with FUTEX_WAKE on prod instead.  Read by the
 * producer after the fence of its push (mxn_ring_push). */
#define MXN_RINGF_FUTEX 0x2u
/* Event ring, local transport: the library copies large messages itself
 * (MXN_CMDF_DIRECT), so the daemon may name the sender's segments in the
 * RECV_RNDV itself (MXN_EVTF_GRANT) and spare a PULL round trip.  A daemon
 * that does not know it announces as before. */
#define MXN_RINGF_PREGRANT 0x4u
/* Pair channel, local transport: the consumer of this direction takes
 * rendezvous in the channel (pair.h "Rendezvous"): it holds the producer's
 * pidfd from the daemon and copies large messages itself.  A lie only
 * fails the liar's own receives. */
#define MXN_RINGF_PAIR_RNDV 0x8u
/* Pair channel, local transport: the consumer of this direction sleeps on
 * its own timer until a rendezvous FIN it waits for is due (pair.h
 * "Rendezvous", lib/pair_nap.c): a push of FINs alone wakes nobody, the
 * next push of any other slot rings even when its index was crossed.  A
 * hint within ABI 9: a producer that ignores it rings as before, one that
 * never sees it set rings as before. */
#define MXN_RINGF_FIN_QUIET 0x10u
_Static_assert(offsetof(struct mxn_ring_ctl, cons) == 64, "cons");
_Static_assert(offsetof(struct mxn_ring_ctl, cons_event) == 68, "cons_event");

/*
 * The area header, page 0 of every endpoint's shared area.  The side that
 * allocates the area (daemon for the local transport, shim for Xen) fills
 * it; it is informative for the guest only.  Offsets are from the area
 * start and page aligned.
 */
struct mxn_area_hdr {
	uint32_t magic;          /* MYRIXEN_AREA_MAGIC */
	uint32_t abi_version;    /* MYRIXEN_ABI_VERSION */
	uint32_t area_size;      /* bytes, multiple of MXN_PAGE_SIZE */
	uint32_t cmd_order;      /* log2 of command-ring slots */
	uint32_t evt_order;      /* log2 of event-ring slots */
	uint32_t sendq_size;     /* bytes */
	uint32_t recvq_size;     /* bytes */
	uint32_t cmd_ctl_off;    /* struct mxn_ring_ctl of the command ring */
	uint32_t evt_ctl_off;    /* struct mxn_ring_ctl of the event ring */
	uint32_t cmd_ring_off;   /* struct mxn_cmd[1 << cmd_order] */
	uint32_t evt_ring_off;   /* struct mxn_evt[1 << evt_order] */
	uint32_t sendq_off;      /* guest writes, daemon reads */
	uint32_t recvq_off;      /* daemon writes, guest reads */
	uint32_t features;       /* MXN_AREAF_*, written by the daemon (0: none) */
	/* Written by the daemon when it attaches the endpoint (0 = not told;
	 * older daemons leave the padding they replaced at 0): how many
	 * rendezvous sends the endpoint may have in flight, and how many bytes
	 * of them its guest may have registered at once.  The library queues
	 * sends beyond them; a SEND_RNDV that arrives beyond them anyway is
	 * parked by the daemon, with every later send of the endpoint, until
	 * room frees (never refused: order between endpoints holds). */
	uint32_t rndv_max;
	uint32_t pad2;
	uint64_t registered_max;
	uint64_t pad1[7];
};
_Static_assert(sizeof(struct mxn_area_hdr) == 128, "mxn_area_hdr size");
_Static_assert(offsetof(struct mxn_area_hdr, features) == 52, "features");
/*
 * The feature word (mxn_area_hdr.features), the one place where the daemon
 * says which optional behaviours it offers this endpoint: one bit each,
 * never reused for another meaning.  A library uses a behaviour only when
 * its bit is set, so it never sends a flag or field the daemon would refuse;
 * the daemon still validates every such flag and field as hostile.  A new
 * bit is a new meaning of the word: the version rule above applies.
 */
#define MXN_AREAF_FUTEX 0x1u       /* MXN_RINGF_FUTEX honoured on the event ring
				    * (local transport, lib/fbell.c) */
#define MXN_AREAF_PULL_STAGED 0x2u /* PULL may say MXN_CMDF_STAGED (PULL_DATA) */
#define MXN_AREAF_SEND_STAGED 0x4u /* SEND_RNDV may say MXN_CMDF_STAGED */
#define MXN_AREAF_ALL (MXN_AREAF_FUTEX | MXN_AREAF_PULL_STAGED | MXN_AREAF_SEND_STAGED)
_Static_assert((MXN_AREAF_FUTEX & MXN_AREAF_PULL_STAGED) == 0 &&
		       ((MXN_AREAF_FUTEX | MXN_AREAF_PULL_STAGED) & MXN_AREAF_SEND_STAGED) == 0,
	       "feature bits overlap");
_Static_assert(offsetof(struct mxn_area_hdr, rndv_max) == 56, "rndv_max");
_Static_assert(offsetof(struct mxn_area_hdr, registered_max) == 64, "registered_max");
_Static_assert(offsetof(struct mxn_area_hdr, cmd_ctl_off) == 28, "cmd_ctl_off");
_Static_assert(offsetof(struct mxn_area_hdr, recvq_off) == 48, "recvq_off");

/* Layout rule, shared by every allocator: header page, one page holding both
 * ring_ctl blocks (cmd at 0, evt at 128), the command ring, the event ring,
 * the sendq, the recvq, each starting on a page boundary. */
#define MXN_AREA_CTL_PAGE_OFF MXN_PAGE_SIZE

/* ---- the address of a peer endpoint as the daemon hands it out ---- */
/* peer index 0 is always this host; others index the daemon's peer table. */
#define MXN_PEER_SELF 0u

/* ---- command ring: guest -> daemon ---- */
enum mxn_cmd_op {
	MXN_CMD_NOP = 0,
	MXN_CMD_CONNECT = 1,     /* u.connect; answered by MXN_EVT_CONNECT_DONE */
	MXN_CMD_SEND_TINY = 2,   /* payload in u.tiny, length <= MXN_TINY_MAX */
	MXN_CMD_SEND_QUEUED = 3, /* small/medium: payload in sendq at u.q.off */
	MXN_CMD_SEND_RNDV = 4,   /* large or synchronous: region descriptor in sendq */
	MXN_CMD_PULL = 5,        /* receiver pulls a rendezvous into its region */
	MXN_CMD_LOOKUP = 6,      /* hostname <-> nic id; u.lookup */
	MXN_CMD_WAKE = 7,        /* ask for an MXN_EVT_WAKE back (mx_wakeup) */
	MXN_CMD_DISCONNECT = 8,  /* forget a connection (u.connect.nic_id/ep) */
	MXN_CMD_PAIR_FAULT = 9,  /* u.pair: our pair-channel peer broke the rules */
	MXN_CMD_PULL_FIN = 10,   /* the library copied a PULL_GRANT itself: u.fin */
	MXN_CMD_REGION_NEXT = 11,/* u.window: the next window of a windowed region */
	MXN_CMD_PAIR_XEN = 12,   /* u.xpair: a Xen pair channel granted / mapped /
				  * declined (pair.h "Xen") */
	MXN_CMD_PULL_WIRE = 13,  /* u.wpull: pull a native rendezvous announced to an
				  * earlier daemon (ABI 9, below); answered as PULL */
	MXN_CMD_OP_MAX
};

/* mxn_cmd.flags */
#define MXN_CMDF_SYNC 0x01u       /* mx_issend: completion means "matched" */
#define MXN_CMDF_QUIET 0x02u      /* SEND_TINY/QUEUED: the guest completed the
				   * send at issue; its SEND_DONE only gives the
				   * sendq back and needs no doorbell */
/* PULL: the library can copy from the sender itself (local transport), so
 * the daemon may answer MXN_EVT_PULL_GRANT instead of copying. */
#define MXN_CMDF_DIRECT 0x02u
/* PULL: the library takes a rendezvous from another host block by block out
 * of its recvq (MXN_EVT_PULL_DATA), so the daemon need not write into its
 * memory.  The daemon still may (no recvq room): both land before PULL_DONE.
 * SEND_RNDV to another host: a copy of the whole message sits in the sendq
 * at u.rndv.staged_off until SEND_DONE, so the daemon need not read the
 * sender's memory for the wire (the region still describes it). */
#define MXN_CMDF_STAGED 0x04u
/* SEND_TINY/QUEUED sent again after a re-attach (ABI 10): pair_seq is not a
 * pair count (a native Open-MX node has no pair channel) but the wire
 * seqnum an earlier daemon gave this send toward that node, as its
 * MXN_EVT_WIRE_SEQ said.  The daemon completes it at once (MXN_ST_OK, no
 * frame) when the node's connect reply says it took that seqnum already:
 * Open-MX delivers each seqnum once and would drop it, but the new daemon
 * numbers from that reply and the node would take it again. */
#define MXN_CMDF_WIRE_SEQ 0x08u

struct mxn_cmd_connect {
	uint64_t nic_id;          /* 48-bit MAC-style id in the low bits */
	uint32_t key;             /* the application key (mx filter) */
	uint32_t timeout_ms;
	uint8_t endpoint;         /* remote endpoint index */
	uint8_t pad[3];
	/* CONNECT only, else 0 (docs/migration.md): an endpoint that moved to
	 * this host re-announces itself.  moved_from = the nic id it lived on
	 * (0: it did not move), proof = the session of the endpoint connected
	 * to, as the mover knew it.  nic_id may be moved_from: the daemon
	 * connects locally when that index here belongs to the requester's own
	 * guest (it moved along), else over the wire. */
	uint32_t proof;
	uint64_t moved_from;
};
_Static_assert(sizeof(struct mxn_cmd_connect) == 32, "mxn_cmd_connect");
_Static_assert(offsetof(struct mxn_cmd_connect, proof) == 20, "mxn_cmd_connect.proof");

struct mxn_cmd_queued {
	uint32_t off;             /* offset in the sendq */
	uint32_t pad0;
	uint64_t pad1[3];
};
_Static_assert(sizeof(struct mxn_cmd_queued) == 32, "mxn_cmd_queued");

struct mxn_cmd_rndv {
	uint32_t desc_off;        /* struct mxn_region_desc in the sendq */
	uint32_t desc_len;        /* bytes of descriptor, header included */
	uint32_t staged_off;      /* MXN_CMDF_STAGED: the message's copy in the sendq */
	uint32_t pad0;
	uint64_t pad[2];
};
_Static_assert(sizeof(struct mxn_cmd_rndv) == 32, "mxn_cmd_rndv");

struct mxn_cmd_pull {
	uint32_t rndv_handle;     /* from MXN_EVT_RECV_RNDV */
	uint32_t desc_off;        /* receiver's region descriptor in its sendq */
	uint32_t desc_len;
	uint32_t pull_len;        /* bytes wanted: min(posted, announced) */
	uint64_t pad[2];
};
_Static_assert(sizeof(struct mxn_cmd_pull) == 32, "mxn_cmd_pull");

/*
 * PULL_WIRE: a native Open-MX sender's rendezvous that an earlier daemon
 * announced (RECV_RNDV with MXN_EVTF_WIRE_SEQ, its u.rndv.wire) and this
 * endpoint had not pulled whole when that daemon went.  Open-MX never
 * announces an acked rendezvous again, so the library hands the new daemon
 * what the announcement said: the sender (dest_endpoint, dest_session of
 * the command, nic_id here), the message length and the sender's window.
 * The daemon pulls it as a PULL would (same flags, PULL_DONE, then the
 * NOTIFY the sender waits for) once this endpoint is connected to that
 * sender again; before, PULL_DONE says MXN_ST_BAD_ENDPOINT.  Refused for a
 * sender that is not a native node (a myrixen sender announces again).
 */
struct mxn_cmd_pull_wire {
	uint32_t desc_off;        /* receiver's region descriptor in its sendq */
	uint32_t desc_len;
	uint32_t pull_len;        /* bytes wanted: min(posted, announced) */
	uint32_t msg_length;      /* as announced */
	uint64_t nic_id;          /* the sender's host */
	uint8_t rdma_id;          /* mxn_evt_rndv.wire, as announced */
	uint8_t rdma_seqnum;
	uint16_t rdma_offset;
	uint32_t pad0;
};
_Static_assert(sizeof(struct mxn_cmd_pull_wire) == 32, "mxn_cmd_pull_wire");
_Static_assert(offsetof(struct mxn_cmd_pull_wire, rdma_id) == 24, "mxn_cmd_pull_wire.rdma_id");

/* Answer to MXN_EVT_PULL_GRANT, cookie = the PULL's.  Nothing answers it: the
 * library's receive is complete; the sender gets its SEND_DONE. */
struct mxn_cmd_pull_fin {
	uint32_t rndv_handle;
	uint32_t xfer_length;     /* bytes the library moved */
	uint8_t status;           /* enum mxn_status of its copy */
	uint8_t pad0[7];
	uint64_t pad1[2];
};
_Static_assert(sizeof(struct mxn_cmd_pull_fin) == 32, "mxn_cmd_pull_fin");

/* Answer to MXN_EVT_REGION_MORE (windowed regions, below), cookie = the
 * SEND_RNDV's or the PULL's: the window of the message at 'offset'.  A
 * guest that cannot describe it sends an empty region: the transfer then
 * fails (NO_RESOURCES) on both sides.  Nothing answers it directly. */
struct mxn_cmd_window {
	uint32_t desc_off;        /* struct mxn_region_desc in the sendq */
	uint32_t desc_len;
	uint32_t offset;          /* as asked: a multiple of MXN_RNDV_WINDOW */
	uint32_t pad0;
	uint64_t pad1[2];
};
_Static_assert(sizeof(struct mxn_cmd_window) == 32, "mxn_cmd_window");

struct mxn_cmd_lookup {
	uint64_t nic_id;          /* 0 means: resolve the name in the sendq */
	uint32_t name_off;        /* NUL-free hostname bytes in the sendq */
	uint32_t name_len;        /* <= MXN_HOSTNAME_MAX */
	uint64_t pad[2];
};
_Static_assert(sizeof(struct mxn_cmd_lookup) == 32, "mxn_cmd_lookup");
#define MXN_HOSTNAME_MAX 80u

struct mxn_cmd_pair {
	uint32_t pair_id;         /* from MXN_EVT_PAIR_OPEN */
	uint32_t pad0;
	uint64_t pad1[3];
};
_Static_assert(sizeof(struct mxn_cmd_pair) == 32, "mxn_cmd_pair");

/*
 * A Xen pair channel being set up (pair.h "Xen"): the body of
 * MXN_EVT_PAIR_XEN_OFFER / MXN_EVT_PAIR_XEN_MAP and of MXN_CMD_PAIR_XEN.
 * In a command, peer_session, peer_endpoint and peer_domid are reserved
 * (the daemon names the peer, never the guest).
 */
struct mxn_pair_xen {
	uint32_t pair_id;
	uint32_t peer_session;
	uint8_t peer_endpoint;
	uint8_t order;            /* pair.h layout: log2 slots per direction */
	uint16_t peer_domid;      /* the domain side 0 grants to / side 1 maps from */
	uint32_t data_size;       /* pair.h layout: data queue bytes per direction */
	uint32_t area_pages;      /* layout area_size / MXN_PAGE_SIZE */
	uint32_t dir_ref;         /* grant ref of the directory page (area refs) */
	uint32_t port;            /* side 0's event channel, unbound for the peer */
	int32_t status;           /* command: 0, or -errno = declined; event: 0 */
};
_Static_assert(sizeof(struct mxn_pair_xen) == 32, "mxn_pair_xen");
_Static_assert(offsetof(struct mxn_pair_xen, peer_domid) == 10, "mxn_pair_xen.peer_domid");
_Static_assert(offsetof(struct mxn_pair_xen, dir_ref) == 20, "mxn_pair_xen.dir_ref");
_Static_assert(offsetof(struct mxn_pair_xen, status) == 28, "mxn_pair_xen.status");

/*
 * A command slot.  'length' is the message length for sends, 0 otherwise.
 * 'cookie' is opaque to the daemon and echoed in the event that completes
 * the command, except that for sends its top 16 bits are the send's
 * sequence number (ABI 3, below), which the daemon also copies into the
 * receive event.  Every sendq byte a command references belongs to the daemon
 * until that completing event has been produced.
 */
struct mxn_cmd {
	uint8_t op;               /* enum mxn_cmd_op */
	uint8_t flags;            /* MXN_CMDF_* */
	uint16_t dest_peer;       /* daemon peer index, from CONNECT_DONE */
	uint32_t length;
	uint64_t cookie;
	uint64_t match_info;
	uint8_t dest_endpoint;
	uint8_t pad;
	uint16_t pair_seq;        /* sends: pair-channel messages before it (pair.h) */
	uint32_t dest_session;
	union {
		uint8_t tiny[MXN_TINY_MAX];
		struct mxn_cmd_pair pair;
		struct mxn_cmd_window window;
		struct mxn_pair_xen xpair;
		struct mxn_cmd_connect connect;
		struct mxn_cmd_queued q;
		struct mxn_cmd_rndv rndv;
		struct mxn_cmd_pull pull;
		struct mxn_cmd_pull_wire wpull;
		struct mxn_cmd_pull_fin fin;
		struct mxn_cmd_lookup lookup;
	} u;
};
_Static_assert(sizeof(struct mxn_cmd) == 64, "mxn_cmd size");
_Static_assert(offsetof(struct mxn_cmd, length) == 4, "mxn_cmd.length");
_Static_assert(offsetof(struct mxn_cmd, cookie) == 8, "mxn_cmd.cookie");
_Static_assert(offsetof(struct mxn_cmd, match_info) == 16, "mxn_cmd.match");
_Static_assert(offsetof(struct mxn_cmd, dest_endpoint) == 24, "mxn_cmd.dest_ep");
_Static_assert(offsetof(struct mxn_cmd, pair_seq) == 26, "mxn_cmd.pair_seq");
_Static_assert(offsetof(struct mxn_cmd, dest_session) == 28, "mxn_cmd.session");
_Static_assert(offsetof(struct mxn_cmd, u) == 32, "mxn_cmd.u");

/*
 * Sequence numbers (ABI 3).  The library numbers its sends 1, 2, ... 65535,
 * 1, ... per destination (nic id, endpoint, session) and puts the number in
 * the cookie's bits 48..63; the daemon copies it, untouched and never
 * interpreted, into bits 48..63 of the receive event's src_nic_id (nic ids
 * are 48 bits).  After an endpoint was re-attached (myribackd restarted,
 * the guest restored) the library sends again every send that had not
 * completed, with its number; the receiving library drops an arrival whose
 * number it already took from that source.  0 = unnumbered (wire
 * arrivals, older senders): never dropped.
 */
#define MXN_SEQ_SHIFT 48
#define MXN_NIC_ID_MASK 0x0000ffffffffffffull
static inline uint16_t mxn_cmd_seq(const struct mxn_cmd *c)
{
	return (uint16_t)(c->cookie >> MXN_SEQ_SHIFT);
}
static inline uint64_t mxn_evt_nic_seq(uint64_t nic_id, uint16_t seq)
{
	return (nic_id & MXN_NIC_ID_MASK) | ((uint64_t)seq << MXN_SEQ_SHIFT);
}

/*
 * Region descriptor, placed in the sendq by SEND_RNDV and PULL.  A region is
 * the guest memory of a large (or synchronous) message.  On the local
 * transport the segments are virtual addresses in the guest process; on
 * Xen they are granted pages (shim ioctl MYRIXEN_IOC_REG_REGION).
 */
enum mxn_region_kind {
	MXN_REGION_VADDR = 1,     /* segs are struct mxn_vaddr_seg */
	MXN_REGION_GRANT = 2,     /* segs are struct mxn_grant_seg */
};

/* Every segment is non-empty.  A region with nsegs == 0 (the descriptor
 * header alone) is valid only with total_len == 0: the empty region of a
 * 0-byte synchronous send (still MXN_CMD_SEND_RNDV, so its completion means
 * "matched") or of an empty pull.  The daemon rejects anything else as
 * malformed.  (Accepted since this comment; no layout change.) */
struct mxn_region_desc {
	uint32_t kind;            /* enum mxn_region_kind */
	uint32_t nsegs;
	uint64_t total_len;       /* sum of segment lengths; checked */
};
_Static_assert(sizeof(struct mxn_region_desc) == 16, "mxn_region_desc");

struct mxn_vaddr_seg {
	uint64_t addr;
	uint64_t len;
};
_Static_assert(sizeof(struct mxn_vaddr_seg) == 16, "mxn_vaddr_seg");

struct mxn_grant_seg {
	uint32_t gref;
	uint16_t offset;          /* < MXN_PAGE_SIZE */
	uint16_t len;             /* 1..MXN_PAGE_SIZE - offset */
};
_Static_assert(sizeof(struct mxn_grant_seg) == 8, "mxn_grant_seg");

#define MXN_REGION_VADDR_SEGS_MAX MXN_MAX_SEGMENTS
#define MXN_REGION_GRANT_SEGS_MAX 4097u /* MXN_RNDV_WINDOW of pages, +1 for skew */
/* Largest message: MX lengths are 32-bit, so any uint32_t length is valid
 * (checks of a uint32_t against it are left out).  What a rendezvous holds
 * at once is the window: a grant region covers at most MXN_RNDV_WINDOW,
 * and the registered-memory budget charges a send no more than the window
 * (nor more than the whole budget), because the daemon and the libraries
 * move the bytes a window or less at a time, never the whole message. */
#define MXN_LARGE_MAX 0xffffffffu
#define MXN_RNDV_WINDOW (16u * 1024u * 1024u)

/*
 * Windowed regions (ABI 4), for guests that must pin what they describe
 * (a Xen guest grants pinned pages: libmyrixen windows there, never on the
 * local transport, whose regions are plain address ranges).  A SEND_RNDV of
 * length > MXN_RNDV_WINDOW, and a PULL moving more than that (min(pull_len,
 * announced)), may describe only the first window of the message: a region
 * of exactly MXN_RNDV_WINDOW bytes.  The daemon moves one window, then asks
 * each side for the next with MXN_EVT_REGION_MORE (offset k * window); the
 * side may then end the previous window's grants and answers
 * MXN_CMD_REGION_NEXT with a region of the next min(window, rest) bytes
 * (rest counted from the message length for the sender, from the pull's
 * length for the receiver).  A side that describes all of its memory
 * instead (a local process facing a Xen guest) is not asked.  Only between
 * endpoints of this host: a windowed transfer with the wire completes
 * MXN_ST_NO_RESOURCES.  Windows advance only as fast as the windowed
 * sides answer (libraries do so while they progress).
 */
static inline int mxn_region_windowed(uint64_t region_len, uint64_t len)
{
	return len > MXN_RNDV_WINDOW && region_len == MXN_RNDV_WINDOW;
}

/* What a rendezvous send of len bytes counts against a budget of limit
 * bytes (0 = none); library and daemon use the same rule. */
static inline uint64_t mxn_rndv_charge(uint64_t len, uint64_t limit)
{
	uint64_t c = len < MXN_RNDV_WINDOW ? len : MXN_RNDV_WINDOW;

	return limit && c > limit ? limit : c;
}

/* ---- event ring: daemon -> guest ---- */
enum mxn_evt_type {
	MXN_EVT_NONE = 0,
	MXN_EVT_CONNECT_DONE = 1, /* u.connect */
	MXN_EVT_RECV_TINY = 2,    /* payload in u.tiny */
	MXN_EVT_RECV_QUEUED = 3,  /* payload in recvq at u.q.off */
	MXN_EVT_RECV_RNDV = 4,    /* announcement; the guest answers with PULL */
	MXN_EVT_SEND_DONE = 5,    /* u.done.cookie completes a send */
	MXN_EVT_PULL_DONE = 6,    /* u.done.cookie completes a pull */
	MXN_EVT_LOOKUP_DONE = 7,  /* u.lookup */
	MXN_EVT_WAKE = 8,         /* answer to MXN_CMD_WAKE */
	MXN_EVT_GUEST_ERROR = 9,  /* the daemon cut this endpoint off; status says why */
	MXN_EVT_PAIR_OPEN = 10,   /* u.pair: a pair channel waits on the socket (pair.h) */
	MXN_EVT_PAIR_CLOSED = 11, /* u.pair: stop using it; status CLOSED or BAD_REQUEST */
	MXN_EVT_RECV_VOID = 12,   /* a daemon-path send from src that could not be
				   * delivered: counts for pair order, nothing else */
	MXN_EVT_PULL_GRANT = 13,  /* copy it yourself: u.grant; answer MXN_CMD_PULL_FIN */
	MXN_EVT_REGION_MORE = 14, /* u.done: cookie of a windowed SEND_RNDV or PULL,
				   * xfer_length = offset of the window wanted; the
				   * previous window is no longer used (ABI 4) */
	MXN_EVT_PAIR_XEN_OFFER = 15, /* u.xpair: grant a pair area to peer_domid, answer
				      * MXN_CMD_PAIR_XEN (pair.h "Xen") */
	MXN_EVT_PAIR_XEN_MAP = 16,   /* u.xpair: map the peer's pair area, answer
				      * MXN_CMD_PAIR_XEN */
	MXN_EVT_PULL_DATA = 17,      /* u.data: length bytes of an MXN_CMDF_STAGED
				      * pull, in the recvq; PULL_DONE follows */
	MXN_EVT_MOVED = 18,          /* u.moved: a peer endpoint moved to another host;
				      * src_* name where it is now (docs/migration.md) */
	MXN_EVT_WIRE_SEQ = 19,       /* u.done: the send of cookie went toward a native
				      * Open-MX node under wire seqnum xfer_length
				      * (16 bits); SEND_DONE follows.  Only when the
				      * ring has room: none means none was given
				      * (MXN_CMDF_WIRE_SEQ; ABI 10) */
	MXN_EVT_TYPE_MAX
};

/* status codes carried in events (and in local-transport replies) */
enum mxn_status {
	MXN_ST_OK = 0,
	MXN_ST_TRUNCATED = 1,
	MXN_ST_BAD_REQUEST = 2,   /* malformed command */
	MXN_ST_BAD_ENDPOINT = 3,  /* no such remote endpoint */
	MXN_ST_BAD_KEY = 4,       /* application key mismatch */
	MXN_ST_BAD_SESSION = 5,   /* remote endpoint was closed and reopened */
	MXN_ST_CLOSED = 6,        /* remote endpoint closed */
	MXN_ST_TIMEOUT = 7,       /* peer unreachable, retries exhausted */
	MXN_ST_NO_RESOURCES = 8,  /* a per-guest limit would be exceeded */
	MXN_ST_NOT_FOUND = 9,     /* lookup failed */
	MXN_ST_AWAY = 10,         /* the peer's guest is being saved or migrated: it
				   * comes back with the same session (send again,
				   * wait for its rendezvous again); ABI 4 */
	MXN_ST_MOVED = 11,        /* the destination lives on another host now (it
				   * re-announced itself, MXN_EVT_MOVED): send again
				   * where it went; ABI 6 */
	MXN_ST_STATUS_MAX
};

/* mxn_evt.flags */
#define MXN_EVTF_SYNC 0x01u       /* a RECV_RNDV that carries a synchronous send */
#define MXN_EVTF_QUIET 0x02u      /* SEND_DONE of an MXN_CMDF_QUIET send: the daemon
				   * rings for it only with MXN_RINGF_WAKE_QUIET */
#define MXN_EVTF_GRANT 0x04u      /* a RECV_RNDV to a library that asked for it
				   * (MXN_RINGF_PREGRANT): u.rndv names the sender's
				   * segments, as a PULL_GRANT would */
#define MXN_EVTF_WIRE_SEQ 0x08u   /* a receive whose send number (src_nic_id, MXN_SEQ_SHIFT)
				   * is a native Open-MX sender's wire seqnum: 14 bits
				   * that wrap, 2 of session above (lib/seqtrack.h) */

struct mxn_evt_q {
	uint32_t off;             /* offset in the recvq; chunk is MXN_QUEUE_ALIGN aligned */
	uint32_t pad[7];
};
_Static_assert(sizeof(struct mxn_evt_q) == 32, "mxn_evt_q");

/*
 * With MXN_EVTF_GRANT (else all zero): the daemon made a PULL_GRANT's
 * checks when it announced (same principal, the sender still the process
 * that opened its endpoint), so a receive that matches it on arrival
 * copies it at once as from a grant of xfer_length = the message length
 * (process_vm_readv from pid, nsegs struct mxn_vaddr_seg at segs_off in
 * the recvq, freed with the slot) and answers MXN_CMD_PULL_FIN quoting
 * rndv_handle (any cookie).  A receive posted later pulls as usual: a PULL
 * is still answered.
 */
/* The window a native Open-MX sender announced (MXN_EVTF_WIRE_SEQ, else
 * zero): what MXN_CMD_PULL_WIRE quotes after a re-attach (ABI 9). */
struct mxn_wire_rdma {
	uint8_t id;
	uint8_t seqnum;
	uint16_t offset;
};
_Static_assert(sizeof(struct mxn_wire_rdma) == 4, "mxn_wire_rdma");

struct mxn_evt_rndv {
	uint32_t rndv_handle;     /* quote it in MXN_CMD_PULL */
	uint32_t pid;             /* MXN_EVTF_GRANT: the sender's process */
	uint32_t segs_off;        /* MXN_EVTF_GRANT: segments in the recvq */
	uint16_t nsegs;           /* MXN_EVTF_GRANT */
	uint16_t pad0;
	struct mxn_wire_rdma wire; /* MXN_EVTF_WIRE_SEQ */
	uint32_t pad[3];
};
_Static_assert(sizeof(struct mxn_evt_rndv) == 32, "mxn_evt_rndv");
_Static_assert(offsetof(struct mxn_evt_rndv, nsegs) == 12, "mxn_evt_rndv.nsegs");
_Static_assert(offsetof(struct mxn_evt_rndv, wire) == 16, "mxn_evt_rndv.wire");

struct mxn_evt_done {
	uint64_t cookie;
	uint32_t xfer_length;     /* bytes actually moved */
	uint32_t pad[5];
};
_Static_assert(sizeof(struct mxn_evt_done) == 32, "mxn_evt_done");

/*
 * A PULL sent with MXN_CMDF_DIRECT whose sender is the same principal as the
 * receiver (and still the process that opened its endpoint): the receiving
 * library reads xfer_length bytes with process_vm_readv(pid, ...) from the
 * sender's nsegs struct mxn_vaddr_seg at segs_off in the recvq (freed with
 * the slot), under its own credentials, then answers MXN_CMD_PULL_FIN (no
 * PULL_DONE follows).
 */
struct mxn_evt_grant {
	uint64_t cookie;          /* the PULL's */
	uint32_t pid;             /* the sender's process */
	uint32_t xfer_length;
	uint32_t segs_off;
	uint16_t nsegs;
	uint16_t pad0;
	uint32_t rndv_handle;     /* quote it in MXN_CMD_PULL_FIN */
	uint32_t pad1;
};
_Static_assert(sizeof(struct mxn_evt_grant) == 32, "mxn_evt_grant");

/*
 * Part of a staged pull (MXN_CMDF_STAGED): length bytes at recvq offset off
 * (freed with the slot) belong at msg_offset of the pull whose cookie this
 * is.  They arrive in no particular order, never overlap, and all come
 * before the pull's PULL_DONE, whose xfer_length counts them.
 */
struct mxn_evt_data {
	uint64_t cookie;          /* the PULL's */
	uint32_t off;             /* in the recvq */
	uint32_t msg_offset;      /* where they go in the message */
	uint64_t pad[2];
};
_Static_assert(sizeof(struct mxn_evt_data) == 32, "mxn_evt_data");

struct mxn_evt_connect {
	uint64_t cookie;
	uint64_t nic_id;
	uint16_t peer;            /* use as mxn_cmd.dest_peer */
	uint8_t endpoint;
	uint8_t pad0;
	uint32_t session;         /* use as mxn_cmd.dest_session */
	uint64_t pad1;
};
/* A session is random and names one opening of an endpoint.  Quoting it is
 * not enough to send: the daemon delivers a local send only along a
 * connection it recorded for the sending endpoint (a CONNECT that passed
 * the key check, either direction, or the endpoint itself); others
 * complete MXN_ST_BAD_SESSION. */
_Static_assert(sizeof(struct mxn_evt_connect) == 32, "mxn_evt_connect");

/* MXN_EVT_MOVED: the endpoint (src_endpoint, src_session) a connection of
 * this endpoint named on old_nic_id lives on src_nic_id now, reached through
 * src_peer.  The daemon sends it only for a connection this endpoint had,
 * re-announced by a connect that proved it (docs/security.md). */
struct mxn_evt_moved {
	uint64_t old_nic_id;
	uint64_t pad[3];
};
_Static_assert(sizeof(struct mxn_evt_moved) == 32, "mxn_evt_moved");

struct mxn_evt_pair {
	uint32_t pair_id;
	uint32_t peer_session;
	uint8_t peer_endpoint;
	uint8_t pad0[7];
	uint64_t pad1[2];
};
_Static_assert(sizeof(struct mxn_evt_pair) == 32, "mxn_evt_pair");

struct mxn_evt_lookup {
	uint64_t cookie;
	uint64_t nic_id;
	uint16_t peer;
	uint16_t name_len;
	uint32_t name_off;        /* hostname in the recvq, freed with the slot */
	uint64_t pad;
};
_Static_assert(sizeof(struct mxn_evt_lookup) == 32, "mxn_evt_lookup");

/*
 * An event slot.  For receives, length is the full message length, match_info
 * and the src_* fields name the sender (src_peer/src_endpoint/src_session
 * form a reply address; src_nic_id is for mx_decompose_endpoint_addr).
 * RECV_QUEUED data lives in the recvq until the guest advances the event
 * ring's cons past the slot: the recvq is released in event order.
 */
struct mxn_evt {
	uint8_t type;             /* enum mxn_evt_type */
	uint8_t status;           /* enum mxn_status */
	uint8_t src_endpoint;
	uint8_t flags;            /* MXN_EVTF_* */
	uint32_t length;
	uint64_t match_info;
	uint64_t src_nic_id;      /* bits 0..47; 48..63: the send's seq (see above) */
	uint16_t src_peer;
	uint16_t pair_seq;        /* receives: mxn_cmd.pair_seq of the send */
	uint32_t src_session;
	union {
		uint8_t tiny[MXN_TINY_MAX];
		struct mxn_evt_pair pair;
		struct mxn_pair_xen xpair;
		struct mxn_evt_q q;
		struct mxn_evt_rndv rndv;
		struct mxn_evt_done done;
		struct mxn_evt_connect connect;
		struct mxn_evt_lookup lookup;
		struct mxn_evt_grant grant;
		struct mxn_evt_data data;
		struct mxn_evt_moved moved;
	} u;
};
_Static_assert(sizeof(struct mxn_evt) == 64, "mxn_evt size");
_Static_assert(offsetof(struct mxn_evt, length) == 4, "mxn_evt.length");
_Static_assert(offsetof(struct mxn_evt, match_info) == 8, "mxn_evt.match");
_Static_assert(offsetof(struct mxn_evt, src_nic_id) == 16, "mxn_evt.src_nic");
_Static_assert(offsetof(struct mxn_evt, src_peer) == 24, "mxn_evt.src_peer");
_Static_assert(offsetof(struct mxn_evt, pair_seq) == 26, "mxn_evt.pair_seq");
_Static_assert(offsetof(struct mxn_evt, src_session) == 28, "mxn_evt.session");
_Static_assert(offsetof(struct mxn_evt, u) == 32, "mxn_evt.u");

/*
 * Opening an endpoint.  The guest asks with mxn_open_req; the daemon clamps
 * the geometry to its limits and answers with mxn_open_rsp.  On the local
 * transport these travel over the UNIX socket (SOCK_SEQPACKET), the reply
 * carrying SCM_RIGHTS [area memfd, kick eventfd, irq eventfd].  On Xen the
 * same fields travel through xenstore (see shim/README.md).
 */
#define MXN_ENDPOINT_ANY 0xffu

struct mxn_open_req {
	uint32_t abi_version;
	uint32_t key;             /* application key (mx filter) */
	uint8_t endpoint;         /* wanted index, or MXN_ENDPOINT_ANY */
	uint8_t cmd_order;        /* 0 = daemon default */
	uint8_t evt_order;
	uint8_t pad0;
	uint32_t sendq_size;      /* 0 = daemon default */
	uint32_t recvq_size;
	uint32_t pad1;
};
_Static_assert(sizeof(struct mxn_open_req) == 24, "mxn_open_req");

/*
 * Local transport only: re-claim an endpoint after a daemon restart.  Sent
 * instead of mxn_open_req as the first message of a fresh connection, with
 * SCM_RIGHTS [the area memfd the library already maps]; open.endpoint names
 * the index held and open.cmd_order .. recvq_size the area's exact geometry.
 * The reply is mxn_open_rsp + [memfd, kick, irq] as for an open.  A new
 * message of its own size, which a daemon that does not know it refuses
 * (-EINVAL): no version bump (the rule above).  Who may re-claim what:
 * docs/security.md.
 */
struct mxn_reattach_req {
	struct mxn_open_req open;
	uint32_t session;         /* the session the endpoint held (never 0) */
	uint32_t pad0;
};
_Static_assert(sizeof(struct mxn_reattach_req) == 32, "mxn_reattach_req");
_Static_assert(offsetof(struct mxn_reattach_req, session) == 24, "reattach session");

struct mxn_open_rsp {
	int32_t error;            /* 0 or -errno */
	uint32_t abi_version;
	uint64_t nic_id;          /* this host's board id */
	uint32_t session;         /* this endpoint's session id */
	uint8_t endpoint;         /* the granted index */
	uint8_t pad0[3];
	uint32_t area_size;       /* the memfd's size; header inside has the rest */
	uint32_t medium_max;      /* largest MXN_CMD_SEND_QUEUED length */
	char hostname[MXN_HOSTNAME_MAX];
};
_Static_assert(sizeof(struct mxn_open_rsp) == 112, "mxn_open_rsp");
_Static_assert(offsetof(struct mxn_open_rsp, hostname) == 32, "hostname");

#endif /* MYRIXEN_ABI_H */
