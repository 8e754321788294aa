/* SPDX-License-Identifier: MIT */
/*
 * Pair channels, the library side (include/myrixen/pair.h): the daemon hands
 * us a shared area with a local peer endpoint; tiny, small and medium sends
 * to that peer go straight into it and complete at once, and its messages
 * to us come out of it with no daemon hop.
 *
 * The peer is hostile, as a guest is to the daemon: the seq of the slot we
 * expect says whether it is written (pair.h "Trust"; its prod, read only
 * before we sleep, must agree), each slot is copied and then validated
 * (seq, type, length, data offset), its cons may only move within what we
 * published.  The source of an arrival is the peer the daemon
 * named, never a word of the slot.  Any violation breaks that channel alone:
 * we stop using it, report the peer (MXN_CMD_PAIR_FAULT) and carry on
 * through the daemon.
 *
 * Order with the daemon path: see pair.h.  lp->rx_d counts daemon-path
 * arrivals from the peer (progress.c), a slot's dcount says how many of
 * those precede it; an event's pair_seq says how many slots precede it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fdpass.h"
#include "mxl.h"

#define MXL_PAIR_BUDGET 64u

struct mxl_lpeer *mxl_lpeer(struct mx_endpoint *ep, uint8_t index, uint32_t session)
{
	struct mxl_lpeer *lp = &ep->lp[index];

	if (lp->session == session)
		return lp;
	/* A live channel pins the incarnation: another session at the same
	 * index can only be a stale address (the daemon refuses it), so it
	 * is not counted and must not reset the live counts. */
	if (lp->pair)
		return NULL;
	memset(lp, 0, sizeof(*lp));
	lp->session = session;
	return lp;
}

/*
 * Side 1 of a Xen channel our guest's suspend ended: the survivor (side 0)
 * takes what we consumed to be what we published, sends the rest again
 * through the daemon and counts it there (resend_unconsumed).  Our counts
 * follow: messages we took past the published cons come again as
 * daemon-path copies that are dropped uncounted (pair.h "Send numbers"),
 * so they are counted as daemon-path ones now.
 */
static void rebase_rx(struct mx_endpoint *ep, struct mxl_pair *p)
{
	struct mxl_lpeer *lp = &ep->lp[p->peer_ep];
	uint32_t ahead = p->rx.cons_pvt - p->rx_published;

	if (!p->attached || p->xside != 1 || lp->pair != p || ahead > mxn_ring_slots(&p->rx))
		return;
	lp->rx_p -= ahead;
	lp->rx_d += ahead;
}

/* Our guest was restored under the channel (its bell is void): nobody broke
 * a rule, so it is freed without a report (mxl_pair_report_faults). */
static void pair_lost(struct mx_endpoint *ep, struct mxl_pair *p)
{
	if (p->broken)
		return;
	p->broken = p->lost = true;
	rebase_rx(ep, p);
	ep->counters[MXL_CNT_PAIR_RESTORED]++;
}

/* Freed room (the peer waits for it on its rx bell, never on a futex). */
static void bell(struct mx_endpoint *ep, struct mxl_pair *p)
{
	uint64_t one = 1;

	ep->counters[MXL_CNT_PAIR_BELL]++;
	if (p->attached) {
		if (ep->t.ops->pair_ring(&ep->t, &p->chan) == -EPIPE)
			pair_lost(ep, p);
		return;
	}
	/* EAGAIN: the peer saturated its own bell; its loss. */
	(void)!write(p->tx_bell, &one, sizeof(one));
}

/* New slots the peer asked to hear of (its prod_event crossed).  It sleeps
 * on a futex on that prod or on its rx bell, as its flags say: read after
 * the fence of mxn_ring_push, they are those of the arm we answer (fbell.c;
 * a stale FUTEX flag is seen only by a push the peer's final check already
 * saw).  A peer lying in its flags only misses its own wake-up. */
static void bell_data(struct mx_endpoint *ep, struct mxl_pair *p)
{
	if (!p->attached && (atomic_load_explicit(MXN_ATOMIC(&p->tx.ctl->flags),
						  memory_order_relaxed) & MXN_RINGF_FUTEX)) {
		ep->counters[MXL_CNT_PAIR_BELL]++;
		mxl_fbell_wake_shared(MXN_ATOMIC(&p->tx.ctl->prod));
		return;
	}
	bell(ep, p);
}

/* Stop using lp's channel and have it reported once progress can issue
 * commands (we may be inside a send or an arrival here). */
static void pair_fault(struct mx_endpoint *ep, struct mxl_pair *p)
{
	if (p->broken)
		return;
	/* A Xen channel our guest's suspend ended reads as zeroes (shim.h
	 * MYRIXEN_IOC_PEER_MAP) until we see its bell dead: no rule broken. */
	if (p->attached && ep->t.ops->pair_ring(&ep->t, &p->chan) == -EPIPE) {
		pair_lost(ep, p);
		return;
	}
	p->broken = true;
	ep->counters[MXL_CNT_PAIR_FAULT]++;
}

static void pair_free(struct mx_endpoint *ep, struct mxl_pair *p)
{
	uint32_t i;

	for (i = 0; i < ep->npairs; i++)
		if (ep->pairs[i] == p) {
			ep->pairs[i] = ep->pairs[--ep->npairs];
			break;
		}
	if (ep->lp[p->peer_ep].pair == p)
		ep->lp[p->peer_ep].pair = NULL;
	if (p->attached) {
		if (p->chan.rx_fd >= 0)
			(void)ep->t.ops->watch(&ep->t, p->chan.rx_fd, false);
		ep->t.ops->pair_detach(&ep->t, &p->chan);
		p->area = NULL;
	}
	if (p->rx_bell >= 0) {
		if (ep->t.ops->watch)
			(void)ep->t.ops->watch(&ep->t, p->rx_bell, false);
		close(p->rx_bell);
	}
	if (p->tx_bell >= 0)
		close(p->tx_bell);
	mxl_pair_rndv_free(ep, p); /* before the area: it reads nothing there */
	if (p->area)
		munmap(p->area, p->area_size);
	free(p->tx_end);
	free(p);
}

void mxl_pair_close_all(struct mx_endpoint *ep)
{
	while (ep->npairs)
		pair_free(ep, ep->pairs[0]);
}

/* The hand-over must be what the event announced and what the layout rule
 * gives; the memfd must be as large as the mapping we make. */
static int check_open(const struct mxn_pair_open *o, const struct mxn_evt *e, int memfd,
		      struct mxn_pair_layout *l)
{
	struct stat st;

	if (o->abi_version != MYRIXEN_ABI_VERSION || o->side > 1 ||
	    (o->flags & ~MXN_PAIR_OPENF_PROC) || o->pad1 ||
	    !(o->flags & MXN_PAIR_OPENF_PROC) != !o->peer_pid ||
	    o->peer_endpoint != e->u.pair.peer_endpoint ||
	    o->peer_session != e->u.pair.peer_session ||
	    mxn_pair_layout_compute(l, o->order, o->data_size) || l->area_size != o->area_size)
		return -EPROTO;
	if (fstat(memfd, &st) || (uint64_t)st.st_size != l->area_size)
		return -EPROTO;
	return 0;
}

void mxl_pair_map(struct mxl_pair *p, uint8_t side)
{
	uint8_t *a = p->area;
	int tx = side, rx = !side;

	mxn_ring_init(&p->tx, (struct mxn_ring_ctl *)(void *)(a + p->lay.ctl_off[tx]), p->lay.order);
	mxn_ring_init(&p->rx, (struct mxn_ring_ctl *)(void *)(a + p->lay.ctl_off[rx]), p->lay.order);
	p->tx_slots = (struct mxn_pair_slot *)(void *)(a + p->lay.slots_off[tx]);
	p->rx_slots = (struct mxn_pair_slot *)(void *)(a + p->lay.slots_off[rx]);
	p->tx_data = a + p->lay.data_off[tx];
	p->rx_data = a + p->lay.data_off[rx];
	/* No peer process (pair_rndv.c takes it after), no rendezvous out. */
	p->peer_id.pidfd = p->peer_id.procfd = p->peer_id.statusfd = -1;
	mxl_list_init(&p->rndv_out);
	/* We are awake: the peer need not ring until we arm before sleeping. */
	mxn_ring_disarm(&p->rx);
}

/* A channel record for layout l, nothing mapped yet (pair_free frees it). */
static struct mxl_pair *pair_new(const struct mxn_pair_layout *l)
{
	struct mxl_pair *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->rx_bell = p->tx_bell = -1;
	p->lay = *l;
	p->tx_end = calloc(1u << l->order, sizeof(*p->tx_end));
	if (!p->tx_end) {
		free(p);
		return NULL;
	}
	return p;
}

static int pair_map(struct mx_endpoint *ep, const struct mxn_evt *e, struct mxl_pair **out)
{
	struct mxn_pair_layout l;
	struct mxn_pair_open o;
	struct mxl_pair *p = NULL;
	int fds[MXN_PAIR_OPEN_FDS_MAX] = { -1, -1, -1, -1, -1 }, err;

	err = -ENOSYS;
	if (!ep->t.ops->pair_take || !ep->t.ops->watch)
		goto out;
	err = ep->t.ops->pair_take(&ep->t, e->u.pair.pair_id, &o, fds);
	if (err)
		goto out;
	err = check_open(&o, e, fds[0], &l);
	if (err)
		goto out;
	err = -ENOMEM;
	p = pair_new(&l);
	if (!p)
		goto out;
	p->area = mmap(NULL, p->lay.area_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (p->area == MAP_FAILED) {
		p->area = NULL;
		err = -errno;
		goto out;
	}
	p->area_size = p->lay.area_size;
	p->id = o.pair_id;
	p->peer_ep = o.peer_endpoint;
	p->peer_session = o.peer_session;
	p->rx_bell = fds[1];
	p->tx_bell = fds[2];
	fds[1] = fds[2] = -1;
	mxl_pair_map(p, o.side);
	if (o.flags & MXN_PAIR_OPENF_PROC) {
		mxl_pair_proc_take(ep, p, &o, fds[3], fds[4]);
		fds[3] = fds[4] = -1;
	}
	err = ep->t.ops->watch(&ep->t, p->rx_bell, true);
	if (err)
		goto out;
	*out = p;
	p = NULL;
out:
	for (int i = 0; i < MXN_PAIR_OPEN_FDS_MAX; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (p)
		pair_free(ep, p);
	return err;
}

static void queue_report(struct mx_endpoint *ep, uint32_t pair_id)
{
	if (ep->nfault_pending < sizeof(ep->fault_pending) / sizeof(ep->fault_pending[0]))
		ep->fault_pending[ep->nfault_pending++] = pair_id;
}

/*
 * After a daemon restart the new daemon brokers a channel again for a peer
 * both libraries still share one with (it knows none).  Both sides keep the
 * old one, which never stopped and holds messages in flight, and call it by
 * the new id, which the daemon uses for PAIR_CLOSED and PAIR_FAULT.
 */
static bool keep_survivor(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_pair *p = ep->lp[e->u.pair.peer_endpoint].pair;
	struct mxn_pair_open o;
	int fds[MXN_PAIR_OPEN_FDS_MAX];

	if (!p || !p->survivor || p->broken || p->peer_session != e->u.pair.peer_session)
		return false;
	if (ep->t.ops->pair_take && !ep->t.ops->pair_take(&ep->t, e->u.pair.pair_id, &o, fds))
		mxc_close_fds(fds, MXN_PAIR_OPEN_FDS_MAX);
	p->id = e->u.pair.pair_id;
	p->survivor = false;
	ep->counters[MXL_CNT_PAIR_KEPT]++;
	return true;
}

void mxl_pair_mark_survivors(struct mx_endpoint *ep)
{
	for (uint32_t i = 0; i < ep->npairs; i++)
		ep->pairs[i]->survivor = true;
}

/* The peer never came back (closed, or its process died, while no daemon
 * could tell us): what it wrote is still its word, then the channel goes. */
void mxl_pair_expire_survivors(struct mx_endpoint *ep)
{
	uint32_t i = 0;

	while (i < ep->npairs) {
		struct mxl_pair *p = ep->pairs[i];

		if (!p->survivor) {
			i++;
			continue;
		}
		if (!p->broken)
			(void)mxl_pair_drain(ep, &ep->lp[p->peer_ep], NULL);
		pair_free(ep, p);
	}
}

void mxl_pair_drop_restored(struct mx_endpoint *ep)
{
	uint32_t i = 0;

	while (i < ep->npairs) {
		struct mxl_pair *p = ep->pairs[i];

		if (!p->attached) {
			i++;
			continue;
		}
		/* Side 0's rx is in our own pages, restored with us; side 1's
		 * is the peer's, whose mapping the restore voided. */
		if (!p->broken && p->xside == 0)
			(void)mxl_pair_drain(ep, &ep->lp[p->peer_ep], NULL);
		if (!p->broken) {
			rebase_rx(ep, p);
			ep->counters[MXL_CNT_PAIR_RESTORED]++;
		}
		pair_free(ep, p);
	}
}

/* ---- Xen: channels the guests build themselves (pair.h "Xen") ---- */

/* The answer to an offer or a map request, issued by the next progress
 * (we may be inside event processing here). */
static void xen_answer(struct mx_endpoint *ep, const struct mxn_pair_xen *a)
{
	if (ep->nxen_ans < sizeof(ep->xen_ans) / sizeof(ep->xen_ans[0]))
		ep->xen_ans[ep->nxen_ans++] = *a;
	else
		ep->counters[MXL_CNT_PAIR_FAULT]++; /* the set-up stays pending, unused */
}

/*
 * A daemon that restarted offers again a channel the two guests never
 * stopped using (lp's survivor, pair.c keep_survivor for the local
 * transport): when it is the same one, seen from the same side, it is kept
 * and called by the new id; side 0 answers with the grant it made then, and
 * side 1 checks the map request names exactly what it mapped.  The new
 * daemon then knows the channel (closes, faults).  Otherwise it is declined
 * and ours goes on unknown to the daemon.
 */
static int xen_adopt(struct mx_endpoint *ep, struct mxl_pair *p, const struct mxn_evt *e,
		     struct mxn_pair_xen *ans)
{
	const struct mxn_pair_xen *x = &e->u.xpair, *k = &p->xdesc;
	bool map = e->type == MXN_EVT_PAIR_XEN_MAP;

	if (!p->attached || !p->survivor)
		return -EEXIST;
	p->survivor = false; /* the daemon asked: ours is not left to expire */
	if (x->order != k->order || x->data_size != k->data_size ||
	    x->area_pages != k->area_pages || x->peer_domid != k->peer_domid ||
	    p->xside != (map ? 1 : 0) || (map && (x->dir_ref != k->dir_ref || x->port != k->port)))
		return -EEXIST;
	p->id = x->pair_id;
	ep->counters[MXL_CNT_PAIR_KEPT]++;
	if (!map) {
		ans->dir_ref = k->dir_ref;
		ans->port = k->port;
	}
	return 0;
}

static int xen_attach(struct mx_endpoint *ep, const struct mxn_evt *e, struct mxn_pair_xen *ans,
		      struct mxl_pair **out)
{
	const struct mxn_pair_xen *x = &e->u.xpair;
	const struct mxl_transport_ops *ops = ep->t.ops;
	bool map = e->type == MXN_EVT_PAIR_XEN_MAP;
	struct mxl_pair *lp_pair = ep->lp[x->peer_endpoint].pair;
	struct mxl_pair *p = NULL;
	struct mxn_pair_layout l;
	int err;

	err = -ENOSYS;
	if (!ops->pair_attach || !ops->watch)
		goto out;
	err = -EPROTO;
	if (e->status || !x->pair_id || mxn_pair_xen_check(x, map, &l))
		goto out;
	if (lp_pair && lp_pair->peer_session == x->peer_session && !lp_pair->broken) {
		err = xen_adopt(ep, lp_pair, e, ans);
		goto out;
	}
	err = -EEXIST;
	if (ep->npairs >= MXN_PAIRS_MAX)
		goto out;
	err = -ENOMEM;
	p = pair_new(&l);
	if (!p)
		goto out;
	err = ops->pair_attach(&ep->t, e, &p->chan, ans);
	if (err)
		goto out;
	p->attached = true;
	p->area = p->chan.area;
	err = -EPROTO;
	if (p->chan.size != l.area_size)
		goto out;
	p->id = x->pair_id;
	p->peer_ep = x->peer_endpoint;
	p->peer_session = x->peer_session;
	p->tx_off = !map; /* side 0 sends once side 1 mapped (PAIR_OPEN) */
	p->xdesc = *x;
	p->xside = map ? 1 : 0;
	if (!map) {
		p->xdesc.dir_ref = ans->dir_ref;
		p->xdesc.port = ans->port;
	}
	mxl_pair_map(p, map ? 1 : 0);
	err = p->chan.rx_fd >= 0 ? ops->watch(&ep->t, p->chan.rx_fd, true) : 0;
	if (err)
		goto out;
	if (p->chan.shim_bell)
		ep->counters[MXL_CNT_PAIR_SHIM_BELL]++;
	*out = p;
	p = NULL;
out:
	if (p)
		pair_free(ep, p);
	return err;
}

static void xen_setup(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxn_pair_xen ans = { .pair_id = e->u.xpair.pair_id };
	struct mxl_pair *p = NULL;
	int err = xen_attach(ep, e, &ans, &p);

	if (err) {
		/* Declined: the pair keeps going through the daemon. */
		memset(&ans, 0, sizeof(ans));
		ans.pair_id = e->u.xpair.pair_id;
		ans.status = err;
	} else {
		ans.order = e->u.xpair.order;
		ans.data_size = e->u.xpair.data_size;
		ans.area_pages = e->u.xpair.area_pages;
		if (e->type == MXN_EVT_PAIR_XEN_MAP)
			ans.order = 0, ans.data_size = 0, ans.area_pages = 0;
		if (p) /* else a survivor was kept under the new id */
			mxl_pair_insert(ep, p);
	}
	xen_answer(ep, &ans);
}

/* Xen side 0: side 1 mapped the channel, we may send into it. */
static bool xen_opened(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_pair *p = ep->lp[e->u.pair.peer_endpoint].pair;

	if (!p || !p->attached || p->id != e->u.pair.pair_id ||
	    p->peer_session != e->u.pair.peer_session)
		return false;
	p->tx_off = false;
	return true;
}

void mxl_pair_open(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_pair *p = NULL;

	if (e->type == MXN_EVT_PAIR_XEN_OFFER || e->type == MXN_EVT_PAIR_XEN_MAP) {
		xen_setup(ep, e);
		return;
	}
	if (keep_survivor(ep, e) || xen_opened(ep, e))
		return;
	if (ep->npairs >= MXN_PAIRS_MAX || pair_map(ep, e, &p)) {
		/* The peer will write into a channel we cannot read: have the
		 * daemon close it so the peer goes through the daemon. */
		ep->counters[MXL_CNT_PAIR_FAULT]++;
		queue_report(ep, e->u.pair.pair_id);
		return;
	}
	mxl_pair_insert(ep, p);
}

void mxl_pair_insert(struct mx_endpoint *ep, struct mxl_pair *p)
{
	struct mxl_lpeer *lp = &ep->lp[p->peer_ep];

	if (lp->pair)
		pair_free(ep, lp->pair);
	if (lp->session != p->peer_session) {
		memset(lp, 0, sizeof(*lp));
		lp->session = p->peer_session;
	}
	lp->pair = p;
	ep->pairs[ep->npairs++] = p;
}

/* Slots we wrote that the peer never released (its cons, read once and
 * bounded by what we wrote): what a send completed at issue lost. */
static uint32_t tx_unconsumed(const struct mxl_pair *p)
{
	uint32_t cons = atomic_load_explicit(MXN_ATOMIC(&p->tx.ctl->cons), memory_order_acquire);
	uint32_t n = p->tx.prod_pvt - cons;

	return n > p->tx.prod_pvt - p->tx_cons ? p->tx.prod_pvt - p->tx_cons : n;
}

static bool slot_ok(const struct mxl_pair *p, const struct mxn_pair_slot *s, uint32_t idx);

/* Slot i of ours again, as an internal send with its number, built for
 * the daemon path (the peer may have written there: copied, then checked).
 * NULL: not valid, or no memory. */
static struct mxl_req *resend_slot(struct mx_endpoint *ep, struct mxl_pair *p, uint32_t i)
{
	struct mxl_addr a = { .nic_id = ep->info.nic_id, .session = p->peer_session,
			      .peer = MXN_PEER_SELF, .endpoint = p->peer_ep, .valid = true };
	struct mxn_pair_slot s;
	struct mxl_req *r;
	mx_segment_t seg;

	memcpy(&s, &p->tx_slots[i & p->tx.mask], sizeof(s));
	if (!slot_ok(p, &s, i))
		return NULL;
	r = mxl_req_get(ep, MXL_REQ_SEND, NULL);
	if (!r)
		return NULL;
	r->own_buf = malloc(s.length ? s.length : 1);
	seg = (mx_segment_t){ r->own_buf, s.length };
	if (!r->own_buf || mxl_req_set_iov(r, &seg, 1)) {
		mxl_req_put(r);
		return NULL;
	}
	memcpy(r->own_buf, s.type == MXN_PAIR_TINY ? s.tiny : p->tx_data + s.off, s.length);
	r->dest = a;
	mxl_addr_pack(&a, &r->status.source);
	r->status.match_info = s.match_info;
	r->status.msg_length = s.length;
	r->cls = mxl_classify(s.length, ep->medium_max, false);
	r->seq = s.send_seq;
	r->state |= MXL_RS_INTERNAL | MXL_RS_SELFFREE | MXL_RS_BACKLOG;
	return r;
}

/*
 * A Xen peer saved or moved (AWAY) maps our pages (we are side 0): what it
 * had not consumed (our slots from its published cons on) dies with the
 * channel.  Sent again through the daemon, in order, each with its number.
 * Nothing we issued through the daemon to that peer is newer than the
 * first of them (mxl_pair_daemon_hold kept every such send back until the
 * peer had consumed the slots before it); what is not issued yet (backlog,
 * send_wait) is newer than all of them, so they go at the head of the
 * backlog.  They leave the pair count, as the peer's counts do at its
 * restore (rebase_rx): the next channel starts with both sides agreeing.
 * A slot that cannot be sent again is counted failed after completion.
 */
static void resend_unconsumed(struct mx_endpoint *ep, struct mxl_pair *p)
{
	struct mxl_lpeer *lp = &ep->lp[p->peer_ep];
	uint32_t k = tx_unconsumed(p), first = p->tx.prod_pvt - k;
	/* defensive: a daemon-path send newer than the first lost slot */
	bool safe = (int32_t)(first - p->tx_prod_at_d) >= 0;
	struct mxl_list *head = ep->backlog.next;
	struct mxl_req *r;

	lp->tx_p -= k;
	p->tx_off = true; /* the resends go through the daemon */
	for (uint32_t i = first; i != p->tx.prod_pvt; i++) {
		r = safe ? resend_slot(ep, p, i) : NULL;
		if (!r) {
			ep->counters[MXL_CNT_ZOMBIE_FAILED]++;
			continue;
		}
		mxl_list_add_tail(head, &r->link); /* before what was first */
		ep->counters[MXL_CNT_PAIR_RESENT]++;
	}
}

void mxl_pair_closed(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_pair *p = ep->lp[e->u.pair.peer_endpoint].pair;

	if (!p || p->id != e->u.pair.pair_id)
		return;
	/* The peer left (or its guest is being saved: AWAY): what it wrote
	 * before is still its word. */
	if ((e->status == MXN_ST_CLOSED || e->status == MXN_ST_AWAY) && !p->broken)
		(void)mxl_pair_drain(ep, &ep->lp[p->peer_ep], NULL);
	if (e->status == MXN_ST_AWAY && p->attached && p->xside == 0 && !p->broken)
		resend_unconsumed(ep, p);
	pair_free(ep, p);
}

void mxl_pair_report_faults(struct mx_endpoint *ep)
{
	uint32_t i = 0;

	while (i < ep->npairs) {
		struct mxl_pair *p = ep->pairs[i];

		if (!p->broken) {
			i++;
			continue;
		}
		if (!p->lost)
			queue_report(ep, p->id);
		pair_free(ep, p);
	}
	while (ep->nxen_ans) {
		struct mxn_cmd c;

		memset(&c, 0, sizeof(c));
		c.op = MXN_CMD_PAIR_XEN;
		c.u.xpair = ep->xen_ans[0];
		if (mxl_issue_oneway(ep, &c))
			break; /* no ring room: next progress */
		memmove(&ep->xen_ans[0], &ep->xen_ans[1], --ep->nxen_ans * sizeof(ep->xen_ans[0]));
	}
	while (ep->nfault_pending) {
		struct mxn_cmd c;

		memset(&c, 0, sizeof(c));
		c.op = MXN_CMD_PAIR_FAULT;
		c.u.pair.pair_id = ep->fault_pending[ep->nfault_pending - 1];
		if (mxl_issue_oneway(ep, &c))
			return; /* no ring room: next progress */
		ep->nfault_pending--;
	}
}

/* ---- sending ---- */

/* Re-read the peer's cons: it may only move within [seen, what we wrote]. */
static int tx_refresh(struct mxl_pair *p)
{
	uint32_t cons = atomic_load_explicit(MXN_ATOMIC(&p->tx.ctl->cons), memory_order_acquire);

	if (cons - p->tx_cons > p->tx.prod_pvt - p->tx_cons)
		return -EPROTO;
	if (cons != p->tx_cons) {
		p->data_tail = p->tx_end[(cons - 1u) & p->tx.mask];
		p->tx_cons = cons;
		p->room_wait = false;
	}
	return 0;
}

/*
 * A send to the peer of p about to go through the daemon (rendezvous,
 * synchronous).  Xen side 0 (the channel is in our pages, the peer maps
 * them): it waits until the peer released every slot we wrote before it.
 * Should the peer's guest be saved, the slots it had not released die with
 * the channel and are sent again through the daemon (resend_unconsumed),
 * where nothing newer may be ahead of them.  True: wait (the peer rings
 * our bell when its cons reaches our prod; the backlog is retried).  A
 * peer that never releases holds this send as a full channel holds the
 * next pair send; one whose cons lies is cut off and the send goes.
 */
bool mxl_pair_daemon_hold(struct mx_endpoint *ep, struct mxl_pair *p, struct mxl_req *r)
{
	if (!p->attached || p->xside != 0 || p->broken)
		return false;
	for (int armed = 0;; armed++) {
		if (tx_refresh(p)) {
			pair_fault(ep, p);
			return false;
		}
		if (p->tx_cons == p->tx.prod_pvt)
			return false;
		if (armed)
			break;
		/* The seq_cst fence orders this store before the second read
		 * of cons and pairs with the fence of the peer's
		 * mxn_ring_release: it sees cons_event and rings, or we see
		 * its cons. */
		p->room_wait = true;
		atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons_event), p->tx.prod_pvt,
				      memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
	}
	if (!r->pair_held) /* once per send, not per retry */
		ep->counters[MXL_CNT_PAIR_DAEMON_HELD]++;
	r->pair_held = true;
	return true;
}

/* Contiguous data room, handed out in slot order (released with cons). */
static int data_alloc(struct mxl_pair *p, uint32_t len, uint32_t *off)
{
	uint32_t size = p->lay.data_size;
	uint32_t need = (len + MXN_QUEUE_ALIGN - 1) & ~(MXN_QUEUE_ALIGN - 1);
	uint32_t pos = p->data_head & (size - 1);
	uint32_t skip = pos + need > size ? size - pos : 0;

	if (p->data_head + skip + need - p->data_tail > size)
		return -EAGAIN;
	*off = skip ? 0 : pos;
	p->data_head += skip + need;
	return 0;
}

/* Full: ask the peer to ring once it consumes one more slot. */
static int wait_room(struct mxl_pair *p)
{
	p->room_wait = true;
	atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons_event), p->tx_cons + 1u,
			      memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return -EAGAIN;
}

/* Room for one more slot (and len bytes of data when 'queued').  The
 * peer's cons is read only when what we saw last is not enough: that line
 * is the peer's to write, and reading it on every send would fetch it
 * from the peer's cache on the critical path of each message. */
static int room(struct mx_endpoint *ep, struct mxl_pair *p, bool queued, uint32_t len,
		uint32_t *off)
{
	for (int fresh = 0;; fresh++) {
		if (p->tx.prod_pvt - p->tx_cons < mxn_ring_slots(&p->tx) &&
		    (!queued || !data_alloc(p, len, off)))
			return 0;
		if (fresh)
			return wait_room(p);
		if (tx_refresh(p)) {
			pair_fault(ep, p);
			return -ENOTCONN;
		}
	}
}

/* prod over every slot published so far: for a sleeping peer (its futex
 * word, its event index); a spinning one took them from their seq.  A peer
 * napping until its FIN is due (pair_nap.c) gets FINs alone without a
 * bell, and the bell with our next other slot should it still sleep (its
 * index was crossed by the quiet push, so that one would not ring). */
static void pair_push(struct mx_endpoint *ep, struct mxl_pair *p)
{
	bool fins_only = !p->tx_msg_unpushed, owed = p->bell_owed && !fins_only;

	p->tx_pushed = p->tx.prod_pvt;
	p->tx_msg_unpushed = false;
	if (!mxn_ring_push(&p->tx) && !owed)
		return;
	p->bell_owed = fins_only && mxl_pair_fin_quiet(ep, p);
	if (p->bell_owed)
		return;
	if (fins_only)
		ep->counters[MXL_CNT_PAIR_FIN_BELL]++;
	bell_data(ep, p);
}

/*
 * Write slot idx (pair.h "Publication"): every byte but seq, then seq with
 * release, which orders the bytes before it (and the data queue bytes
 * written before the call) for a consumer whose acquire load sees it.  The
 * consumer polls seq while we write, so seq is never written otherwise.
 */
static void slot_publish(struct mxn_pair_slot *dst, const struct mxn_pair_slot *s, uint32_t idx)
{
	memcpy(dst, s, offsetof(struct mxn_pair_slot, seq));
	memcpy(dst->tiny, s->tiny, sizeof(dst->tiny));
	atomic_store_explicit(MXN_ATOMIC(&dst->seq), mxn_pair_seq_of(idx), memory_order_release);
}

int mxl_pair_put(struct mx_endpoint *ep, struct mxl_pair *p, struct mxn_pair_slot *s,
		 const void *data, uint32_t len, bool queued, bool push)
{
	uint32_t off = 0;
	int err;

	if (p->broken || p->tx_off)
		return -ENOTCONN;
	err = room(ep, p, queued, len, &off);
	if (err)
		return err;
	if (queued) {
		s->off = off;
		memcpy(p->tx_data + off, data, len);
	}
	slot_publish(&p->tx_slots[p->tx.prod_pvt & p->tx.mask], s, p->tx.prod_pvt);
	p->tx_msg_unpushed |= s->type != MXN_PAIR_FIN;
	p->tx_end[p->tx.prod_pvt & p->tx.mask] = p->data_head;
	p->tx.prod_pvt++;
	/* prod may lag the slots by at most a ring (pair.h "Trust"): a
	 * burst issued without a flush pushes on its own. */
	if (push || p->tx.prod_pvt - p->tx_pushed >= mxn_ring_slots(&p->tx))
		pair_push(ep, p);
	return 0;
}

int mxl_pair_send(struct mx_endpoint *ep, struct mxl_lpeer *lp, struct mxl_req *r)
{
	struct mxl_pair *p = lp->pair;
	struct mxn_pair_slot s;
	uint32_t len = (uint32_t)r->total, off = 0;
	int err;

	if (p->broken || p->tx_off)
		return -ENOTCONN;
	err = room(ep, p, r->cls != MXL_CLASS_TINY, len, &off);
	if (err)
		return err;
	memset(&s, 0, sizeof(s));
	if (r->cls == MXL_CLASS_TINY) {
		s.type = MXN_PAIR_TINY;
		mxl_gather(s.tiny, r->iov, r->niov);
	} else {
		s.type = MXN_PAIR_QUEUED;
		s.off = off;
		mxl_gather(p->tx_data + off, r->iov, r->niov);
	}
	s.length = len;
	s.match_info = r->status.match_info;
	s.dcount = lp->tx_d;
	/* the number a daemon-path copy of this message would carry */
	mxl_req_send_seq(ep, r);
	s.send_seq = r->seq;
	/* room taken above: the put cannot fail */
	(void)mxl_pair_put(ep, p, &s, NULL, 0, false, false);
	lp->tx_p++;
	ep->counters[MXL_CNT_PAIR_SEND]++;
	/* The bytes are in the channel: the buffer is the application's again. */
	r->status.xfer_length = len;
	mxl_req_complete(r, MX_STATUS_SUCCESS);
	return 0;
}

struct mxl_pair *mxl_pair_find(struct mx_endpoint *ep, uint8_t peer_ep, uint32_t id)
{
	struct mxl_pair *p = ep->lp[peer_ep].pair;

	return p && p->id == id && !p->broken ? p : NULL;
}

void mxl_pair_flush(struct mx_endpoint *ep)
{
	for (uint32_t i = 0; i < ep->npairs; i++) {
		struct mxl_pair *p = ep->pairs[i];

		if (!p->broken && p->nfin_wait)
			mxl_pair_rndv_flush(ep, p);
		if (!p->broken && p->tx_pushed != p->tx.prod_pvt)
			pair_push(ep, p);
	}
}

/* ---- receiving ---- */

/* The copy of slot idx: still published as idx (the peer may have
 * rewritten it after we saw its seq), and its contents within bounds. */
static bool slot_ok(const struct mxl_pair *p, const struct mxn_pair_slot *s, uint32_t idx)
{
	if (s->seq != mxn_pair_seq_of(idx))
		return false;
	if (s->type == MXN_PAIR_TINY)
		return s->length <= MXN_TINY_MAX;
	if (s->type == MXN_PAIR_FIN)
		return true; /* its handle is checked against our sends */
	if (s->type == MXN_PAIR_RNDV) {
		struct mxn_pair_rndv a;

		memcpy(&a, s->tiny, sizeof(a));
		/* only where we said we take them (MXN_RINGF_PAIR_RNDV) */
		return p->proc && a.nsegs && a.nsegs <= MXN_MAX_SEGMENTS &&
		       s->off < p->lay.data_size &&
		       a.nsegs * sizeof(struct mxn_vaddr_seg) <= p->lay.data_size - s->off;
	}
	if (s->type != MXN_PAIR_QUEUED)
		return false;
	return s->length <= MXN_MEDIUM_MAX_LIMIT && s->off < p->lay.data_size &&
	       s->length <= p->lay.data_size - s->off;
}

/* The arrival a slot stands for.  Who sent it is what the daemon told us,
 * not what the slot says. */
static void slot_evt(struct mx_endpoint *ep, const struct mxl_pair *p,
		     const struct mxn_pair_slot *s, struct mxn_evt *e)
{
	memset(e, 0, sizeof(*e));
	e->type = s->type == MXN_PAIR_TINY   ? MXN_EVT_RECV_TINY
		  : s->type == MXN_PAIR_RNDV ? MXN_EVT_RECV_RNDV
					     : MXN_EVT_RECV_QUEUED;
	e->length = s->length;
	e->match_info = s->match_info;
	e->src_nic_id = mxn_evt_nic_seq(ep->info.nic_id, s->send_seq);
	e->src_peer = MXN_PEER_SELF;
	e->src_endpoint = p->peer_ep;
	e->src_session = p->peer_session;
}

bool mxl_pair_drain(struct mx_endpoint *ep, struct mxl_lpeer *lp, const uint32_t *until)
{
	struct mxl_pair *p = lp->pair;
	enum mxn_pair_seq st;
	struct mxn_pair_slot s;
	struct mxn_evt e;
	uint32_t n = 0;
	bool done = true;

	if (!p || p->broken)
		return false;
	while (!p->broken) {
		if (until ? (int32_t)(lp->rx_p - *until) >= 0 : n >= MXL_PAIR_BUDGET)
			break;
		/* The slot says whether it is written (no read of prod). */
		st = mxl_pair_rx_state(p);
		if (st == MXN_PAIR_SEQ_EMPTY) {
			done = !until;
			break;
		}
		/* Copy first: the peer may rewrite the slot at any time. */
		if (st == MXN_PAIR_SEQ_READY)
			memcpy(&s, &p->rx_slots[p->rx.cons_pvt & p->rx.mask], sizeof(s));
		if (st != MXN_PAIR_SEQ_READY || !slot_ok(p, &s, p->rx.cons_pvt)) {
			pair_fault(ep, p);
			done = false;
			break;
		}
		if (s.type == MXN_PAIR_FIN) {
			/* not a message: never held back, not counted */
			if (!mxl_pair_rndv_fin(ep, p, &s)) {
				pair_fault(ep, p);
				done = false;
				break;
			}
			p->rx.cons_pvt++;
			n++;
			continue;
		}
		/* Daemon-path messages sent before this one come first. */
		if ((int32_t)(s.dcount - lp->rx_d) > 0) {
			done = !until;
			break;
		}
		slot_evt(ep, p, &s, &e);
		if (mxl_unexp_full(ep, &e)) {
			ep->unexp_stalled = true;
			ep->counters[MXL_CNT_UNEXP_STALL]++;
			done = !until;
			break;
		}
		/* Queued payload stays in the channel until the slot is
		 * released, after mxl_arrival copied it out. */
		if (s.type == MXN_PAIR_RNDV)
			mxl_pair_rndv_arrival(ep, p, &s, &e, p->rx_data + s.off);
		else
			mxl_arrival(ep, &e, s.type == MXN_PAIR_TINY ? s.tiny : p->rx_data + s.off);
		ep->counters[MXL_CNT_PAIR_RECV]++;
		p->rx.cons_pvt++;
		lp->rx_p++;
		n++;
	}
	if (n)
		p->idle_wakes = 0; /* it sent something: its wake-ups were due */
	if (n && !p->broken) {
		bool ring = mxn_ring_release(&p->rx);

		p->rx_published = p->rx.cons_pvt;
		if (ring)
			bell(ep, p);
	}
	return done;
}

void mxl_pair_drain_all(struct mx_endpoint *ep)
{
	/* Index loop: a handler's nested call cannot free a channel (faults
	 * only mark it broken; mxl_pair_report_faults frees). */
	for (uint32_t i = 0; i < ep->npairs; i++)
		(void)mxl_pair_drain(ep, &ep->lp[ep->pairs[i]->peer_ep], NULL);
}

/*
 * The final check before sleeping on one channel: ask for a notification
 * at the next slot, then look at prod and at that slot.  The seq_cst fence
 * orders the prod_event store before both loads and pairs with the fence
 * of the peer's mxn_ring_push: either its push sees our prod_event and
 * rings, or we see its seq (stored before its prod).  prod, read with
 * acquire before the seq, must agree with the slot (pair.h "Trust"): the
 * one place the peer's prod is checked, off the fast path.  The prod seen
 * is what a futex sleep waits to change (fbell.c): it may lag our cons.
 */
static bool pair_arm(struct mx_endpoint *ep, struct mxl_pair *p)
{
	uint32_t prod;
	enum mxn_pair_seq st;

	atomic_store_explicit(MXN_ATOMIC(&p->rx.ctl->prod_event), p->rx.cons_pvt + 1u,
			      memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	prod = mxn_ring_peek_prod(&p->rx);
	st = mxn_pair_prod_state(prod, mxl_pair_rx_seq(p), p->rx.cons_pvt, mxn_ring_slots(&p->rx));
	p->rx_prod_armed = prod;
	if (st == MXN_PAIR_SEQ_BAD)
		pair_fault(ep, p); /* no sleep: progress reports it first */
	return st != MXN_PAIR_SEQ_EMPTY;
}

bool mxl_pair_arm(struct mx_endpoint *ep, bool futex)
{
	bool more = false;

	for (uint32_t i = 0; i < ep->npairs; i++) {
		struct mxl_pair *p = ep->pairs[i];

		if (p->broken)
			continue;
		/* How we sleep, before the fence of the arm (see bell_data;
		 * fin_quiet: mxl_pair_nap just before). */
		atomic_store_explicit(MXN_ATOMIC(&p->rx.ctl->flags),
				      (futex ? MXN_RINGF_FUTEX : 0u) |
					      (p->proc ? MXN_RINGF_PAIR_RNDV : 0u) |
					      (futex && p->fin_quiet ? MXN_RINGF_FIN_QUIET : 0u),
				      memory_order_relaxed);
		more |= pair_arm(ep, p);
	}
	return more;
}

void mxl_pair_idle_wake(struct mx_endpoint *ep, struct mxl_pair *p)
{
	ep->counters[MXL_CNT_PAIR_IDLE_WAKE]++;
	if (++p->idle_wakes > MXL_FBELL_IDLE_MAX)
		pair_fault(ep, p);
}

void mxl_pair_disarm(struct mx_endpoint *ep)
{
	for (uint32_t i = 0; i < ep->npairs; i++)
		if (!ep->pairs[i]->broken)
			mxn_ring_disarm_woken(&ep->pairs[i]->rx);
}

void mxl_pair_probe_lost(struct mx_endpoint *ep)
{
	for (uint32_t i = 0; i < ep->npairs; i++) {
		struct mxl_pair *p = ep->pairs[i];

		if (p->attached && !p->broken && ep->t.ops->pair_ring(&ep->t, &p->chan) == -EPIPE)
			pair_lost(ep, p);
	}
}
