/* SPDX-License-Identifier: MIT */
/*
 * The sendq allocator, pure logic.  The sendq is a byte ring the library
 * fills and the daemon reads; a chunk belongs to the daemon from the command
 * that quotes it until the event completing that command.  Completions may
 * come out of order (a rendezvous finishes after later eager sends), so the
 * allocator keeps a FIFO of allocation records: a free marks a record, and
 * the ring's tail advances over every leading freed record.  Chunks are
 * MXN_QUEUE_ALIGN aligned and never wrap: when the end of the ring is too
 * short the remainder becomes a pad record that frees with its successor.
 *
 * Bookkeeping is private memory only (the daemon never sees it).
 * Error convention: 0 or -errno.
 */
#ifndef MXL_SENDQ_H
#define MXL_SENDQ_H

#include <stdbool.h>
#include <stdint.h>

struct mxl_sendq_rec {
	uint32_t off;
	uint32_t len;           /* bytes reserved, aligned */
	bool freed;
};

struct mxl_sendq {
	uint32_t size;          /* ring bytes, multiple of MXN_QUEUE_ALIGN */
	uint32_t head;          /* next allocation offset */
	uint32_t used;          /* bytes reserved, pads included */
	struct mxl_sendq_rec *recs; /* FIFO, index = seq & (cap - 1) */
	uint32_t cap;           /* power of two */
	uint32_t first;         /* seq of the oldest live record */
	uint32_t next;          /* seq of the next record */
};

int mxl_sendq_init(struct mxl_sendq *q, uint32_t size);
void mxl_sendq_fini(struct mxl_sendq *q);

/* Reserve len bytes (len may be 0: one aligned unit is used).  On success
 * *off is the chunk's offset and *id names it for mxl_sendq_free.
 * -ENOSPC when the ring has no contiguous room now (retry after frees),
 * -E2BIG when len can never fit, -ENOMEM when bookkeeping cannot grow. */
int mxl_sendq_alloc(struct mxl_sendq *q, uint32_t len, uint32_t *off, uint32_t *id);

/* Release a chunk.  Returns -EINVAL for an id that is not live. */
int mxl_sendq_free(struct mxl_sendq *q, uint32_t id);

static inline uint32_t mxl_sendq_used(const struct mxl_sendq *q)
{
	return q->used;
}

#endif /* MXL_SENDQ_H */
