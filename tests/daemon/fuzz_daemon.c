/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer entry for everything a guest can write: the command validator,
 * the region-descriptor copy, and the core consuming a hostile endpoint
 * area (ring indices, command slots, sendq contents, event-ring cons).
 * The hostile endpoint talks to a well-behaved one, so deliveries, stalls,
 * rendezvous and pulls run too.  Region data moves inside a private buffer
 * (a fuzzer must not process_vm_writev into itself at hostile addresses).
 */
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "tguest.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t mem[1 << 16]; /* the "guest memory" regions point into */

static int f_notify(struct mxd_endpoint *ep)
{
	(void)ep;
	return 0;
}

/* Address = offset into mem; out of range is the guest's fault (-EFAULT). */
static int f_copy(const struct mxd_region *r, uint64_t off, uint8_t *buf, size_t len, bool to)
{
	uint64_t so;
	uint32_t seg;

	if (mxd_region_seek(r, off, &seg, &so))
		return -34;
	while (len) {
		const struct mxn_vaddr_seg *s = &r->seg.vaddr[seg];
		uint64_t n = s->len - so < len ? s->len - so : len;

		if (s->addr >= sizeof(mem) || s->addr + so > sizeof(mem) - n)
			return -14;
		if (to)
			memcpy(mem + s->addr + so, buf, n);
		else
			memcpy(buf, mem + s->addr + so, n);
		buf += n;
		len -= n;
		seg++;
		so = 0;
	}
	return 0;
}

static int f_read(struct mxd_endpoint *ep, const struct mxd_region *r, uint64_t off, void *buf,
		  size_t len)
{
	(void)ep;
	return f_copy(r, off, buf, len, false);
}

static int f_write(struct mxd_endpoint *ep, const struct mxd_region *r, uint64_t off,
		   const void *buf, size_t len)
{
	(void)ep;
	return f_copy(r, off, (uint8_t *)(uintptr_t)buf, len, true);
}

/*
 * The two endpoints' areas are globals reused by every input (each its own
 * global, so ASan keeps a red zone right after it): no mmap and page faults
 * per run.  Their size is the layout of order-4 rings and 64 KiB queues.
 */
#define F_AREA_BYTES (4 * MXN_PAGE_SIZE + 2 * MXN_QUEUE_MIN)
static _Alignas(4096) uint8_t f_area0[F_AREA_BYTES], f_area1[F_AREA_BYTES];
static bool f_area_busy[2];

static void *f_area_get(uint32_t size)
{
	if (size != F_AREA_BYTES)
		abort(); /* the layout rule changed: update F_AREA_BYTES */
	for (int i = 0; i < 2; i++)
		if (!f_area_busy[i]) {
			f_area_busy[i] = true;
			return i ? f_area1 : f_area0;
		}
	return NULL;
}

static void f_area_put(void *area)
{
	f_area_busy[area == f_area1] = false;
}

static void f_destroy(struct mxd_endpoint *ep)
{
	f_area_put(ep->tp);
}

static const struct mxd_transport_ops f_ops = {
	.name = "fuzz", .region_kind = MXN_REGION_VADDR, .notify = f_notify,
	.region_read = f_read, .region_write = f_write, .destroy = f_destroy,
};

static struct mxd_endpoint *open_ep(struct mxd_core *c, uint32_t id, uint32_t order)
{
	struct mxd_endpoint_params p = { .ops = &f_ops, .key = 1, .endpoint = MXN_ENDPOINT_ANY };
	struct mxd_endpoint *ep = NULL;
	struct mxd_guest *g;

	if (mxn_layout_compute(&p.geo, order, order, MXN_QUEUE_MIN, MXN_QUEUE_MIN))
		return NULL;
	p.tp = p.area = f_area_get(p.geo.area_size);
	if (!p.area)
		return NULL;
	memset(p.area, 0, p.geo.area_size);
	if (mxd_guest_get(c, MXD_GUEST_LOCAL, id, "fuzz", &g)) {
		f_area_put(p.area);
		return NULL;
	}
	if (mxd_endpoint_attach(c, g, &p, &ep))
		f_area_put(p.area);
	mxd_guest_put(g);
	return ep;
}

/* Pure parts: one command slot and a sendq made of the rest. */
static void fuzz_validator(const uint8_t *data, size_t size)
{
	struct mxd_cmd_limits lim = { .sendq_size = 0, .medium_max = 32768,
				      .region_kind = MXN_REGION_VADDR };
	struct mxd_region *r;
	struct mxn_cmd c;

	if (size < sizeof(c))
		return;
	memcpy(&c, data, sizeof(c));
	lim.sendq_size = (uint32_t)(size - sizeof(c));
	lim.region_kind = c.pad & 1 ? MXN_REGION_GRANT : MXN_REGION_VADDR;
	if (!(c.pad & 0x80)) /* mostly: reach past the reserved-bytes check */
		mxd_cmd_clear_reserved(&c);
	if (mxd_cmd_validate(&c, &lim))
		return;
	if (c.op == MXN_CMD_SEND_RNDV &&
	    !mxd_region_copy(data + sizeof(c), lim.sendq_size, c.u.rndv.desc_off,
			     c.u.rndv.desc_len, lim.region_kind, &r)) {
		uint32_t seg;
		uint64_t so;

		if (mxd_region_seek(r, r->total_len - 1, &seg, &so) || seg >= r->nsegs)
			abort(); /* a validated region covers total_len */
		mxd_region_free(r);
	}
}

/* The core against a hostile area: the input is a script of rounds. */
static void fuzz_core(const uint8_t *data, size_t size)
{
	struct mxd_config cfg;
	struct mxd_core *core;
	struct mxd_endpoint *h, *b;
	struct tguest hg, bg;
	size_t pos = 0;

	mxd_config_defaults(&cfg);
	cfg.limits.outstanding = 4;
	cfg.limits.registered_bytes = 1 << 15;
	if (mxd_core_new(&cfg, &core))
		return;
	h = open_ep(core, 1, 4);
	b = open_ep(core, 2, 4);
	if (!h || !b)
		goto out;
	tg_init(&hg, h->area, &h->geo);
	tg_init(&bg, b->area, &b->geo);
	{
		/* b connects to h (same key), so h may answer b: the steered
		 * sends below reach the delivery paths, not only the refusal. */
		struct mxn_cmd c = { .op = MXN_CMD_CONNECT, .cookie = 1 };

		c.u.connect.nic_id = mxd_core_nic_id(core);
		c.u.connect.endpoint = h->index;
		c.u.connect.key = 1;
		tg_post(&bg, &c);
		tg_push(&bg);
		if (mxd_endpoint_poll(b, 16) < 0)
			abort();
	}
	for (int round = 0; round < 8 && pos + 8 <= size; round++) {
		uint32_t nslots = size - pos > 8 + 64 * 4 ? 4 : (uint32_t)((size - pos - 8) / 64);
		uint32_t prod, cons, n;
		struct mxn_evt e;
		uint32_t i;

		/* Steer destinations towards the real endpoints half the time. */
		for (i = 0; i < nslots; i++) {
			struct mxn_cmd c;
			uint8_t steer;

			memcpy(&c, data + pos + 8 + 64 * i, sizeof(c));
			steer = (uint8_t)c.pair_seq;
			if (!(steer & 0x80)) /* mostly: reach past the reserved-bytes check */
				mxd_cmd_clear_reserved(&c);
			if (steer & 1) {
				c.dest_peer = 0;
				c.dest_endpoint = steer & 2 ? b->index : h->index;
				c.dest_session = steer & 2 ? b->session : h->session;
			}
			hg.cmds[hg.cmd.prod_pvt++ & hg.cmd.mask] = c;
		}
		memcpy(&prod, data + pos, 4);
		memcpy(&cons, data + pos + 4, 4);
		pos += 8 + 64 * (size_t)nslots;
		n = size - pos < 2048 ? (uint32_t)(size - pos) : 2048;
		memcpy(hg.sendq + (round * 2048) % MXN_QUEUE_MIN, data + pos, n);
		pos += n;
		/* Mostly honest indices, sometimes arbitrary ones. */
		hg.cmd.ctl->prod = prod & 0x80000000u ? prod : hg.cmd.prod_pvt;
		if (cons & 0x80000000u)
			hg.evt.ctl->cons = cons;
		else
			while (tg_next(&hg, &e))
				hg.evt.ctl->cons = hg.evt.cons_pvt;
		if (mxd_endpoint_poll(h, 16) < 0) {
			mxd_guest_cutoff(h->guest, "fuzz");
			h = NULL;
		}
		/* The honest receiver consumes and pulls what it is offered. */
		while (tg_next(&bg, &e)) {
			if (e.type == MXN_EVT_RECV_RNDV) {
				struct mxn_cmd c = { .op = MXN_CMD_PULL, .cookie = 1 };
				uint32_t dlen;

				c.u.pull.rndv_handle = e.u.rndv.rndv_handle;
				c.u.pull.pull_len = e.length;
				c.u.pull.desc_off = tg_put_region(&bg, (void *)(uintptr_t)4096, 8192, &dlen);
				c.u.pull.desc_len = dlen;
				tg_post(&bg, &c);
				tg_push(&bg);
			}
		}
		tg_release(&bg);
		if (mxd_endpoint_poll(b, 16) < 0)
			abort(); /* the honest endpoint is never at fault */
		mxd_core_flush(core);
		if (!h)
			break;
	}
out:
	mxd_core_free(core);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_validator(data, size);
	fuzz_core(data, size);
	return 0;
}
