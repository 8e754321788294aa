/* SPDX-License-Identifier: MIT */
/* Bounded FIFO of completions waiting for event-ring room (see backlog.h). */
#include <errno.h>
#include <stdlib.h>
#include "backlog.h"

int mxd_backlog_init(struct mxd_backlog *b, uint32_t soft, uint32_t hard)
{
	b->evts = NULL;
	b->head = b->count = b->peak = 0;
	if (!soft || hard < soft)
		return -EINVAL;
	b->evts = calloc(hard, sizeof(*b->evts));
	if (!b->evts)
		return -ENOMEM;
	b->soft = soft;
	b->hard = hard;
	return 0;
}

void mxd_backlog_fini(struct mxd_backlog *b)
{
	free(b->evts);
	b->evts = NULL;
	b->count = 0;
}

int mxd_backlog_push(struct mxd_backlog *b, const struct mxn_evt *e)
{
	if (b->count >= b->hard)
		return -ENOSPC;
	b->evts[(b->head + b->count) % b->hard] = *e;
	b->count++;
	if (b->count > b->peak)
		b->peak = b->count;
	return 0;
}

const struct mxn_evt *mxd_backlog_peek(const struct mxd_backlog *b)
{
	return b->count ? &b->evts[b->head] : NULL;
}

void mxd_backlog_pop(struct mxd_backlog *b)
{
	if (!b->count)
		return;
	b->head = (b->head + 1) % b->hard;
	b->count--;
}
