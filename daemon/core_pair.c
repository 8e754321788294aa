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
#include "core_priv.h"

/* On ep[s]'s list pairs[s] through link[s]. */
struct mxd_pair {
	struct mxd_endpoint *ep[2];
	uint32_t id;
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

void mxd_pair_broker(struct mxd_endpoint *a, struct mxd_endpoint *b)
{
	struct mxd_core *c = a->core;
	struct mxn_pair_open oa, ob;
	struct mxn_pair_layout l;
	struct mxd_pair *p;

	if (!c->cfg.pair_channels || a == b || a->ops != b->ops || !a->ops->pair_open ||
	    a->fault || b->fault || a->npairs >= MXN_PAIRS_MAX || b->npairs >= MXN_PAIRS_MAX ||
	    mxd_pair_exists(a, b) ||
	    mxn_pair_layout_compute(&l, MXN_PAIR_ORDER_DEFAULT, MXN_PAIR_DATA_DEFAULT))
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->ep[0] = a;
	p->ep[1] = b;
	p->id = ++c->pair_next;
	half(&oa, p, 0, &l);
	half(&ob, p, 1, &l);
	/* Without a channel the pair simply keeps going through us. */
	if (a->ops->pair_open(a, b, &oa, &ob)) {
		free(p);
		return;
	}
	LIST_INSERT_HEAD(&a->pairs[0], p, link[0]);
	LIST_INSERT_HEAD(&b->pairs[1], p, link[1]);
	a->npairs++;
	b->npairs++;
	c->st.pairs_opened++;
	emit_pair(a, MXN_EVT_PAIR_OPEN, MXN_ST_OK, p);
	emit_pair(b, MXN_EVT_PAIR_OPEN, MXN_ST_OK, p);
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

/* ep is closing: every peer learns that its channel with ep is dead, so
 * its requests never wait on a ring nobody reads. */
void mxd_pair_close_all(struct mxd_endpoint *ep)
{
	struct mxd_pair *p;

	for (int s = 0; s < 2; s++)
		while ((p = LIST_FIRST(&ep->pairs[s])))
			pair_end(p, p->ep[!s], MXN_ST_CLOSED);
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
