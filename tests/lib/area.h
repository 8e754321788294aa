/* SPDX-License-Identifier: MIT */
/*
 * Test scaffolding: an endpoint whose area is plain memory in this process,
 * so a unit test (or the fuzzer) plays the daemon's side of the rings by
 * hand: it reads commands the library wrote and writes events for it.
 * The transport's I/O calls are inert; region descriptors are real VADDR.
 */
#ifndef MXL_TEST_AREA_H
#define MXL_TEST_AREA_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "mxl.h"

static int ta_kick(struct mxl_transport *t) { (void)t; return 0; }
static int ta_wait(struct mxl_transport *t, int ms, int fd) { (void)t; (void)ms; (void)fd; return 0; }
static bool ta_dead(struct mxl_transport *t) { (void)t; return false; }
static uint32_t ta_region_size(struct mxl_transport *t, const struct mxl_iov *iov, uint32_t n)
{
	(void)t;
	return mxl_region_vaddr_size(iov, n);
}
static int ta_region(struct mxl_transport *t, const struct mxl_iov *iov, uint32_t n, void *buf,
		     uint32_t cap, uint32_t *len, void **h)
{
	(void)t;
	*h = NULL;
	return mxl_region_vaddr(iov, n, buf, cap, len);
}
static void ta_release(struct mxl_transport *t, void *h) { (void)t; (void)h; }
static void ta_close(struct mxl_transport *t) { free(t->area); t->area = NULL; }

static const struct mxl_transport_ops ta_ops = {
	.name = "test-area", .kick = ta_kick, .wait = ta_wait, .dead = ta_dead,
	.region_size = ta_region_size, .region = ta_region, .region_release = ta_release,
	.close = ta_close,
};

/* 16-slot rings, 64 KiB queues, medium_max 32 KiB, nic id 0x0a0b0c0d0e0f. */
static inline struct mx_endpoint *ta_endpoint(void)
{
	struct mx_endpoint *ep = mxl_endpoint_alloc(0);
	struct mxn_layout l;

	if (!ep)
		return NULL;
	mxn_layout_compute(&l, 4, 4, MXN_QUEUE_MIN, MXN_QUEUE_MIN);
	ep->t.ops = &ta_ops;
	ep->t.area = calloc(1, l.area_size);
	ep->t.area_size = l.area_size;
	if (!ep->t.area) {
		mxl_endpoint_close(ep);
		return NULL;
	}
	mxn_layout_fill_hdr(&l, ep->t.area);
	ep->info.abi_version = MYRIXEN_ABI_VERSION;
	ep->info.medium_max = MXN_MEDIUM_MAX_DEFAULT;
	ep->info.nic_id = 0x0a0b0c0d0e0full;
	ep->info.endpoint = 3;
	ep->info.session = 77;
	if (mxl_endpoint_attach(ep)) {
		mxl_endpoint_close(ep);
		return NULL;
	}
	return ep;
}

/* A pair channel with peer (index, session) over anonymous memory, live
 * on ep; we produce direction 'side'.  The test plays the peer by hand. */
static inline struct mxl_pair *ta_pair(struct mx_endpoint *ep, uint32_t order, uint32_t data,
				       uint8_t side, uint8_t peer, uint32_t session)
{
	struct mxl_pair *p = calloc(1, sizeof(*p));

	if (!p || mxn_pair_layout_compute(&p->lay, order, data)) {
		free(p);
		return NULL;
	}
	p->tx_end = calloc(1u << order, sizeof(*p->tx_end));
	p->area = mmap(NULL, p->lay.area_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!p->tx_end || p->area == MAP_FAILED) {
		free(p->tx_end);
		free(p);
		return NULL;
	}
	p->area_size = p->lay.area_size;
	p->id = 1;
	p->peer_ep = peer;
	p->peer_session = session;
	p->rx_bell = p->tx_bell = -1;
	mxl_pair_map(p, side);
	mxl_pair_insert(ep, p);
	return p;
}

/* ---- the daemon's side ---- */

static inline uint32_t ta_cmds_pending(struct mx_endpoint *ep)
{
	return atomic_load(MXN_ATOMIC(&ep->cmd.ctl->prod)) - atomic_load(MXN_ATOMIC(&ep->cmd.ctl->cons));
}

/* Copy out and consume the oldest command; false when none. */
static inline bool ta_take_cmd(struct mx_endpoint *ep, struct mxn_cmd *c)
{
	uint32_t cons = atomic_load(MXN_ATOMIC(&ep->cmd.ctl->cons));

	if (atomic_load(MXN_ATOMIC(&ep->cmd.ctl->prod)) == cons)
		return false;
	memcpy(c, &ep->cmd_slots[cons & ep->cmd.mask], sizeof(*c));
	atomic_store(MXN_ATOMIC(&ep->cmd.ctl->cons), cons + 1);
	return true;
}

static uint32_t ta_evt_prod;

static inline void ta_put_evt(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	ta_evt_prod = atomic_load(MXN_ATOMIC(&ep->evt.ctl->prod));
	memcpy(&ep->evt_slots[ta_evt_prod & ep->evt.mask], e, sizeof(*e));
	atomic_store(MXN_ATOMIC(&ep->evt.ctl->prod), ta_evt_prod + 1);
}

static inline struct mxn_evt ta_arrival(uint8_t type, uint64_t match, uint32_t len)
{
	struct mxn_evt e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.match_info = match;
	e.length = len;
	e.src_nic_id = 0x112233445566ull;
	e.src_peer = 5;
	e.src_endpoint = 9;
	e.src_session = 1234;
	return e;
}

static inline struct mxn_evt ta_done(uint8_t type, uint64_t cookie, uint8_t st, uint32_t xfer)
{
	struct mxn_evt e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.status = st;
	e.u.done.cookie = cookie;
	e.u.done.xfer_length = xfer;
	return e;
}

#endif /* MXL_TEST_AREA_H */
