/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "myrixen/abi.h"
#include "sendq.h"

#define MXL_SENDQ_CAP0 64u

int mxl_sendq_init(struct mxl_sendq *q, uint32_t size)
{
	memset(q, 0, sizeof(*q));
	if (size < MXN_QUEUE_ALIGN || size % MXN_QUEUE_ALIGN)
		return -EINVAL;
	q->recs = calloc(MXL_SENDQ_CAP0, sizeof(*q->recs));
	if (!q->recs)
		return -ENOMEM;
	q->size = size;
	q->cap = MXL_SENDQ_CAP0;
	return 0;
}

void mxl_sendq_fini(struct mxl_sendq *q)
{
	free(q->recs);
	q->recs = NULL;
}

static struct mxl_sendq_rec *rec_at(struct mxl_sendq *q, uint32_t seq)
{
	return &q->recs[seq & (q->cap - 1)];
}

/* Double the record FIFO, keeping each live record at seq & (cap - 1). */
static int grow(struct mxl_sendq *q)
{
	uint32_t ncap = q->cap * 2, s;
	struct mxl_sendq_rec *n;

	if (ncap == 0)
		return -ENOMEM;
	n = calloc(ncap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (s = q->first; s != q->next; s++)
		n[s & (ncap - 1)] = *rec_at(q, s);
	free(q->recs);
	q->recs = n;
	q->cap = ncap;
	return 0;
}

static int push_rec(struct mxl_sendq *q, uint32_t off, uint32_t len, bool freed, uint32_t *id)
{
	struct mxl_sendq_rec *r;
	int err;

	if (q->next - q->first >= q->cap) {
		err = grow(q);
		if (err)
			return err;
	}
	r = rec_at(q, q->next);
	r->off = off;
	r->len = len;
	r->freed = freed;
	if (id)
		*id = q->next;
	q->next++;
	q->used += len;
	q->head = off + len == q->size ? 0 : off + len;
	return 0;
}

/* The tail of the ring: start of the oldest live chunk (head when empty). */
static uint32_t tail(struct mxl_sendq *q)
{
	return q->first == q->next ? q->head : rec_at(q, q->first)->off;
}

int mxl_sendq_alloc(struct mxl_sendq *q, uint32_t len, uint32_t *off, uint32_t *id)
{
	uint32_t need, t, room;
	int err;

	if (len > q->size - MXN_QUEUE_ALIGN)
		return -E2BIG;
	need = len ? (len + MXN_QUEUE_ALIGN - 1) & ~(MXN_QUEUE_ALIGN - 1) : MXN_QUEUE_ALIGN;
	if (q->used == 0)
		q->head = 0; /* empty ring: restart at 0, no pad needed */
	t = tail(q);
	if (q->used == q->size)
		return -ENOSPC;
	if (q->head >= t && q->used < q->size) {
		/* free space is [head, size) + [0, tail) */
		room = q->size - q->head;
		if (room >= need)
			goto take;
		if (t < need)
			return -ENOSPC;
		err = push_rec(q, q->head, room, true, NULL); /* pad to the end */
		if (err)
			return err;
		goto take;
	}
	/* free space is [head, tail) */
	if (t - q->head < need)
		return -ENOSPC;
take:
	*off = q->head;
	return push_rec(q, q->head, need, false, id);
}

int mxl_sendq_free(struct mxl_sendq *q, uint32_t id)
{
	struct mxl_sendq_rec *r;

	if (id - q->first >= q->next - q->first)
		return -EINVAL;
	r = rec_at(q, id);
	if (r->freed)
		return -EINVAL;
	r->freed = true;
	while (q->first != q->next && rec_at(q, q->first)->freed) {
		q->used -= rec_at(q, q->first)->len;
		q->first++;
	}
	return 0;
}
