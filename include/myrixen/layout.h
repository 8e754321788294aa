/* SPDX-License-Identifier: MIT */
/*
 * The one layout rule for an endpoint area, shared by every allocator (the
 * daemon's memfd, the shim's granted pages) and by the library.  Pure
 * arithmetic; compiles in kernel and user space.
 */
#ifndef MYRIXEN_LAYOUT_H
#define MYRIXEN_LAYOUT_H

#include "abi.h"

struct mxn_layout {
	uint32_t cmd_order, evt_order;
	uint32_t sendq_size, recvq_size;
	uint32_t cmd_ctl_off, evt_ctl_off;
	uint32_t cmd_ring_off, evt_ring_off;
	uint32_t sendq_off, recvq_off;
	uint32_t area_size;
};

static inline uint32_t mxn_page_round(uint32_t n)
{
	return (n + MXN_PAGE_SIZE - 1) & ~(MXN_PAGE_SIZE - 1);
}

/* Returns 0, or -22 (EINVAL) when the geometry is outside the ABI limits. */
static inline int mxn_layout_compute(struct mxn_layout *l, uint32_t cmd_order,
				     uint32_t evt_order, uint32_t sendq_size,
				     uint32_t recvq_size)
{
	uint32_t off;

	if (cmd_order < MXN_RING_ORDER_MIN || cmd_order > MXN_RING_ORDER_MAX ||
	    evt_order < MXN_RING_ORDER_MIN || evt_order > MXN_RING_ORDER_MAX ||
	    sendq_size < MXN_QUEUE_MIN || sendq_size > MXN_QUEUE_MAX ||
	    recvq_size < MXN_QUEUE_MIN || recvq_size > MXN_QUEUE_MAX ||
	    (sendq_size & (MXN_PAGE_SIZE - 1)) || (recvq_size & (MXN_PAGE_SIZE - 1)))
		return -22;
	l->cmd_order = cmd_order;
	l->evt_order = evt_order;
	l->sendq_size = sendq_size;
	l->recvq_size = recvq_size;
	l->cmd_ctl_off = MXN_AREA_CTL_PAGE_OFF;
	l->evt_ctl_off = MXN_AREA_CTL_PAGE_OFF + (uint32_t)sizeof(struct mxn_ring_ctl);
	off = MXN_AREA_CTL_PAGE_OFF + MXN_PAGE_SIZE;
	l->cmd_ring_off = off;
	off += mxn_page_round((uint32_t)sizeof(struct mxn_cmd) << cmd_order);
	l->evt_ring_off = off;
	off += mxn_page_round((uint32_t)sizeof(struct mxn_evt) << evt_order);
	l->sendq_off = off;
	off += sendq_size;
	l->recvq_off = off;
	off += recvq_size;
	l->area_size = off;
	return 0;
}

static inline void mxn_layout_fill_hdr(const struct mxn_layout *l, struct mxn_area_hdr *h)
{
	h->magic = MYRIXEN_AREA_MAGIC;
	h->abi_version = MYRIXEN_ABI_VERSION;
	h->area_size = l->area_size;
	h->cmd_order = l->cmd_order;
	h->evt_order = l->evt_order;
	h->sendq_size = l->sendq_size;
	h->recvq_size = l->recvq_size;
	h->cmd_ctl_off = l->cmd_ctl_off;
	h->evt_ctl_off = l->evt_ctl_off;
	h->cmd_ring_off = l->cmd_ring_off;
	h->evt_ring_off = l->evt_ring_off;
	h->sendq_off = l->sendq_off;
	h->recvq_off = l->recvq_off;
}

#endif /* MYRIXEN_LAYOUT_H */
