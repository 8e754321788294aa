/* SPDX-License-Identifier: MIT */
/*
 * Per-connection sequence numbers (ABI 2, mxn_cmd.seq / mxn_evt.seq): pure
 * logic, no I/O.  A sender numbers its sends to one destination (nic id,
 * endpoint, session) 1, 2, ... 65535, 1, ...; after a re-attach it sends
 * every unfinished send again with its old number, and the receiver drops
 * an arrival whose number is not newer than the last one it took from that
 * source.  Delivery between two endpoints is in order (MX order), so
 * "newer" is a window of half the number space.  0 = unnumbered, never a
 * duplicate.  The table is bounded (MXL_SEQ_PEERS); the least recently
 * used source is forgotten first, and a forgotten source's next arrival
 * starts it afresh (a duplicate after that goes through: documented limit).
 */
#ifndef MXL_SEQTRACK_H
#define MXL_SEQTRACK_H

#include <stdbool.h>
#include <stdint.h>

#define MXL_SEQ_PEERS 256u

struct mxl_seq_peer {
	uint64_t nic_id;
	uint32_t session;
	uint8_t endpoint;
	bool used;
	uint16_t next_send;     /* last number given to a send (0 = none yet) */
	uint16_t last_recv;     /* last number taken from this source (0 = none) */
	bool wire_known;        /* last_wire holds a native sender's wire seqnum */
	uint16_t last_wire;
	uint64_t stamp;         /* LRU clock */
};

struct mxl_seqtrack {
	struct mxl_seq_peer p[MXL_SEQ_PEERS];
	uint64_t clock;
};

/* The number of the next send to (nic_id, endpoint, session): never 0. */
uint16_t mxl_seq_next(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint,
		      uint32_t session);
/* Every peer known by nic id 'from' is known by 'to' from now on (the
 * endpoints of a guest that moved to another host moved together): their
 * numbers go on. */
void mxl_seq_rekey(struct mxl_seqtrack *t, uint64_t from, uint64_t to);
/* The same for the one peer (from, endpoint, session): it moved to 'to'
 * (docs/migration.md); an entry already under 'to' is replaced. */
void mxl_seq_rekey_one(struct mxl_seqtrack *t, uint64_t from, uint8_t endpoint, uint32_t session,
		       uint64_t to);
/* An arrival numbered seq from (nic_id, endpoint, session): true when it
 * was already taken (drop it); otherwise it is recorded as taken. */
bool mxl_seq_dup(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint, uint32_t session,
		 uint16_t seq);
/* The same for a native Open-MX sender's wire seqnum (abi.h
 * MXN_EVTF_WIRE_SEQ): 14 bits that wrap, compared within half their
 * cycle; another session number (the top 2 bits) starts over. */
bool mxl_seq_dup_wire(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint,
		      uint32_t session, uint16_t wire);
/* The same question without recording anything: would mxl_seq_dup say so? */
bool mxl_seq_seen(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint, uint32_t session,
		  uint16_t seq);

#endif /* MXL_SEQTRACK_H */
