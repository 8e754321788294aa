/* SPDX-License-Identifier: MIT */
/*
 * MX matching, pure logic (no I/O): the posted-receive queue and the
 * unexpected-message queue of one endpoint.
 *
 * A message matches a receive when (msg.match_info & rcv.mask) ==
 * (rcv.match_info & rcv.mask).  The daemon delivers each sender's messages
 * in order and the library handles events in ring order, so MX's ordering
 * guarantee per sender reduces to: an arrival takes the OLDEST matching
 * posted receive, a new receive takes the OLDEST matching unexpected
 * message.  Both queues are FIFO; nothing is ever reordered.
 */
#ifndef MXL_MATCH_H
#define MXL_MATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "list.h"

/* A source filter (mx_irecv_from, mx_iprobe_from, mx_iclaim): when 'on',
 * only messages from this nic id and endpoint match.  Zeroed = any source. */
struct mxl_srcsel {
	uint64_t nic_id;
	uint8_t endpoint;
	bool on;
};

/* A posted receive, embedded in the library's request. */
struct mxl_posted {
	struct mxl_list link;
	uint64_t match_info;
	uint64_t mask;
	struct mxl_srcsel from;
};

/* Where a message came from: enough to reply and to decompose. */
struct mxl_source {
	uint64_t nic_id;
	uint32_t session;
	uint16_t peer;
	uint8_t endpoint;
	uint8_t pad;
};

enum mxl_unexp_kind {
	MXL_UNEXP_EAGER = 1,    /* payload copied into 'data' */
	MXL_UNEXP_RNDV = 2,     /* data still at the sender; pull with rndv_handle */
	MXL_UNEXP_PAIR_RNDV = 3,/* announced in a pair channel: data holds a
				 * struct mxl_prndv (pair_rndv.c) */
};

/* A native Open-MX sender's rendezvous (MXN_EVTF_WIRE_SEQ): its window as
 * announced, and the daemon's life its handle belongs to (wire_rndv.c). */
struct mxl_wire_rndv {
	bool valid;
	uint8_t rdma_id, rdma_seqnum;
	uint16_t rdma_offset;
	uint32_t life;
	/* the node sent it again while our PULL_WIRE of it was under way:
	 * the new daemon's announcement of it (wire_rndv.c mxl_wire_dup) */
	bool dup;
	uint32_t dup_handle;
};

/* An unexpected message, owned by the queue until matched. */
struct mxl_unexp {
	struct mxl_list link;
	uint64_t match_info;
	uint32_t length;        /* message length announced by the sender */
	uint32_t kind;          /* enum mxl_unexp_kind */
	uint32_t rndv_handle;
	bool sync;
	uint16_t seq;           /* the sender's number (a re-announced RNDV finds it) */
	struct mxl_wire_rndv wire;
	struct mxl_source src;
	uint8_t *data;          /* EAGER: length bytes (NULL when length == 0) */
};

struct mxl_matcher {
	struct mxl_list posted;
	struct mxl_list unexp;
	uint32_t nposted;
	uint32_t nunexp;
};

void mxl_matcher_init(struct mxl_matcher *m);

static inline bool mxl_match_ok(uint64_t msg, uint64_t want, uint64_t mask)
{
	return ((msg ^ want) & mask) == 0;
}

static inline bool mxl_srcsel_ok(const struct mxl_srcsel *f, const struct mxl_source *s)
{
	return !f || !f->on || (f->nic_id == s->nic_id && f->endpoint == s->endpoint);
}

/* Queue a receive that found no unexpected message. */
void mxl_match_post(struct mxl_matcher *m, struct mxl_posted *p);

/* Take a posted receive out (mx_cancel).  False when it is not queued. */
bool mxl_match_unpost(struct mxl_matcher *m, struct mxl_posted *p);

/* A message from src arrived: remove and return the oldest matching posted
 * receive (match bits and, for a directed one, source), or NULL (the caller
 * then queues the message as unexpected). */
struct mxl_posted *mxl_match_arrival(struct mxl_matcher *m, uint64_t match_info,
				     const struct mxl_source *src);

/* Would an arrival with this match info from src find a posted receive? */
bool mxl_match_has_posted(struct mxl_matcher *m, uint64_t match_info,
			  const struct mxl_source *src);

/* Queue a message nobody was waiting for. */
void mxl_match_add_unexp(struct mxl_matcher *m, struct mxl_unexp *u);

/* Oldest unexpected message matching (match_info, mask); removed from the
 * queue when 'take' (mx_irecv), left in place otherwise (mx_iprobe). */
struct mxl_unexp *mxl_match_find_unexp(struct mxl_matcher *m, uint64_t match_info,
				       uint64_t mask, bool take);

/* The same, only among messages the source filter admits (NULL = any). */
struct mxl_unexp *mxl_match_find_unexp_from(struct mxl_matcher *m, uint64_t match_info,
					    uint64_t mask, const struct mxl_srcsel *from,
					    bool take);

#endif /* MXL_MATCH_H */
