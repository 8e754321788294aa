/* SPDX-License-Identifier: MIT */
/*
 * The recvq allocator: pure bookkeeping, no I/O.  The daemon writes queued
 * payloads into contiguous MXN_QUEUE_ALIGN-aligned chunks of the guest's
 * recvq; a chunk that would cross the end skips the tail and starts at 0.
 * Each chunk belongs to the event slot that announces it and is released
 * when the guest advances the event ring's cons past that slot, so chunks
 * are freed in allocation order and two monotonic byte counters suffice.
 *
 * Error convention: 0 or -errno.
 */
#ifndef MXD_RECVQ_H
#define MXD_RECVQ_H

#include <stdint.h>

struct mxd_recvq {
	uint32_t size;          /* bytes, multiple of MXN_QUEUE_ALIGN */
	uint32_t evt_mask;      /* event slots - 1 */
	uint64_t alloc_pos;     /* bytes ever handed out (incl. skipped tails) */
	uint64_t free_pos;      /* bytes ever released */
	uint64_t *mark;         /* per event slot: alloc_pos after its chunk */
	uint8_t *owns;          /* per event slot: 1 if it holds a chunk */
};

int mxd_recvq_init(struct mxd_recvq *q, uint32_t size, uint32_t evt_slots);
/* Accepts a zeroed or half-initialised struct. */
void mxd_recvq_fini(struct mxd_recvq *q);

/* Reserve len bytes (len >= 1) for event slot evt_idx.  Returns 0 and the
 * chunk offset, -ENOSPC when it does not fit now (retry after a release),
 * -EINVAL when it could never fit or the slot already holds a chunk. */
int mxd_recvq_alloc(struct mxd_recvq *q, uint32_t len, uint32_t evt_idx, uint32_t *off);

/* The guest consumed event slots [old_cons, new_cons): free their chunks.
 * The caller has checked that new_cons - old_cons <= prod - old_cons. */
void mxd_recvq_release(struct mxd_recvq *q, uint32_t old_cons, uint32_t new_cons);

static inline uint64_t mxd_recvq_used(const struct mxd_recvq *q)
{
	return q->alloc_pos - q->free_pos;
}

#endif /* MXD_RECVQ_H */
