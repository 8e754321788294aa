/* SPDX-License-Identifier: MIT */
/*
 * Pair channels: a shared area two local endpoints use to exchange tiny,
 * small and medium messages with no daemon hop.  myribackd brokers one
 * channel per connected pair of local endpoints (after its key check):
 * it creates the memfd (sealed: neither side can resize it), two eventfd
 * doorbells (one per direction) and hands them to both libraries over their
 * UNIX sockets (struct mxn_pair_open + SCM_RIGHTS [memfd, rx bell, tx bell]),
 * then tells both through their event rings (MXN_EVT_PAIR_OPEN).  The daemon
 * never maps the channel: after the hand-over it only hears of it again when
 * an endpoint closes (MXN_EVT_PAIR_CLOSED to the other side) or when a side
 * reports its peer for breaking the rules (MXN_CMD_PAIR_FAULT).
 *
 * Layout (mxn_pair_layout_compute): page 0 header (informative), page 1 the
 * two struct mxn_ring_ctl (direction 0 at 0, direction 1 at 128), then per
 * direction the slot array and the data queue, each page aligned.  The
 * endpoint the daemon calls side 0 produces direction 0 and consumes
 * direction 1; side 1 the opposite.
 *
 * Publication (ABI 7): a slot says itself whether it is written, as a NIC
 * descriptor ring does, so a message moves one cache line between the two
 * cores (the slot) and the consumer needs no read of prod on its fast path.
 * The producer fills every other byte of slot i (free-running index), then
 * stores its seq = i + 1 with release; the consumer polls the seq of the
 * slot it expects next with acquire (mxn_pair_seq_state).  prod still runs
 * free and is pushed after the slots it covers (mxn_ring_push): it is the
 * word a sleeper waits on and the event-suppression rule's (prod_event).
 * The consumer may therefore run ahead of prod, by at most the ring (the
 * producer pushes at the latest when a ring's worth is unpushed).
 *
 * Trust: each side treats the other as hostile, exactly as the daemon treats
 * a guest ring.  For the slot it expects (index c) the consumer reads seq:
 * c + 1 is written; 0 (never written: the area comes zeroed) or c + 1 -
 * slots (the previous lap's) is not written yet; any other value is a
 * violation.  prod is read only before sleeping (mxn_pair_prod_state): a
 * prod ahead of c (by 1 .. slots) while slot c is not written is a
 * violation (an honest producer stores seq before it pushes prod), as is
 * a prod more than one ring away on either side.  A written slot is copied,
 * then the copy is validated: seq still c + 1, type, length, data offset.
 * The producer checks the consumer's cons against what it wrote.  The
 * source of a message is the peer the daemon named in mxn_pair_open, never
 * a word in the slot.
 * A violation cuts off that pair alone (the victim stops using it and sends
 * MXN_CMD_PAIR_FAULT; the daemon counts it and closes the other side).
 *
 * Order: MX matches the messages of one sender in order, but messages from
 * A to B travel two paths (pair channel; daemon for rendezvous the channel
 * does not carry, synchronous sends up to medium_max and anything sent
 * before the channel existed).  Each message says
 * how many messages of the OTHER path precede it: a pair slot carries
 * 'dcount' (daemon-path sends from A to B issued before it, counted since A
 * opened), a daemon-path send carries mxn_cmd.pair_seq (pair messages before
 * it, mod 2^16), which the daemon copies into mxn_evt.pair_seq.  The
 * receiver consumes a message only once it has consumed that many of the
 * other path, which merges the two streams back into send order.  A
 * daemon-path send that cannot be delivered to a live receiver still
 * arrives, as MXN_EVT_RECV_VOID, so the counts never drift.
 *
 * Send numbers: a slot carries its send's per-connection number (send_seq,
 * the one a daemon-path send carries in its cookie: abi.h MXN_SEQ_SHIFT;
 * 0 = unnumbered, as an older library writes), and the receiver records it
 * as it records a daemon-path arrival's.  A message sent again through the
 * daemon after its channel died (a survivor sending what its peer never
 * consumed, counted as daemon-path messages on both sides from then on:
 * lib/README.md) is then dropped by a receiver that had taken it after
 * all.  A peer lying in send_seq can only get its own later messages
 * dropped.
 *
 * Rendezvous (ABI 8, local transport only): between two endpoints of the
 * same principal (uid and gid) the daemon hands each side, with the
 * channel, the peer's pidfd and /proc/PID directory fd (its own, taken at
 * accept) and pid (mxn_pair_open.flags MXN_PAIR_OPENF_PROC), after it
 * checked that both processes are still the ones that opened their
 * endpoints.  A side that copies large messages itself says so in the flags
 * of the direction it consumes (MXN_RINGF_PAIR_RNDV); its peer may then
 * announce a large send in the channel: an MXN_PAIR_RNDV slot (counted as a
 * pair message for "Order") whose data names the sender's segments (struct
 * mxn_vaddr_seg[nsegs], in its own address space) and a handle.  The
 * receiver, once a receive matches, checks the sender is still the process
 * the daemon vouched for (the daemon's own checks, against what the
 * fds showed when the channel opened: docs/security.md), reads the
 * segments with one process_vm_readv under its own credentials, and answers
 * MXN_PAIR_FIN (handle, status, bytes moved; not a message: not counted,
 * never held back by dcount), which completes the send.  No daemon hop
 * either way.  A FIN for a handle the sender does not have outstanding is a
 * violation; a receiver that lies in a FIN only loses its own data.  A
 * channel that closes or breaks completes the sender's outstanding
 * rendezvous with an error; a sender that died fails the copy.
 * FIN naps (ABI 10: a FIN's done_ns was padding written 0, a flag no
 * older library sets): a sender with two rendezvous or more announced in
 * the channel, the receiver busy with the next one after each FIN, may
 * sleep on its own timer until the oldest one's FIN is due (from done_ns,
 * the receiver's own clock, of earlier FINs) and say MXN_RINGF_FIN_QUIET:
 * the receiver then writes that FIN without a wake-up, and rings with its
 * next other slot.  A sender whose nap ends before the FIN naps again a
 * short step, then asks for the bell; with one rendezvous outstanding (a
 * ping-pong) it never naps.  A lying done_ns only moves the liar's own
 * FINs' completion, by a bounded nap.
 *
 * Xen: two guests of one host share no memory the daemon could hand over,
 * so the channel is the guests' own: the same layout in pages side 0's
 * guest grants to side 1's domain, one interdomain event channel as the
 * bell of both directions.  After CONNECT's key check between endpoints of
 * two different domains the daemon records the pair and:
 *   1. MXN_EVT_PAIR_XEN_OFFER to side 0 (geometry, peer_domid = side 1's
 *      domain).  Side 0 allocates area_pages pages, grants each to
 *      peer_domid (read-write) and a directory page holding their refs
 *      (uint32_t each, in order; read-only), allocates an event channel
 *      unbound for peer_domid, starts reading direction 1, and answers
 *      MXN_CMD_PAIR_XEN { dir_ref, port } (or status -errno: declined).
 *   2. The daemon checks the answer (mxn_pair_xen_check) and sends
 *      MXN_EVT_PAIR_XEN_MAP to side 1 with peer_domid = side 0's domain as
 *      the daemon knows it: a guest never names the domain it maps from or
 *      grants to.  Side 1 maps the directory, copies and checks the refs,
 *      maps the area, binds the port, starts using the channel both ways
 *      and answers MXN_CMD_PAIR_XEN (status 0 or -errno).
 *   3. The daemon sends MXN_EVT_PAIR_OPEN to side 0, which starts sending.
 * Side 0 never sends into the channel before side 1 mapped it, so a
 * declined or failed set-up loses nothing: both keep the daemon path.
 * The daemon never maps a pair area.  A domain that dies closes its
 * endpoints, the survivor gets MXN_EVT_PAIR_CLOSED and unmaps.
 */
#ifndef MYRIXEN_PAIR_H
#define MYRIXEN_PAIR_H

#include "abi.h"

#define MXN_PAIR_MAGIC 0x52494150u /* "PAIR" little-endian */
#define MXN_PAIR_ORDER_DEFAULT 8u   /* 256 slots per direction */
#define MXN_PAIR_DATA_DEFAULT (512u * 1024u)
#define MXN_PAIR_DATA_MIN MXN_QUEUE_MIN  /* >= the largest medium message */
#define MXN_PAIR_DATA_MAX (4u * 1024u * 1024u)
#define MXN_PAIRS_MAX 255u          /* channels per endpoint (one per peer) */

/* mxn_pair_slot.type */
enum mxn_pair_type {
	MXN_PAIR_TINY = 1,        /* payload in the slot, length <= MXN_TINY_MAX */
	MXN_PAIR_QUEUED = 2,      /* payload in the direction's data queue at off */
	MXN_PAIR_RNDV = 3,        /* large: mxn_pair_rndv in tiny, the sender's
				   * segments in the data queue at off (ABI 8) */
	MXN_PAIR_FIN = 4,         /* a rendezvous copied: mxn_pair_fin in tiny */
};

/* MXN_PAIR_RNDV: length is the message's; nsegs segments at off. */
struct mxn_pair_rndv {
	uint32_t handle;          /* the sender's name for it, echoed in the FIN */
	uint32_t nsegs;           /* 1 .. MXN_MAX_SEGMENTS */
	uint64_t pad[3];
};

/* MXN_PAIR_FIN, from the receiver of a rendezvous: length, match_info,
 * dcount, off and send_seq are 0. */
struct mxn_pair_fin {
	uint32_t handle;
	uint32_t xfer_length;     /* bytes moved */
	uint8_t status;           /* MXN_ST_* */
	uint8_t pad[7];
	uint64_t done_ns;         /* the receiver's CLOCK_MONOTONIC when it
				   * answered (0: not said, as before): moves
				   * only the sender's FIN naps */
	uint8_t pad2[8];
};
_Static_assert(sizeof(struct mxn_pair_rndv) == MXN_TINY_MAX, "mxn_pair_rndv size");
_Static_assert(sizeof(struct mxn_pair_fin) == MXN_TINY_MAX, "mxn_pair_fin size");

/*
 * One message.  The consumer releases the data of a slot together with the
 * slot (data is handed out in slot order), so the producer learns what it
 * may reuse from cons alone and no extra shared word exists to lie about.
 */
struct mxn_pair_slot {
	uint8_t type;             /* enum mxn_pair_type */
	uint8_t pad0[3];
	uint32_t length;          /* message length */
	uint64_t match_info;
	uint32_t dcount;          /* daemon-path sends to this peer before this one */
	uint32_t off;             /* MXN_PAIR_QUEUED: offset in the data queue,
				   * MXN_QUEUE_ALIGN aligned, off + length <= data_size */
	uint16_t send_seq;        /* the send's number (abi.h MXN_SEQ_SHIFT), 0 = none */
	uint16_t pad1;
	uint32_t seq;             /* index + 1, stored last with release (ABI 7) */
	uint8_t tiny[MXN_TINY_MAX];
};
_Static_assert(sizeof(struct mxn_pair_slot) == 64, "mxn_pair_slot size");
_Static_assert(offsetof(struct mxn_pair_slot, length) == 4, "mxn_pair_slot.length");
_Static_assert(offsetof(struct mxn_pair_slot, match_info) == 8, "mxn_pair_slot.match");
_Static_assert(offsetof(struct mxn_pair_slot, dcount) == 16, "mxn_pair_slot.dcount");
_Static_assert(offsetof(struct mxn_pair_slot, off) == 20, "mxn_pair_slot.off");
_Static_assert(offsetof(struct mxn_pair_slot, send_seq) == 24, "mxn_pair_slot.send_seq");
_Static_assert(offsetof(struct mxn_pair_slot, seq) == 28, "mxn_pair_slot.seq");
_Static_assert(offsetof(struct mxn_pair_slot, tiny) == 32, "mxn_pair_slot.tiny");

/* What the consumer makes of the seq of the slot it expects (index idx). */
enum mxn_pair_seq {
	MXN_PAIR_SEQ_EMPTY = 0,   /* not written yet: look again later */
	MXN_PAIR_SEQ_READY = 1,   /* written: copy it, then validate the copy */
	MXN_PAIR_SEQ_BAD = 2,     /* no honest producer writes this: cut off */
};

/* The seq the producer stores into the slot of index idx. */
static inline uint32_t mxn_pair_seq_of(uint32_t idx)
{
	return idx + 1u;
}

/* The slot rule (see "Publication" and "Trust" above).  Pure. */
static inline enum mxn_pair_seq mxn_pair_seq_state(uint32_t seq, uint32_t idx, uint32_t nslots)
{
	if (seq == mxn_pair_seq_of(idx))
		return MXN_PAIR_SEQ_READY;
	if (seq == 0 || seq == mxn_pair_seq_of(idx - nslots))
		return MXN_PAIR_SEQ_EMPTY;
	return MXN_PAIR_SEQ_BAD;
}

/*
 * The check before sleeping: prod (read with acquire, then the seq of slot
 * idx, the one the consumer expects) against the slot rule.  READY: work is
 * there; EMPTY: nothing is, sleep; BAD: a violation.  prod may lag idx (the
 * consumer takes slots as their seq appears, before the producer pushes
 * them) by at most a ring, and lead it by at most a ring, and only over
 * written slots.  Pure.
 */
static inline enum mxn_pair_seq mxn_pair_prod_state(uint32_t prod, uint32_t seq, uint32_t idx,
						    uint32_t nslots)
{
	enum mxn_pair_seq st = mxn_pair_seq_state(seq, idx, nslots);

	if (prod - idx > nslots && idx - prod > nslots)
		return MXN_PAIR_SEQ_BAD;  /* more than a ring away */
	if (st == MXN_PAIR_SEQ_EMPTY && prod != idx && prod - idx <= nslots)
		return MXN_PAIR_SEQ_BAD;  /* pushed past a slot it never wrote */
	return st;
}

/* Page 0 of a channel, written by the daemon; informative only. */
struct mxn_pair_hdr {
	uint32_t magic;           /* MXN_PAIR_MAGIC */
	uint32_t abi_version;
	uint32_t area_size;
	uint32_t order;           /* log2 slots per direction */
	uint32_t data_size;       /* bytes of data queue per direction */
	uint32_t pad[11];
};
_Static_assert(sizeof(struct mxn_pair_hdr) == 64, "mxn_pair_hdr size");

/*
 * The socket message that precedes MXN_EVT_PAIR_OPEN (local transport).
 * SCM_RIGHTS carries [memfd, rx bell, tx bell]: rx bell is rung by the peer
 * when it produces into our direction or frees room in its own; tx bell is
 * the peer's rx bell.  A side that sleeps on a futex instead (lib/fbell.c)
 * sets MXN_RINGF_FUTEX in the flags of the direction it consumes before
 * arming it: the producer then wakes that direction's prod with FUTEX_WAKE
 * rather than ringing the bell.  Room waits always use the bells.
 */
struct mxn_pair_open {
	uint32_t abi_version;
	uint32_t pair_id;         /* names the channel in PAIR_* events/commands */
	uint8_t side;             /* 0 or 1: we produce direction 'side' */
	uint8_t peer_endpoint;    /* the peer, as it appears in event src fields */
	uint8_t order;
	uint8_t flags;            /* MXN_PAIR_OPENF_* (ABI 8) */
	uint32_t peer_session;
	uint32_t data_size;
	uint32_t area_size;
	uint32_t peer_pid;        /* MXN_PAIR_OPENF_PROC: the peer's pid, else 0 */
	uint32_t pad1;
};
_Static_assert(sizeof(struct mxn_pair_open) == 32, "mxn_pair_open size");
_Static_assert(offsetof(struct mxn_pair_open, peer_session) == 12, "peer_session");
_Static_assert(offsetof(struct mxn_pair_open, peer_pid) == 24, "peer_pid");
/* The peer is of our principal: SCM_RIGHTS carries two more descriptors,
 * its pidfd and its /proc/PID directory (O_PATH), for "Rendezvous". */
#define MXN_PAIR_OPENF_PROC 0x1u
#define MXN_PAIR_OPEN_FDS_MAX 5

struct mxn_pair_layout {
	uint32_t order, data_size;
	uint32_t ctl_off[2];      /* struct mxn_ring_ctl per direction */
	uint32_t slots_off[2];    /* struct mxn_pair_slot[1 << order] */
	uint32_t data_off[2];
	uint32_t area_size;
};

/* Returns 0 or -22 (EINVAL) outside the limits (data_size a power of two,
 * so free-running data positions wrap cleanly).  Pure arithmetic. */
static inline int mxn_pair_layout_compute(struct mxn_pair_layout *l, uint32_t order,
					  uint32_t data_size)
{
	uint32_t slots_len, off;

	if (order < MXN_RING_ORDER_MIN || order > MXN_RING_ORDER_MAX ||
	    data_size < MXN_PAIR_DATA_MIN || data_size > MXN_PAIR_DATA_MAX ||
	    (data_size & (data_size - 1)))
		return -22;
	slots_len = ((uint32_t)sizeof(struct mxn_pair_slot) << order);
	slots_len = (slots_len + MXN_PAGE_SIZE - 1) & ~(MXN_PAGE_SIZE - 1);
	l->order = order;
	l->data_size = data_size;
	l->ctl_off[0] = MXN_PAGE_SIZE;
	l->ctl_off[1] = MXN_PAGE_SIZE + (uint32_t)sizeof(struct mxn_ring_ctl);
	off = 2 * MXN_PAGE_SIZE;
	for (int d = 0; d < 2; d++) {
		l->slots_off[d] = off;
		off += slots_len;
		l->data_off[d] = off;
		off += data_size;
	}
	l->area_size = off;
	return 0;
}

/* Xen pair geometry: 128 slots and 128 KiB of data per direction
 * (4 medium messages in flight), 70 pages: small enough for the guest
 * kernel's grant-allocation limit (xen-gntalloc: 1024 pages by default). */
#define MXN_PAIR_XEN_ORDER 7u
#define MXN_PAIR_XEN_DATA (128u * 1024u)
#define MXN_PAIR_XEN_PAGES_MAX (MXN_PAGE_SIZE / 4u) /* one directory page of refs */
#define MXN_GREF_FIRST 8u         /* refs below are the toolstack's */
#define MXN_GREF_LIMIT (1u << 24) /* far above any grant table Xen allows */
#define MXN_EVTCHN_LIMIT (1u << 17) /* FIFO ABI maximum */
#define MXN_DOMID_LIMIT 0x7ff0u   /* DOMID_FIRST_RESERVED */

/* A grant reference that may name a page a guest granted. */
static inline int mxn_gref_ok(uint32_t ref)
{
	return ref >= MXN_GREF_FIRST && ref < MXN_GREF_LIMIT;
}

/*
 * Check a Xen pair description (MXN_CMD_PAIR_XEN from side 0, or the
 * MXN_EVT_PAIR_XEN_MAP side 1 acts on): geometry through the layout rule,
 * area_pages that exact page count and within one directory page, dir_ref
 * and port in range.  with_grant: dir_ref and port must be set (side 0's
 * answer, the map request); else they must be 0.  Fills *l.  Returns 0 or
 * -22 (EINVAL).  Pure.
 */
static inline int mxn_pair_xen_check(const struct mxn_pair_xen *x, int with_grant,
				     struct mxn_pair_layout *l)
{
	if (mxn_pair_layout_compute(l, x->order, x->data_size) ||
	    l->area_size % MXN_PAGE_SIZE || x->area_pages != l->area_size / MXN_PAGE_SIZE ||
	    x->area_pages > MXN_PAIR_XEN_PAGES_MAX || x->peer_domid >= MXN_DOMID_LIMIT)
		return -22;
	if (!with_grant)
		return x->dir_ref || x->port ? -22 : 0;
	if (!mxn_gref_ok(x->dir_ref) || !x->port || x->port >= MXN_EVTCHN_LIMIT)
		return -22;
	return 0;
}

#endif /* MYRIXEN_PAIR_H */
