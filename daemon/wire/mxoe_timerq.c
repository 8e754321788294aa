/* SPDX-License-Identifier: MIT */
/* The engine's deadline heap (mxoe_timerq.h). */
#include <errno.h>
#include <stdlib.h>
#include "mxoe_timerq.h"

int mxw_tq_init(struct mxw_timerq *q, uint32_t cap)
{
	q->heap = calloc((size_t)cap + 1, sizeof(*q->heap));
	q->n = 0;
	q->cap = cap;
	return q->heap ? 0 : -ENOMEM;
}

void mxw_tq_free(struct mxw_timerq *q)
{
	free(q->heap);
	q->heap = NULL;
	q->n = q->cap = 0;
}

static void place(struct mxw_timerq *q, struct mxw_timer *t, uint32_t i)
{
	q->heap[i] = t;
	t->pos = i;
}

static void sift_up(struct mxw_timerq *q, uint32_t i)
{
	struct mxw_timer *t = q->heap[i];

	while (i > 1 && q->heap[i / 2]->due > t->due) {
		place(q, q->heap[i / 2], i);
		i /= 2;
	}
	place(q, t, i);
}

static void sift_down(struct mxw_timerq *q, uint32_t i)
{
	struct mxw_timer *t = q->heap[i];

	for (;;) {
		uint32_t c = 2 * i;

		if (c > q->n)
			break;
		if (c + 1 <= q->n && q->heap[c + 1]->due < q->heap[c]->due)
			c++;
		if (q->heap[c]->due >= t->due)
			break;
		place(q, q->heap[c], i);
		i = c;
	}
	place(q, t, i);
}

int mxw_tq_set(struct mxw_timerq *q, struct mxw_timer *t, uint64_t due)
{
	uint64_t was = t->due;

	if (!t->pos) {
		if (q->n >= q->cap)
			return -ENOSPC;
		t->due = due;
		place(q, t, ++q->n);
		sift_up(q, q->n);
		return 0;
	}
	t->due = due;
	if (due < was)
		sift_up(q, t->pos);
	else
		sift_down(q, t->pos);
	return 0;
}

int mxw_tq_set_earlier(struct mxw_timerq *q, struct mxw_timer *t, uint64_t due)
{
	if (t->pos && t->due <= due)
		return 0;
	return mxw_tq_set(q, t, due);
}

void mxw_tq_cancel(struct mxw_timerq *q, struct mxw_timer *t)
{
	uint32_t i = t->pos;
	struct mxw_timer *last;

	if (!i)
		return;
	t->pos = 0;
	last = q->heap[q->n--];
	if (last == t)
		return;
	place(q, last, i);
	if (i > 1 && q->heap[i / 2]->due > last->due)
		sift_up(q, i);
	else
		sift_down(q, i);
}

uint64_t mxw_tq_next(const struct mxw_timerq *q)
{
	return q->n ? q->heap[1]->due : MXW_TQ_NONE;
}

struct mxw_timer *mxw_tq_pop_due(struct mxw_timerq *q, uint64_t now)
{
	struct mxw_timer *t;

	if (!q->n || q->heap[1]->due > now)
		return NULL;
	t = q->heap[1];
	mxw_tq_cancel(q, t);
	return t;
}
