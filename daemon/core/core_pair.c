/* SPDX-License-Identifier: MIT */
/*
 * Pair channels, the control plane (include/myrixen/pair.h): the core
 * brokers one channel per connected pair of local endpoints of the same
 * transport, after the key check of CONNECT, and remembers it only to tell
 * the survivor when one side closes and to count a side reported for
 * breaking the rules.  The data never passes here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "core_priv.h"

/* Xen set-up stages (pair.h "Xen"); a local channel is OPEN at once. */
enum mxd_pair_state {
	MXD_PAIR_OPEN = 0,
	MXD_PAIR_OFFERED,           /* side 0 asked to grant */
	MXD_PAIR_GRANTED,           /* side 1 asked to map */
};

/* On ep[s]'s list pairs[s] through link[s]. */
struct mxd_pair {
	struct mxd_endpoint *ep[2];
	uint32_t id;
	enum mxd_pair_state state;
	struct mxn_pair_xen geo;    /* Xen: what side 0 was offered */
	LIST_ENTRY(mxd_pair) link[2];
};

static int side_of(const struct mxd_pair *p, const struct mxd_endpoint *ep)
{
	return p->ep[1] == ep;
}

/* ep's pair named id (id 0: with peer), or NULL. */
static struct mxd_pair *find(const struct mxd_endpoint *ep, uint32_t id,
			     const struct mxd_endpoint *peer)
{
	struct mxd_pair *p;

	for (int s = 0; s < 2; s++)
		LIST_FOREACH(p, &ep->pairs[s], link[s])
			if (id ? p->id == id : p->ep[!s] == peer)
				return p;
	return NULL;
}

bool mxd_pair_exists(const struct mxd_endpoint *a, const struct mxd_endpoint *b)
{
	return find(a, 0, b) != NULL;
}

static void emit_pair(struct mxd_endpoint *to, uint8_t type, uint8_t status,
		      const struct mxd_pair *p)
{
	const struct mxd_endpoint *peer = p->ep[!side_of(p, to)];
	struct mxn_evt e = { .type = type, .status = status };

	e.u.pair.pair_id = p->id;
	e.u.pair.peer_endpoint = peer->index;
	e.u.pair.peer_session = peer->session;
	(void)mxd_ep_emit(to, &e);
}

static void half(struct mxn_pair_open *o, const struct mxd_pair *p, int side,
		 const struct mxn_pair_layout *l)
{
	const struct mxd_endpoint *peer = p->ep[!side];

	*o = (struct mxn_pair_open){ .abi_version = MYRIXEN_ABI_VERSION, .pair_id = p->id,
				     .side = (uint8_t)side, .peer_endpoint = peer->index,
				     .order = (uint8_t)l->order, .peer_session = peer->session,
				     .data_size = l->data_size, .area_size = l->area_size };
}

static void pair_link(struct mxd_pair *p)
{
	LIST_INSERT_HEAD(&p->ep[0]->pairs[0], p, link[0]);
	LIST_INSERT_HEAD(&p->ep[1]->pairs[1], p, link[1]);
	p->ep[0]->npairs++;
	p->ep[1]->npairs++;
}

/* The Xen set-up event for side 'side' of p (pair.h "Xen"). */
static void emit_xen(struct mxd_pair *p, int side, uint8_t type)
{
	const struct mxd_endpoint *peer = p->ep[!side];
	struct mxn_evt e = { .type = type, .status = MXN_ST_OK };

	e.u.xpair = p->geo;
	e.u.xpair.pair_id = p->id;
	e.u.xpair.peer_endpoint = peer->index;
	e.u.xpair.peer_session = peer->session;
	/* The domain the daemon knows, never one a guest named. */
	e.u.xpair.peer_domid = (uint16_t)peer->guest->id;
	e.u.xpair.status = 0;
	if (type == MXN_EVT_PAIR_XEN_OFFER)
		e.u.xpair.dir_ref = e.u.xpair.port = 0;
	(void)mxd_ep_emit(p->ep[side], &e);
}

/* Xen: the guests build the channel; we ask side 0 to grant (pair.h). */
static void broker_xen(struct mxd_pair *p)
{
	struct mxn_pair_layout l;

	if (mxn_pair_layout_compute(&l, MXN_PAIR_XEN_ORDER, MXN_PAIR_XEN_DATA)) {
		free(p);
		return;
	}
	p->state = MXD_PAIR_OFFERED;
	p->geo.order = (uint8_t)l.order;
	p->geo.data_size = l.data_size;
	p->geo.area_pages = l.area_size / MXN_PAGE_SIZE;
	pair_link(p);
	emit_xen(p, 0, MXN_EVT_PAIR_XEN_OFFER);
}

/* Pair ids start at a random point, so a restarted daemon never offers an
 * id a library still uses for a channel that outlived the old daemon. */
static uint32_t pair_id_next(struct mxd_core *c)
{
	while (!c->pair_next)
		if (getrandom(&c->pair_next, sizeof(c->pair_next), 0) != sizeof(c->pair_next))
			c->pair_next = 1;
	if (!++c->pair_next)
		c->pair_next = 1;
	return c->pair_next;
}

static bool can_pair(const struct mxd_endpoint *a, const struct mxd_endpoint *b)
{
	const struct mxd_transport_ops *o = a->ops;

	if (!a->core->cfg.pair_channels || a == b || o != b->ops || a->fault || b->fault ||
	    a->npairs >= MXN_PAIRS_MAX || b->npairs >= MXN_PAIRS_MAX || mxd_pair_exists(a, b))
		return false;
	/* Two endpoints of one domain share no grant: they stay with us.
	 * Between guests only when asked for: a guest saved or migrated with
	 * a live channel is not handled yet (pair.h "Xen"). */
	return o->pair_open ||
	       (o->pair_by_grant && a->core->cfg.xen_pair_channels && a->guest != b->guest);
}

void mxd_pair_broker(struct mxd_endpoint *a, struct mxd_endpoint *b)
{
	struct mxd_core *c = a->core;
	struct mxn_pair_open oa, ob;
	struct mxn_pair_layout l;
	struct mxd_pair *p;

	if (!can_pair(a, b))
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->ep[0] = a;
	p->ep[1] = b;
	p->id = pair_id_next(c);
	if (!a->ops->pair_open) {
		broker_xen(p);
		return;
	}
	if (mxn_pair_layout_compute(&l, MXN_PAIR_ORDER_DEFAULT, MXN_PAIR_DATA_DEFAULT)) {
		free(p);
		return;
	}
	half(&oa, p, 0, &l);
	half(&ob, p, 1, &l);
	/* Without a channel the pair simply keeps going through us. */
	if (a->ops->pair_open(a, b, &oa, &ob)) {
		free(p);
		return;
	}
	pair_link(p);
	c->st.pairs_opened++;
	emit_pair(a, MXN_EVT_PAIR_OPEN, MXN_ST_OK, p);
	emit_pair(b, MXN_EVT_PAIR_OPEN, MXN_ST_OK, p);
}

void mxd_reattach_peers(struct mxd_endpoint *ep)
{
	struct mxd_core *c = ep->core;

	for (unsigned i = 0; i < MXN_ENDPOINTS_MAX; i++) {
		struct mxd_endpoint *peer = c->eps[i];

		if (!peer || peer == ep)
			continue;
		/* The key check was made for this very session: the peer may
		 * send to it, and it may answer (as after the CONNECT). */
		if (peer->conn[ep->index] == ep->session) {
			ep->conn[peer->index] = peer->session;
			mxd_pair_broker(peer, ep);
		}
		if (peer->nparked)
			mxd_ep_activate(peer);
	}
}

/* Unlink p from both endpoints; tell 'tell' (may be NULL) with status. */
static void pair_end(struct mxd_pair *p, struct mxd_endpoint *tell, uint8_t status)
{
	LIST_REMOVE(p, link[0]);
	LIST_REMOVE(p, link[1]);
	p->ep[0]->npairs--;
	p->ep[1]->npairs--;
	p->ep[0]->core->st.pairs_closed++;
	if (tell) {
		emit_pair(tell, MXN_EVT_PAIR_CLOSED, status, p);
		mxd_ep_activate(tell);
	}
	free(p);
}

/* ep is closing (status CLOSED) or its guest is being saved or migrated
 * (AWAY): every peer learns that its channel with ep is dead, so its
 * requests never wait on a ring nobody reads, and it unmaps ep's pages (a
 * mapped grant keeps a dead domain around). */
void mxd_pair_close_all(struct mxd_endpoint *ep, uint8_t status)
{
	struct mxd_pair *p;

	for (int s = 0; s < 2; s++)
		while ((p = LIST_FIRST(&ep->pairs[s])))
			pair_end(p, p->ep[!s], status);
}

/* ep reports the peer of channel c->u.pair.pair_id for breaking the rules
 * (pair.h): count it against the peer and close the peer's side.  ep has
 * already stopped using the channel. */
int mxd_pair_fault(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_core *core = ep->core;
	struct mxd_pair *p = c->u.pair.pair_id ? find(ep, c->u.pair.pair_id, NULL) : NULL;
	struct mxd_endpoint *peer;

	if (!p) {
		/* Already closed (both sides reported, or the peer left). */
		return 0;
	}
	peer = p->ep[!side_of(p, ep)];
	core->st.pair_faults++;
	peer->st.pair_faults++;
	mxd_log_rl(&core->rl_fault, MXD_LOG_WARNING,
		   "pair %u cut off: endpoint %u (%s) reported endpoint %u (%s %u)", p->id,
		   ep->index, ep->guest->name, peer->index, peer->guest->name, peer->guest->id);
	pair_end(p, peer, MXN_ST_BAD_REQUEST);
	return 0;
}

/* ep broke the Xen set-up protocol of p: count it against ep, both sides
 * forget the channel (ep may hold half of it). */
static void xen_violation(struct mxd_pair *p, struct mxd_endpoint *ep, const char *why)
{
	struct mxd_core *core = ep->core;
	struct mxd_endpoint *other = p->ep[!side_of(p, ep)];

	core->st.pair_faults++;
	ep->st.pair_faults++;
	mxd_log_rl(&core->rl_fault, MXD_LOG_WARNING, "pair %u cut off: endpoint %u (%s %u) %s",
		   p->id, ep->index, ep->guest->name, ep->guest->id, why);
	emit_pair(ep, MXN_EVT_PAIR_CLOSED, MXN_ST_BAD_REQUEST, p);
	mxd_ep_activate(ep);
	pair_end(p, other, MXN_ST_BAD_REQUEST);
}

/* Side 0's answer must be the geometry it was offered, with a grant. */
static int xen_granted(struct mxd_pair *p, const struct mxn_pair_xen *x)
{
	struct mxn_pair_xen want = p->geo;
	struct mxn_pair_layout l;

	want.dir_ref = x->dir_ref;
	want.port = x->port;
	want.pair_id = x->pair_id;
	if (memcmp(&want, x, sizeof(want)) || mxn_pair_xen_check(x, 1, &l))
		return -EINVAL;
	p->geo.dir_ref = x->dir_ref;
	p->geo.port = x->port;
	p->state = MXD_PAIR_GRANTED;
	emit_xen(p, 1, MXN_EVT_PAIR_XEN_MAP);
	return 0;
}

/*
 * MXN_CMD_PAIR_XEN (pair.h "Xen"): side 0 granted (or declined) the area,
 * or side 1 mapped (or declined) it.  A declined channel ends quietly (the
 * pair keeps going through us); an answer out of turn or with another
 * geometry is a violation of ep's.
 */
int mxd_pair_xen(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	const struct mxn_pair_xen *x = &c->u.xpair;
	struct mxd_pair *p = x->pair_id ? find(ep, x->pair_id, NULL) : NULL;
	int side;

	if (!p)
		return 0; /* closed meanwhile (the peer left) */
	side = side_of(p, ep);
	if (x->status < 0 && p->state != MXD_PAIR_OPEN) {
		ep->core->st.pairs_declined++;
		pair_end(p, p->ep[!side], MXN_ST_CLOSED);
		return 0;
	}
	if (side == 0 && p->state == MXD_PAIR_OFFERED && !x->status) {
		if (xen_granted(p, x))
			xen_violation(p, ep, "answered a pair offer with another geometry or a bad grant");
		return 0;
	}
	if (side == 1 && p->state == MXD_PAIR_GRANTED && !x->status && !x->dir_ref && !x->port) {
		p->state = MXD_PAIR_OPEN;
		ep->core->st.pairs_opened++;
		emit_pair(p->ep[0], MXN_EVT_PAIR_OPEN, MXN_ST_OK, p);
		return 0;
	}
	xen_violation(p, ep, "answered a pair set-up out of turn");
	return 0;
}
