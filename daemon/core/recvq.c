/* SPDX-License-Identifier: MIT */
/* recvq chunk allocator (see recvq.h). */
#include <errno.h>
#include <stdlib.h>
#include <myrixen/abi.h>
#include "recvq.h"

int mxd_recvq_init(struct mxd_recvq *q, uint32_t size, uint32_t evt_slots)
{
	int err = -EINVAL;

	q->mark = NULL;
	q->owns = NULL;
	if (!size || size % MXN_QUEUE_ALIGN || !evt_slots || (evt_slots & (evt_slots - 1)))
		goto out;
	err = -ENOMEM;
	q->mark = calloc(evt_slots, sizeof(*q->mark));
	q->owns = calloc(evt_slots, sizeof(*q->owns));
	if (!q->mark || !q->owns)
		goto out;
	q->size = size;
	q->evt_mask = evt_slots - 1;
	q->alloc_pos = 0;
	q->free_pos = 0;
	return 0;
out:
	mxd_recvq_fini(q);
	return err;
}

void mxd_recvq_fini(struct mxd_recvq *q)
{
	free(q->mark);
	free(q->owns);
	q->mark = NULL;
	q->owns = NULL;
}

int mxd_recvq_alloc(struct mxd_recvq *q, uint32_t len, uint32_t evt_idx, uint32_t *off)
{
	uint64_t need = ((uint64_t)len + MXN_QUEUE_ALIGN - 1) & ~(uint64_t)(MXN_QUEUE_ALIGN - 1);
	uint64_t pos = q->alloc_pos % q->size;
	uint64_t skip = 0;
	uint32_t slot = evt_idx & q->evt_mask;

	if (!len || need > q->size || q->owns[slot])
		return -EINVAL;
	/* A chunk never wraps: the guest reads it as one contiguous buffer. */
	if (pos + need > q->size)
		skip = q->size - pos;
	if (q->alloc_pos + skip + need - q->free_pos > q->size)
		return -ENOSPC;
	q->alloc_pos += skip;
	*off = (uint32_t)(q->alloc_pos % q->size);
	q->alloc_pos += need;
	q->mark[slot] = q->alloc_pos;
	q->owns[slot] = 1;
	return 0;
}

void mxd_recvq_release(struct mxd_recvq *q, uint32_t old_cons, uint32_t new_cons)
{
	uint32_t i;

	/* Marks grow with event order, so the last owning slot frees everything
	 * up to it (including skipped tails before it). */
	for (i = old_cons; i != new_cons; i++) {
		uint32_t slot = i & q->evt_mask;

		if (q->owns[slot]) {
			q->free_pos = q->mark[slot];
			q->owns[slot] = 0;
		}
	}
	if (q->free_pos == q->alloc_pos) {
		/* Empty: restart at 0 so large chunks do not needlessly skip. */
		q->alloc_pos = q->free_pos = 0;
	}
}
