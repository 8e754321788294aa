/* SPDX-License-Identifier: MIT */
/*
 * The guest side of an endpoint area, raw ABI, for daemon tests: the test
 * plays libmyrixen's role (command producer, event consumer) without the
 * library, so it can also misbehave on purpose.
 */
#ifndef TGUEST_H
#define TGUEST_H

#include <stdbool.h>
#include <string.h>
#include <myrixen/abi.h>
#include <myrixen/layout.h>
#include <myrixen/ring.h>

struct tguest {
	uint8_t *area;
	struct mxn_layout geo;
	struct mxn_ring cmd, evt;
	struct mxn_cmd *cmds;
	struct mxn_evt *evts;
	uint8_t *sendq, *recvq;
	uint32_t sendq_pos;
};

static inline void tg_init(struct tguest *t, void *area, const struct mxn_layout *geo)
{
	memset(t, 0, sizeof(*t));
	t->area = area;
	t->geo = *geo;
	mxn_ring_init(&t->cmd, (struct mxn_ring_ctl *)(t->area + geo->cmd_ctl_off), geo->cmd_order);
	mxn_ring_init(&t->evt, (struct mxn_ring_ctl *)(t->area + geo->evt_ctl_off), geo->evt_order);
	t->cmds = (struct mxn_cmd *)(t->area + geo->cmd_ring_off);
	t->evts = (struct mxn_evt *)(t->area + geo->evt_ring_off);
	t->sendq = t->area + geo->sendq_off;
	t->recvq = t->area + geo->recvq_off;
}

/* Queue a command slot (not yet published).  False when the ring is full. */
static inline bool tg_post(struct tguest *t, const struct mxn_cmd *c)
{
	if (mxn_ring_free(&t->cmd) == 0)
		return false;
	t->cmds[t->cmd.prod_pvt & t->cmd.mask] = *c;
	t->cmd.prod_pvt++;
	return true;
}

/* Publish queued commands; true when the daemon wants a kick. */
static inline bool tg_push(struct tguest *t)
{
	return mxn_ring_push(&t->cmd);
}

/* Copy the next event out, if any (the slot is not released yet). */
static inline bool tg_next(struct tguest *t, struct mxn_evt *e)
{
	if (mxn_ring_peek_prod(&t->evt) == t->evt.cons_pvt)
		return false;
	*e = t->evts[t->evt.cons_pvt & t->evt.mask];
	t->evt.cons_pvt++;
	return true;
}

/* Release consumed events; true when the daemon wants a kick. */
static inline bool tg_release(struct tguest *t)
{
	return mxn_ring_release(&t->evt);
}

/* Place bytes in the sendq (simple bump allocator that wraps to 0). */
static inline uint32_t tg_sendq_put(struct tguest *t, const void *data, uint32_t len)
{
	uint32_t off;

	if (t->sendq_pos + len > t->geo.sendq_size)
		t->sendq_pos = 0;
	off = t->sendq_pos;
	memcpy(t->sendq + off, data, len);
	t->sendq_pos += (len + 63u) & ~63u;
	return off;
}

/* A one-segment vaddr region descriptor for buf, placed in the sendq; for
 * len 0 the empty region (header only, no segment). */
static inline uint32_t tg_put_region(struct tguest *t, const void *buf, uint64_t len,
				     uint32_t *desc_len)
{
	struct {
		struct mxn_region_desc h;
		struct mxn_vaddr_seg s;
	} d = { { MXN_REGION_VADDR, len ? 1 : 0, len }, { (uint64_t)(uintptr_t)buf, len } };

	*desc_len = len ? sizeof(d) : sizeof(d.h);
	return tg_sendq_put(t, &d, *desc_len);
}

#endif /* TGUEST_H */
