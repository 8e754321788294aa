/* SPDX-License-Identifier: MIT */
/* Core: lifetime of guests and endpoints, event staging (the bottom layer:
 * core_poll.c and core_cmd.c call down into it, never the other way). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "core_priv.h"

static uint64_t derive_nic_id(const char *host)
{
	uint64_t h = 1469598103934665603ull;

	/* FNV-1a of the hostname, with the locally administered bit set so it
	 * cannot collide with a real MAC.  The wire engine overrides it with
	 * the interface MAC. */
	for (; *host; host++)
		h = (h ^ (uint8_t)*host) * 1099511628211ull;
	return (h & 0xfcffffffffffull) | 0x020000000000ull;
}

int mxd_core_new(const struct mxd_config *cfg, struct mxd_core **out)
{
	struct mxd_core *c;
	int err = -ENOMEM;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	c->bounce = malloc(MXD_BOUNCE_SIZE);
	if (!c->bounce)
		goto out;
	c->cfg = *cfg;
	LIST_INIT(&c->guests);
	TAILQ_INIT(&c->active);
	TAILQ_INIT(&c->dirty);
	if (cfg->hostname[0])
		snprintf(c->hostname, sizeof(c->hostname), "%s", cfg->hostname);
	else if (gethostname(c->hostname, sizeof(c->hostname) - 1))
		snprintf(c->hostname, sizeof(c->hostname), "localhost");
	c->nic_id = cfg->nic_id ? cfg->nic_id : derive_nic_id(c->hostname);
	c->rl_fault = (struct mxd_ratelimit)MXD_RATELIMIT_INIT(5000, 5);
	c->st.nic_id = c->nic_id;
	*out = c;
	c = NULL;
	err = 0;
out:
	if (c)
		free(c->bounce);
	free(c);
	return err;
}

void mxd_core_free(struct mxd_core *c)
{
	struct mxd_guest *g;

	if (!c)
		return;
	for (unsigned i = 0; i < MXN_ENDPOINTS_MAX; i++)
		if (c->eps[i])
			mxd_endpoint_detach(c->eps[i]);
	while ((g = LIST_FIRST(&c->guests))) {
		LIST_REMOVE(g, link);
		free(g);
	}
	free(c->bounce);
	free(c);
}

const struct mxd_config *mxd_core_config(const struct mxd_core *c) { return &c->cfg; }
uint64_t mxd_core_nic_id(const struct mxd_core *c) { return c->nic_id; }

void mxd_core_quiet(struct mxd_core *c, uint8_t index, uint32_t ms)
{
	uint64_t until = mxd_now_ns() + (uint64_t)ms * 1000000u;

	if (until > c->quiet_until_ns[index])
		c->quiet_until_ns[index] = until;
}

bool mxd_core_is_quiet(const struct mxd_core *c, uint8_t index)
{
	return c->quiet_until_ns[index] && mxd_now_ns() < c->quiet_until_ns[index];
}
const char *mxd_core_hostname(const struct mxd_core *c) { return c->hostname; }

void mxd_core_set_nic_id(struct mxd_core *c, uint64_t nic_id)
{
	c->nic_id = nic_id;
	c->st.nic_id = nic_id;
}

void mxd_core_set_remote(struct mxd_core *c, const struct mxd_remote_ops *ops, void *priv)
{
	c->remote = ops;
	c->remote_priv = priv;
}

void mxd_core_set_wakeup(struct mxd_core *c, void (*fn)(void *arg), void *arg)
{
	c->wakeup = fn;
	c->wakeup_arg = arg;
}

void mxd_core_set_anticipate(struct mxd_core *c, bool on)
{
	c->anticipate = on;
}

void mxd_core_reconfigure(struct mxd_core *c, const struct mxd_config *cfg)
{
	uint64_t nic = c->nic_id;

	c->cfg = *cfg;
	c->nic_id = nic; /* the board id of live endpoints cannot change */
}

/* ---- guests ---- */

struct mxd_guest *mxd_guest_find(struct mxd_core *c, enum mxd_guest_kind kind, uint32_t id)
{
	struct mxd_guest *g;

	LIST_FOREACH(g, &c->guests, link)
		if (g->kind == kind && g->id == id)
			return g;
	return NULL;
}

int mxd_guest_get_as(struct mxd_core *c, enum mxd_guest_kind kind, uint32_t id,
		     uint32_t principal, const char *name, struct mxd_guest **out)
{
	struct mxd_guest *g;

	*out = NULL;
	LIST_FOREACH(g, &c->guests, link)
		if (g->kind == kind && g->id == id && g->principal == principal)
			break;
	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g)
			return -ENOMEM;
		g->core = c;
		g->kind = kind;
		g->id = id;
		g->principal = principal;
		snprintf(g->name, sizeof(g->name), "%s", name ? name : "");
		LIST_INIT(&g->endpoints);
		LIST_INSERT_HEAD(&c->guests, g, link);
		c->st.guests++;
	}
	g->refs++;
	*out = g;
	return 0;
}

int mxd_guest_get(struct mxd_core *c, enum mxd_guest_kind kind, uint32_t id,
		  const char *name, struct mxd_guest **out)
{
	return mxd_guest_get_as(c, kind, id, id, name, out);
}

void mxd_guest_put(struct mxd_guest *g)
{
	if (!g || --g->refs)
		return;
	LIST_REMOVE(g, link);
	g->core->st.guests--;
	free(g);
}

void mxd_guest_account(struct mxd_guest *g, int64_t bytes)
{
	g->registered_bytes += (uint64_t)bytes;
}

void mxd_guest_cutoff(struct mxd_guest *g, const char *why)
{
	struct mxd_core *c = g->core;
	struct mxd_endpoint *ep;

	if (!g->cut_off) {
		g->cut_off = true;
		snprintf(g->cutoff_reason, sizeof(g->cutoff_reason), "%s", why);
		c->st.guest_cutoffs++;
		mxd_log_rl(&c->rl_fault, MXD_LOG_WARNING, "guest %s %u (%s) cut off: %s",
			   g->kind == MXD_GUEST_XEN ? "domain" : "pid", g->id, g->name, why);
	}
	g->refs++; /* keep g alive while its endpoints go */
	while ((ep = LIST_FIRST(&g->endpoints))) {
		uint32_t cons = atomic_load_explicit(MXN_ATOMIC(&ep->evt.ctl->cons),
						     memory_order_acquire);

		/* Tell the guest why, straight into the ring when its cons is
		 * sane and there is room; it will not be polled again, so the
		 * backlog is no use here. */
		if (cons - ep->evt_cons_seen <= ep->evt_pushed - ep->evt_cons_seen &&
		    ep->evt.prod_pvt - cons < mxn_ring_slots(&ep->evt)) {
			struct mxn_evt *e = mxd_ep_slot(ep);

			memset(e, 0, sizeof(*e));
			e->type = MXN_EVT_GUEST_ERROR;
			e->status = MXN_ST_BAD_REQUEST;
			ep->evt.prod_pvt++;
			mxn_ring_push(&ep->evt);
			ep->ops->notify(ep);
		}
		mxd_endpoint_detach(ep);
	}
	mxd_guest_put(g);
}

/* ---- endpoints ---- */

/*
 * May g's principal take one more endpoint?  At most limits.endpoints per
 * principal, and the last endpoint_reserve free indices go only to a
 * principal that holds none: one user (or domain) never locks others out.
 */
static int admit_principal(struct mxd_core *c, const struct mxd_guest *g)
{
	uint32_t held = 0, free_idx = MXN_ENDPOINT_ANY - c->st.endpoints;
	const struct mxd_guest *o;

	LIST_FOREACH(o, &c->guests, link)
		if (o->kind == g->kind && o->principal == g->principal)
			held += o->nendpoints;
	if (held >= c->cfg.limits.endpoints || (held && free_idx <= c->cfg.limits.endpoint_reserve)) {
		c->st.open_limited++;
		return -EMFILE;
	}
	return 0;
}

/* Kept for someone else's re-attach (mxd_core_reserve)? */
static bool reserved(const struct mxd_core *c, unsigned i, uint32_t session)
{
	return c->reserved_session[i] && c->reserved_session[i] != session &&
	       mxd_now_ns() < c->reserved_until_ns[i];
}

void mxd_core_reserve(struct mxd_core *c, uint8_t idx, uint32_t session, uint64_t until_ns)
{
	c->reserved_session[idx] = session;
	c->reserved_until_ns[idx] = session ? until_ns : 0;
}

static int pick_index(struct mxd_core *c, uint8_t want, uint32_t session)
{
	if (want != MXN_ENDPOINT_ANY)
		return !c->eps[want] && !reserved(c, want, session) ? want : -EBUSY;
	/* 0xff is MXN_ENDPOINT_ANY on the wire of the open request: never hand it out. */
	for (unsigned i = 0; i < MXN_ENDPOINT_ANY; i++)
		if (!c->eps[i] && !reserved(c, i, 0))
			return (int)i;
	return -EMFILE;
}

/*
 * A session for a new occupant of index idx: unguessable (a session is what
 * wire peers quote, and local senders must not derive one), never 0 (the
 * library's "no session") and never the previous occupant's.
 */
static int new_session(struct mxd_core *c, unsigned idx, uint32_t *out)
{
	uint32_t s;

	do {
		if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
			return errno ? -errno : -EIO;
	} while (!s || s == c->last_session[idx]);
	c->last_session[idx] = s;
	*out = s;
	return 0;
}

/* A re-attach keeps its session unless the index changed hands meanwhile. */
static int resume_session(struct mxd_core *c, unsigned idx, uint32_t want, bool moved_in,
			  uint32_t *out)
{
	if (moved_in ? c->last_session[idx] == want :
		       c->last_session[idx] && c->last_session[idx] != want)
		return -ESTALE;
	c->last_session[idx] = want;
	*out = want;
	return 0;
}

static void ring_ctl_reset(struct mxn_ring_ctl *ctl)
{
	atomic_store_explicit(MXN_ATOMIC(&ctl->prod), 0, memory_order_relaxed);
	atomic_store_explicit(MXN_ATOMIC(&ctl->prod_event), 1, memory_order_relaxed);
	atomic_store_explicit(MXN_ATOMIC(&ctl->cons), 0, memory_order_relaxed);
	atomic_store_explicit(MXN_ATOMIC(&ctl->cons_event), 1, memory_order_relaxed);
}

/* Tell the library the rendezvous limits, so it queues what would be
 * refused (the header is informative: nothing of ours trusts it). */
static void advertise_limits(struct mxd_endpoint *ep, const struct mxd_core *c)
{
	struct mxn_area_hdr *h = (struct mxn_area_hdr *)(void *)ep->area;

	h->rndv_max = ep->outstanding;
	h->features |= MXN_AREAF_PULL_STAGED | MXN_AREAF_SEND_STAGED; /* transport_local.c adds its own */
	h->registered_max = c->cfg.limits.registered_bytes;
}

int mxd_endpoint_attach(struct mxd_core *c, struct mxd_guest *g,
			const struct mxd_endpoint_params *p, struct mxd_endpoint **out)
{
	struct mxd_endpoint *ep = NULL;
	struct mxn_layout check;
	uint32_t outstanding = c->cfg.limits.outstanding ? c->cfg.limits.outstanding : 256;
	int idx, err;

	*out = NULL;
	/* The transport's geometry must be exactly what the layout rule gives:
	 * everything below trusts these offsets. */
	err = -EINVAL;
	if (mxn_layout_compute(&check, p->geo.cmd_order, p->geo.evt_order, p->geo.sendq_size,
			       p->geo.recvq_size) || memcmp(&check, &p->geo, sizeof(check)))
		goto out;
	err = admit_principal(c, g);
	if (err)
		goto out;
	idx = pick_index(c, p->endpoint, p->session);
	err = idx;
	if (idx < 0)
		goto out;
	err = -ENOMEM;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		goto out;
	err = -EINVAL;
	if (p->session && p->endpoint != idx)
		goto out;
	err = p->session ? resume_session(c, (unsigned)idx, p->session, p->moved_in, &ep->session)
			 : new_session(c, (unsigned)idx, &ep->session);
	if (err)
		goto out;
	err = -ENOMEM;
	ep->outstanding = outstanding;
	ep->rndv_in_cap = outstanding > MXD_RNDV_IN_MAX ? MXD_RNDV_IN_MAX : outstanding;
	ep->rndv_in = calloc(ep->rndv_in_cap, sizeof(*ep->rndv_in));
	if (!ep->rndv_in)
		goto out;
	err = mxd_recvq_init(&ep->rq, p->geo.recvq_size, 1u << p->geo.evt_order);
	if (err)
		goto out;
	/* Soft bound: one ring's worth.  Hard: plus every completion still
	 * owed once we stop reading commands: rendezvous sends and pulls
	 * (each <= outstanding), engine-held commands (<= outstanding, see
	 * consume_cmds), one stalled send, and slack. */
	err = mxd_backlog_init(&ep->backlog, 1u << p->geo.evt_order,
			       (1u << p->geo.evt_order) + 3 * outstanding + 64);
	if (err)
		goto out;
	ep->core = c;
	ep->guest = g;
	ep->ops = p->ops;
	ep->tp = p->tp;
	ep->index = (uint8_t)idx;
	ep->conn[idx] = ep->session; /* sending to oneself needs no CONNECT */
	mxd_core_reserve(c, (uint8_t)idx, 0, 0);
	ep->key = p->key;
	ep->area = p->area;
	ep->geo = p->geo;
	advertise_limits(ep, c);
	ep->cmd_slots = (struct mxn_cmd *)(ep->area + ep->geo.cmd_ring_off);
	ep->evt_slots = (struct mxn_evt *)(ep->area + ep->geo.evt_ring_off);
	ep->sendq = ep->area + ep->geo.sendq_off;
	ep->recvq = ep->area + ep->geo.recvq_off;
	ring_ctl_reset((struct mxn_ring_ctl *)(ep->area + ep->geo.cmd_ctl_off));
	ring_ctl_reset((struct mxn_ring_ctl *)(ep->area + ep->geo.evt_ctl_off));
	mxn_ring_init(&ep->cmd, (struct mxn_ring_ctl *)(ep->area + ep->geo.cmd_ctl_off),
		      ep->geo.cmd_order);
	mxn_ring_init(&ep->evt, (struct mxn_ring_ctl *)(ep->area + ep->geo.evt_ctl_off),
		      ep->geo.evt_order);
	LIST_INIT(&ep->waiters);
	LIST_INIT(&ep->rndv_out);
	LIST_INIT(&ep->pairs[0]);
	LIST_INIT(&ep->pairs[1]);
	c->eps[idx] = ep;
	c->away_session[idx] = 0;
	c->away_moved[idx] = false;
	LIST_INSERT_HEAD(&g->endpoints, ep, guest_link);
	g->refs++;
	g->nendpoints++;
	g->endpoints_opened++;
	c->st.endpoints++;
	c->st.endpoints_opened++;
	/* Only an owner the transport recognised (not an endpoint that says
	 * it moved in: that one picked its session) inherits connections. */
	if (p->session && !p->moved_in)
		mxd_reattach_peers(ep);
	*out = ep;
	ep = NULL;
	err = 0;
out:
	if (ep) {
		mxd_recvq_fini(&ep->rq);
		mxd_backlog_fini(&ep->backlog);
		free(ep->rndv_in);
		free(ep);
	}
	if (err)
		c->st.open_refused++;
	return err;
}

void mxd_core_count_open_refused(struct mxd_core *c)
{
	c->st.open_refused++;
}

void mxd_core_count_open_timeout(struct mxd_core *c)
{
	c->st.open_timeouts++;
}

struct mxd_endpoint *mxd_endpoint_lookup(struct mxd_core *c, uint8_t index)
{
	struct mxd_endpoint *ep = c->eps[index];

	return ep && !ep->closing ? ep : NULL;
}

/* Complete a command of ep through the backlog-aware path. */
void mxd_ep_done(struct mxd_endpoint *ep, uint8_t type, uint64_t cookie, uint8_t status,
		 uint32_t xfer)
{
	struct mxn_evt e = { .type = type, .status = status };

	if (type == MXN_EVT_CONNECT_DONE || type == MXN_EVT_LOOKUP_DONE)
		e.u.connect.cookie = cookie; /* same offset in both */
	else {
		e.u.done.cookie = cookie;
		e.u.done.xfer_length = xfer;
	}
	mxd_ep_emit(ep, &e);
}

/* SEND_DONE of a tiny/queued send: quiet when the guest already completed
 * the send at issue (MXN_CMDF_QUIET), so giving its sendq back rings no
 * doorbell unless it waits for that room (MXN_RINGF_WAKE_QUIET). */
void mxd_ep_send_done(struct mxd_endpoint *ep, const struct mxn_cmd *c, uint8_t status,
		      uint32_t xfer)
{
	mxd_ep_send_done_q(ep, c->cookie, c->flags & MXN_CMDF_QUIET, status, xfer);
}

void mxd_ep_send_done_q(struct mxd_endpoint *ep, uint64_t cookie, bool quiet, uint8_t status,
			uint32_t xfer)
{
	struct mxn_evt e = { .type = MXN_EVT_SEND_DONE, .status = status };

	e.flags = quiet ? MXN_EVTF_QUIET : 0;
	e.u.done.cookie = cookie;
	e.u.done.xfer_length = xfer;
	mxd_ep_emit(ep, &e);
}

/* away: ep's guest is saved or migrated; a send that waited for room in
 * it is submitted again, and parks until ep is back (core_cmd.c). */
static void wake_waiters_closed(struct mxd_endpoint *ep, bool away)
{
	struct mxd_endpoint *w;

	while ((w = LIST_FIRST(&ep->waiters))) {
		LIST_REMOVE(w, wait_link);
		w->stalled_on = NULL;
		if (w->has_stalled && !(away && mxd_cmd_is_send(&w->stalled))) {
			w->has_stalled = false;
			if (w->stalled.op == MXN_CMD_LOOKUP)
				mxd_ep_done(w, MXN_EVT_LOOKUP_DONE, w->stalled.cookie,
					    MXN_ST_CLOSED, 0);
			else
				mxd_ep_done(w, MXN_EVT_SEND_DONE, w->stalled.cookie,
					    MXN_ST_CLOSED, 0);
		}
		mxd_ep_activate(w);
	}
}

static void close_rndvs(struct mxd_endpoint *ep, bool away)
{
	uint8_t status = away ? MXN_ST_AWAY : MXN_ST_CLOSED;
	struct mxd_rndv *r;

	/* Rendezvous announced to us: their senders complete CLOSED (AWAY:
	 * they announce it again once we are back). */
	for (uint32_t i = 0; i < ep->rndv_in_cap; i++) {
		r = ep->rndv_in[i];
		if (!r)
			continue;
		ep->rndv_in[i] = NULL;
		r->dst = NULL;
		if (r->src && !r->src_gone) {
			mxd_ep_done(r->src, MXN_EVT_SEND_DONE, r->cookie, status, 0);
			mxd_ep_activate(r->src);
		}
		mxd_rndv_free(r);
	}
	/* Our sends: a local receiver's pull completes CLOSED; wire sends go. */
	while ((r = LIST_FIRST(&ep->rndv_out))) {
		mxd_rndv_release_src(r);
		r->src_away = away;
		if (!r->dst)
			mxd_rndv_free(r);
		else
			mxd_window_src_gone(r); /* a pull between windows ends now */
	}
}

void mxd_endpoint_detach(struct mxd_endpoint *ep)
{
	struct mxd_core *c;
	struct mxd_guest *g;
	bool away;

	if (!ep || ep->closing)
		return;
	c = ep->core;
	g = ep->guest;
	/* quieted for a save or a migration (mxd_xen_dom_quiesce): it comes
	 * back with its session, its peers' traffic waits for it */
	away = ep->quiet && mxd_core_is_quiet(c, ep->index);
	c->away_session[ep->index] = away ? ep->session : 0;
	c->away_moved[ep->index] = false;
	/* taken arrivals were acked on the wire: never drop them staged */
	if (!ep->fault && !ep->quiet)
		mxd_ep_publish(ep);
	ep->closing = true;
	c->eps[ep->index] = NULL;
	if (ep->active)
		TAILQ_REMOVE(&c->active, ep, active_link);
	if (ep->dirty)
		TAILQ_REMOVE(&c->dirty, ep, dirty_link);
	ep->active = ep->dirty = false;
	if (ep->stalled_on)
		LIST_REMOVE(ep, wait_link);
	ep->stalled_on = NULL;
	wake_waiters_closed(ep, away);
	mxd_park_free(ep); /* parked sends were never taken: nobody waits for them */
	close_rndvs(ep, away);
	mxd_pair_close_all(ep, away ? MXN_ST_AWAY : MXN_ST_CLOSED);
	if (c->remote && c->remote->endpoint_closed)
		c->remote->endpoint_closed(c->remote_priv,
					   (struct mxd_epref){ ep->index, ep->session });
	LIST_REMOVE(ep, guest_link);
	g->nendpoints--;
	c->st.endpoints--;
	c->st.endpoints_closed++;
	mxd_ep_stats_add(&c->closed_eps, &ep->st);
	mxd_recvq_fini(&ep->rq);
	mxd_backlog_fini(&ep->backlog);
	free(ep->rndv_in);
	ep->ops->destroy(ep);
	free(ep);
	mxd_guest_put(g);
}

void mxd_ep_activate(struct mxd_endpoint *ep)
{
	struct mxd_core *c = ep->core;

	if (ep->closing)
		return;
	ep->last_work_ns = mxd_now_ns();
	if (ep->active)
		return;
	ep->active = true;
	/* Anticipatory polling owns the ring now: no doorbells needed. */
	mxn_ring_disarm(&ep->cmd);
	TAILQ_INSERT_TAIL(&c->active, ep, active_link);
	if (c->wakeup)
		c->wakeup(c->wakeup_arg);
}

void mxd_endpoint_kick(struct mxd_endpoint *ep)
{
	ep->st.kicks++;
	ep->core->st.kicks++;
	mxd_ep_activate(ep);
}

void mxd_ep_fault(struct mxd_endpoint *ep, const char *why)
{
	if (ep->fault)
		return;
	ep->fault = -EPROTO;
	ep->fault_why = why;
	mxd_ep_activate(ep);
}

/* ---- event staging ---- */

void mxd_ep_mark_dirty(struct mxd_endpoint *ep)
{
	if (!ep->dirty && !ep->closing) {
		ep->dirty = true;
		TAILQ_INSERT_TAIL(&ep->core->dirty, ep, dirty_link);
	}
}

/*
 * Re-read the guest's event cons and validate it: it may only move forward,
 * and not past what we published.  Frees recvq chunks of consumed slots.
 */
int mxd_ep_refresh_cons(struct mxd_endpoint *ep)
{
	uint32_t cons = atomic_load_explicit(MXN_ATOMIC(&ep->evt.ctl->cons), memory_order_acquire);

	/* Compare with what we published (our private copy: prod lives in
	 * shared memory and the guest could rewrite it). */
	if (cons - ep->evt_cons_seen > ep->evt_pushed - ep->evt_cons_seen) {
		ep->core->st.ring_faults++;
		mxd_ep_fault(ep, "event ring cons outside [cons, prod]");
		return -EPROTO;
	}
	if (cons != ep->evt_cons_seen) {
		mxd_recvq_release(&ep->rq, ep->evt_cons_seen, cons);
		ep->evt_cons_seen = cons;
	}
	return 0;
}

/* Free event slots as far as we can tell (0 on a faulty guest). */
int mxd_ep_room(struct mxd_endpoint *ep)
{
	if (ep->fault || mxd_ep_refresh_cons(ep))
		return 0;
	return (int)(mxn_ring_slots(&ep->evt) - (ep->evt.prod_pvt - ep->evt_cons_seen));
}

struct mxn_evt *mxd_ep_slot(struct mxd_endpoint *ep)
{
	return &ep->evt_slots[ep->evt.prod_pvt & ep->evt.mask];
}

void mxd_ep_commit(struct mxd_endpoint *ep)
{
	/* (Read back from the guest's slot: a guest rewriting it can only
	 * change whether it gets a doorbell.) */
	if (!(mxd_ep_slot(ep)->flags & MXN_EVTF_QUIET))
		ep->loud = true;
	ep->evt.prod_pvt++;
	ep->st.evts++;
	mxd_ep_mark_dirty(ep);
}

/* Ask the guest to kick us once it consumes one more event. */
void mxd_ep_arm_space(struct mxd_endpoint *ep)
{
	atomic_store_explicit(MXN_ATOMIC(&ep->evt.ctl->cons_event), ep->evt_cons_seen + 1,
			      memory_order_relaxed);
	/* Orders the cons_event store before the cons re-read in the caller's
	 * final check, pairing with the fence in the guest's mxn_ring_release. */
	atomic_thread_fence(memory_order_seq_cst);
}

/*
 * What was staged is published first: the wire engine acked those arrivals
 * when the core took them, so their senders never send them again.  A
 * daemon stopping (SIGTERM breaks the loop before its flush) or a guest
 * being saved would otherwise lose them in silence.
 */
void mxd_endpoint_quiesce(struct mxd_endpoint *ep)
{
	if (!ep->fault && !ep->quiet && !ep->closing)
		mxd_ep_publish(ep);
	ep->quiet = true;
}

int mxd_ep_emit(struct mxd_endpoint *ep, const struct mxn_evt *e)
{
	if (ep->closing || ep->quiet)
		return -ESHUTDOWN;
	if (!ep->backlog.count && mxd_ep_room(ep) > 0) {
		*mxd_ep_slot(ep) = *e;
		mxd_ep_commit(ep);
		return 0;
	}
	if (mxd_backlog_push(&ep->backlog, e)) {
		/* More completions than in-flight limits allow: the guest
		 * stopped consuming events while pushing work.  Never drop:
		 * cut it off instead (cutoff emits GUEST_ERROR, closes). */
		mxd_ep_fault(ep, "completion backlog overflow");
		return -ENOSPC;
	}
	ep->st.backlog_peak = ep->backlog.peak;
	mxd_ep_arm_space(ep);
	return 0;
}

void mxd_ep_wait_on(struct mxd_endpoint *sender, struct mxd_endpoint *rcv)
{
	if (!sender->stalled_on) {
		sender->stalled_on = rcv;
		LIST_INSERT_HEAD(&rcv->waiters, sender, wait_link);
	}
	sender->st.stalls++;
	mxd_ep_watch_space(rcv);
}

void mxd_ep_watch_space(struct mxd_endpoint *ep)
{
	mxd_ep_arm_space(ep);
	/* Final check: the guest may have consumed between our look and the
	 * arm; then poll it now rather than wait for a kick. */
	if (atomic_load_explicit(MXN_ATOMIC(&ep->evt.ctl->cons), memory_order_acquire) !=
	    ep->evt_cons_seen)
		mxd_ep_activate(ep);
}

/* Give the senders waiting on ep another chance. */
void mxd_ep_wake_waiters(struct mxd_endpoint *ep)
{
	struct mxd_endpoint *w;

	while ((w = LIST_FIRST(&ep->waiters))) {
		LIST_REMOVE(w, wait_link);
		w->stalled_on = NULL;
		mxd_ep_activate(w);
	}
}

/* ---- introspection ---- */

void mxd_core_get_stats(const struct mxd_core *c, struct mxd_core_stats *out)
{
	*out = c->st;
}

void mxd_guest_get_stats(const struct mxd_guest *g, struct mxd_guest_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = g->kind;
	out->id = g->id;
	out->principal = g->principal;
	memcpy(out->name, g->name, sizeof(out->name));
	out->endpoints = g->nendpoints;
	out->registered_bytes = g->registered_bytes;
	out->endpoints_opened = g->endpoints_opened;
	out->cut_off = g->cut_off;
	memcpy(out->cutoff_reason, g->cutoff_reason, sizeof(out->cutoff_reason));
}

void mxd_ep_stats_add(struct mxd_ep_stats *sum, const struct mxd_ep_stats *s)
{
	sum->cmds += s->cmds;
	sum->evts += s->evts;
	sum->sent_tiny += s->sent_tiny;
	sum->sent_queued += s->sent_queued;
	sum->sent_rndv += s->sent_rndv;
	sum->recv_tiny += s->recv_tiny;
	sum->recv_queued += s->recv_queued;
	sum->recv_rndv += s->recv_rndv;
	sum->pulls += s->pulls;
	sum->pull_bytes += s->pull_bytes;
	sum->bad_cmds += s->bad_cmds;
	sum->unconnected += s->unconnected;
	sum->no_resources += s->no_resources;
	sum->region_faults += s->region_faults;
	sum->stalls += s->stalls;
	sum->parked += s->parked;
}

void mxd_core_get_closed_stats(const struct mxd_core *c, struct mxd_ep_stats *out)
{
	*out = c->closed_eps;
}

void mxd_endpoint_get_stats(const struct mxd_endpoint *ep, struct mxd_ep_stats *out)
{
	*out = ep->st;
	out->backlog_len = ep->backlog.count;
	out->backlog_peak = ep->backlog.peak;
	out->rndv_out = ep->nrndv_out;
	out->recvq_used = mxd_recvq_used(&ep->rq);
	out->pairs = ep->npairs;
	out->rndv_in = 0;
	for (uint32_t i = 0; i < ep->rndv_in_cap; i++)
		out->rndv_in += ep->rndv_in[i] != NULL;
}

int mxd_core_for_each_guest(struct mxd_core *c, int (*fn)(struct mxd_guest *g, void *arg),
			    void *arg)
{
	struct mxd_guest *g;
	int err;

	LIST_FOREACH(g, &c->guests, link)
		if ((err = fn(g, arg)))
			return err;
	return 0;
}

int mxd_guest_for_each_endpoint(struct mxd_guest *g,
				int (*fn)(struct mxd_endpoint *ep, void *arg), void *arg)
{
	struct mxd_endpoint *ep;
	int err;

	LIST_FOREACH(ep, &g->endpoints, guest_link)
		if ((err = fn(ep, arg)))
			return err;
	return 0;
}
