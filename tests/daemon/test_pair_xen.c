/* SPDX-License-Identifier: MIT */
/*
 * The daemon's half of Xen pair channels (pair.h "Xen", core_pair.c),
 * without Xen: endpoints of two "domains" behind a transport that builds
 * pairs from grants, the test playing both guests through the raw ABI.
 * Checks the order of the set-up (offer to side 0, map request to side 1
 * naming side 0's domain as the daemon knows it, PAIR_OPEN to side 0), that
 * a guest can neither redirect the peer domain nor skip a step, that a
 * decline ends the pair quietly, and that one domain's endpoints get none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "log.h"
#include "tcheck.h"
#include "tguest.h"

struct xep {
	struct mxd_endpoint *ep;
	struct tguest g;
	void *area;
};

static int x_notify(struct mxd_endpoint *ep)
{
	(void)ep;
	return 0;
}

static void x_destroy(struct mxd_endpoint *ep)
{
	struct xep *t = ep->tp;

	free(t->area);
	t->area = NULL;
	t->ep = NULL;
}

static const struct mxd_transport_ops x_ops = {
	.name = "xen-test", .region_kind = MXN_REGION_GRANT, .notify = x_notify,
	.destroy = x_destroy, .pair_by_grant = true,
};

static struct mxd_core *core;

static void open_in(struct xep *t, uint32_t domid, uint8_t index)
{
	struct mxd_endpoint_params p = { .ops = &x_ops, .tp = t, .key = 7, .endpoint = index };
	struct mxd_guest *g;

	memset(t, 0, sizeof(*t));
	CHECK_EQ(mxn_layout_compute(&p.geo, 5, 5, MXN_QUEUE_MIN, MXN_QUEUE_MIN), 0);
	t->area = aligned_alloc(MXN_PAGE_SIZE, p.geo.area_size);
	CHECK(t->area);
	memset(t->area, 0, p.geo.area_size);
	p.area = t->area;
	CHECK_EQ(mxd_guest_get(core, MXD_GUEST_XEN, domid, "dom", &g), 0);
	CHECK_EQ(mxd_endpoint_attach(core, g, &p, &t->ep), 0);
	mxd_guest_put(g);
	tg_init(&t->g, t->area, &p.geo);
}

static void run(struct xep *t, const struct mxn_cmd *c)
{
	CHECK(tg_post(&t->g, c));
	tg_push(&t->g);
	(void)mxd_endpoint_poll(t->ep, 64);
	mxd_core_flush(core);
}

/* The next event, which must be of this type. */
static struct mxn_evt expect(struct xep *t, uint8_t type)
{
	struct mxn_evt e;

	CHECK(tg_next(&t->g, &e));
	CHECK_EQ(e.type, type);
	tg_release(&t->g);
	return e;
}

static bool no_event(struct xep *t)
{
	return mxn_ring_peek_prod(&t->g.evt) == t->g.evt.cons_pvt;
}

static void xconnect(struct xep *from, const struct xep *to)
{
	struct mxn_cmd c = { .op = MXN_CMD_CONNECT, .cookie = 1 };

	c.u.connect.nic_id = mxd_core_nic_id(core);
	c.u.connect.endpoint = to->ep->index;
	c.u.connect.key = 7;
	run(from, &c);
}

static struct mxn_cmd answer(const struct mxn_pair_xen *x)
{
	struct mxn_cmd c = { .op = MXN_CMD_PAIR_XEN };

	c.u.xpair = *x;
	c.u.xpair.peer_session = 0;
	c.u.xpair.peer_endpoint = 0;
	c.u.xpair.peer_domid = 0;
	return c;
}

/* a connects to b (two domains): the offer comes before CONNECT_DONE. */
static struct mxn_evt offered(struct xep *a, const struct xep *b)
{
	struct mxn_evt e;

	xconnect(a, b);
	e = expect(a, MXN_EVT_PAIR_XEN_OFFER);
	(void)expect(a, MXN_EVT_CONNECT_DONE);
	return e;
}

/* Side 0 grants what it was offered (dir ref 100, port 9). */
static void grant(struct xep *a, const struct mxn_evt *offer)
{
	struct mxn_cmd c = answer(&offer->u.xpair);

	c.u.xpair.dir_ref = 100;
	c.u.xpair.port = 9;
	run(a, &c);
}

static struct mxd_core_stats stats(void)
{
	struct mxd_core_stats st;

	mxd_core_get_stats(core, &st);
	return st;
}

/* a (domain 5) connects to b (domain 7): offer, grant, map, open. */
static void test_setup(struct xep *a, struct xep *b)
{
	struct mxn_pair_layout l;
	struct mxn_evt e, m;
	struct mxn_cmd c;

	e = offered(a, b);
	CHECK_EQ(e.u.xpair.peer_domid, 7);
	CHECK_EQ(e.u.xpair.peer_endpoint, b->ep->index);
	CHECK_EQ(e.u.xpair.peer_session, b->ep->session);
	CHECK_EQ(e.u.xpair.dir_ref, 0);
	CHECK_EQ(mxn_pair_xen_check(&e.u.xpair, 0, &l), 0);
	CHECK(no_event(b));
	/* side 0 granted: side 1 maps from domain 5, the daemon's word */
	grant(a, &e);
	m = expect(b, MXN_EVT_PAIR_XEN_MAP);
	CHECK_EQ(m.u.xpair.pair_id, e.u.xpair.pair_id);
	CHECK_EQ(m.u.xpair.peer_domid, 5);
	CHECK_EQ(m.u.xpair.peer_endpoint, a->ep->index);
	CHECK_EQ(m.u.xpair.peer_session, a->ep->session);
	CHECK_EQ(m.u.xpair.dir_ref, 100);
	CHECK_EQ(m.u.xpair.port, 9);
	CHECK_EQ(mxn_pair_xen_check(&m.u.xpair, 1, &l), 0);
	CHECK(no_event(a));
	CHECK_EQ(stats().pairs_opened, 0);
	/* side 1 mapped: side 0 may send */
	c = (struct mxn_cmd){ .op = MXN_CMD_PAIR_XEN };
	c.u.xpair.pair_id = m.u.xpair.pair_id;
	run(b, &c);
	e = expect(a, MXN_EVT_PAIR_OPEN);
	CHECK_EQ(e.u.pair.pair_id, m.u.xpair.pair_id);
	CHECK_EQ(e.u.pair.peer_endpoint, b->ep->index);
	CHECK_EQ(stats().pairs_opened, 1);
	CHECK_EQ(a->ep->npairs, 1);
	/* connecting again brokers nothing more */
	xconnect(b, a);
	(void)expect(b, MXN_EVT_CONNECT_DONE);
	CHECK(no_event(a));
}

/* Side 0 answers with another geometry, a reserved ref, or out of turn:
 * counted against it, the set-up ends, the peer never maps anything. */
static void test_violations(struct xep *a, struct xep *b)
{
	static const struct { uint32_t pages, dir_ref, port; } bad[] = {
		{ 1, 100, 9 },          /* not the offered area */
		{ 0, 3, 9 },            /* a toolstack ref */
		{ 0, 100, 0 },          /* no port */
		{ 0, 100, 1u << 20 },   /* port out of range */
	};
	uint64_t faults = stats().pair_faults;
	struct mxn_evt e;
	struct mxn_cmd c;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = offered(a, b);
		c = answer(&e.u.xpair);
		if (bad[i].pages)
			c.u.xpair.area_pages += bad[i].pages;
		c.u.xpair.dir_ref = bad[i].dir_ref;
		c.u.xpair.port = bad[i].port;
		run(a, &c);
		e = expect(a, MXN_EVT_PAIR_CLOSED);
		CHECK_EQ(e.status, MXN_ST_BAD_REQUEST);
		CHECK_EQ(stats().pair_faults, faults + i + 1);
		/* b only hears the end of a pair it never saw */
		CHECK(no_event(b) || expect(b, MXN_EVT_PAIR_CLOSED).type);
		CHECK(no_event(b));
		CHECK_EQ(a->ep->npairs, 0);
	}
	/* side 1 "mapped" before side 0 granted */
	e = offered(a, b);
	c = (struct mxn_cmd){ .op = MXN_CMD_PAIR_XEN };
	c.u.xpair.pair_id = e.u.xpair.pair_id;
	run(b, &c);
	CHECK_EQ(stats().pair_faults, faults + 5);
	(void)expect(b, MXN_EVT_PAIR_CLOSED);
	(void)expect(a, MXN_EVT_PAIR_CLOSED);
	CHECK_EQ(a->ep->npairs + b->ep->npairs, 0);
	/* naming the peer domain in the answer is a malformed command */
	e = offered(a, b);
	c = answer(&e.u.xpair);
	c.u.xpair.dir_ref = 100;
	c.u.xpair.port = 9;
	c.u.xpair.peer_domid = 3;
	run(a, &c);
	CHECK(a->ep == NULL || a->ep->fault);
	CHECK(no_event(b));
}

/* A side that cannot build the channel declines it: no fault, no channel. */
static void test_decline(struct xep *a, struct xep *b)
{
	struct mxd_core_stats st0 = stats();
	struct mxn_evt e;
	struct mxn_cmd c;

	e = offered(a, b);
	c = (struct mxn_cmd){ .op = MXN_CMD_PAIR_XEN };
	c.u.xpair.pair_id = e.u.xpair.pair_id;
	c.u.xpair.status = -ENOENT;
	run(a, &c);
	CHECK_EQ(stats().pairs_declined, st0.pairs_declined + 1);
	CHECK_EQ(stats().pair_faults, st0.pair_faults);
	CHECK_EQ(a->ep->npairs + b->ep->npairs, 0);
	CHECK(no_event(a));
	/* b never saw the offer; the end of it is harmless to it */
	(void)expect(b, MXN_EVT_PAIR_CLOSED);
	CHECK(no_event(b));
	/* side 1 declines after mapping failed: side 0 drops its half */
	e = offered(a, b);
	grant(a, &e);
	e = expect(b, MXN_EVT_PAIR_XEN_MAP);
	c = (struct mxn_cmd){ .op = MXN_CMD_PAIR_XEN };
	c.u.xpair.pair_id = e.u.xpair.pair_id;
	c.u.xpair.status = -EPERM;
	run(b, &c);
	e = expect(a, MXN_EVT_PAIR_CLOSED);
	CHECK_EQ(e.status, MXN_ST_CLOSED);
	CHECK_EQ(stats().pairs_declined, st0.pairs_declined + 2);
	CHECK_EQ(stats().pair_faults, st0.pair_faults);
	CHECK_EQ(stats().pairs_opened, st0.pairs_opened);
	CHECK(no_event(a) && no_event(b));
}

int main(void)
{
	struct mxd_config cfg;
	struct xep a, b, c, d;
	struct mxn_evt e;

	mxd_config_defaults(&cfg);
	cfg.poll_window_us = 0;
	CHECK(cfg.xen_pair_channels); /* on by default */
	/* Off: Xen endpoints of two domains get no offer. */
	cfg.xen_pair_channels = false;
	CHECK_EQ(mxd_core_new(&cfg, &core), 0);
	open_in(&a, 5, 1);
	open_in(&b, 7, 2);
	xconnect(&a, &b);
	(void)expect(&a, MXN_EVT_CONNECT_DONE);
	CHECK(no_event(&a) && no_event(&b) && a.ep->npairs == 0);
	mxd_core_free(core);
	cfg.xen_pair_channels = true;
	CHECK_EQ(mxd_core_new(&cfg, &core), 0);
	open_in(&a, 5, 1);
	open_in(&b, 7, 2);
	open_in(&c, 5, 3);
	/* two endpoints of one domain: through the daemon, no offer */
	xconnect(&c, &a);
	(void)expect(&c, MXN_EVT_CONNECT_DONE);
	CHECK(no_event(&a));
	CHECK_EQ(c.ep->npairs, 0);
	test_setup(&a, &b);
	/* b's domain goes: a hears the channel is closed */
	mxd_endpoint_detach(b.ep);
	mxd_core_flush(core);
	e = expect(&a, MXN_EVT_PAIR_CLOSED);
	CHECK_EQ(e.status, MXN_ST_CLOSED);
	CHECK_EQ(a.ep->npairs, 0);
	open_in(&d, 7, 4);
	test_decline(&a, &d);
	test_violations(&a, &d);
	mxd_core_free(core);
	printf("daemon xen pairs: ok\n");
	return 0;
}
