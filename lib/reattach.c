/* SPDX-License-Identifier: MIT */
/*
 * Surviving the daemon.  When the transport reports the daemon gone
 * (myribackd restarted, or this guest restored or migrated) and it can
 * re-attach, the endpoint is not lost:
 *
 *  1. the event ring is drained: what the old daemon produced is valid
 *     (completions, arrivals), and nothing new is issued meanwhile;
 *  2. the transport re-attaches the same area with the same index and
 *     session (peers' addresses stay valid); both rings start from 0;
 *  3. every connection this endpoint made is made again (the new daemon
 *     knows none), then every command that had not completed is issued
 *     again in its original order: sends from the command kept at issue
 *     (buffered payloads live in it or in the sendq chunk still held),
 *     rendezvous described again, connects and lookups as they were.
 *     Pulls cannot be issued again (their rendezvous handle died with the
 *     daemon): they wait on ep->reannounce for the sender's resent
 *     rendezvous, found by its sequence number (seqtrack.h); a native
 *     Open-MX node's, which is never resent, is asked for again with the
 *     window it announced (wire_rndv.c).
 *
 * Pair channels are memory both libraries hold: they keep running, and when
 * the new daemon brokers the same peers again the old channel is kept
 * under the new id (pair.c, keep_survivor, xen_adopt).  Not after a restore
 * or a migration of this guest (the transport says regions were lost):
 * Xen channels' grants and bells died with the old domain, so they are
 * dropped (pair.c, mxl_pair_drop_restored) and new ones brokered.
 *
 * Receivers drop what they had already taken (sequence numbers), so a
 * resent message is never delivered twice.  While peers may still be
 * re-attaching (MXL_SETTLE_MS), a send their daemon refuses because they
 * are not back yet waits on ep->resend and is tried again.
 *
 * The same window opens when a peer of this host is away (its guest is
 * being saved or migrated, MXN_ST_AWAY): the daemon parks our later sends
 * to it, fails the ones it had announced (we announce them again, with
 * their numbers) and our pulls of its rendezvous (we wait for its resend
 * once it re-attaches), so nothing is lost while it is written out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mxl.h"

#define MXL_SETTLE_MS 60000u   /* peers' own re-attach may take this long */
#define MXL_RESEND_MS 20u

void mxl_conn_remember(struct mx_endpoint *ep, const struct mxl_req *r, uint64_t nic_id,
		       uint32_t session)
{
	struct mxl_conn_rec *c;
	uint32_t i;

	for (i = 0; i < ep->nconns; i++) {
		c = &ep->conns[i];
		if ((c->nic_id == r->nic_id || c->nic_id == nic_id) && c->endpoint == r->remote_ep &&
		    c->key == r->key) {
			c->nic_id = nic_id; /* a peer that moved along is here now */
			c->session = session;
			return;
		}
	}
	if (ep->nconns == ep->conns_cap) {
		uint32_t n = ep->conns_cap ? ep->conns_cap * 2 : 8;

		c = realloc(ep->conns, n * sizeof(*c));
		if (!c)
			return; /* not remembered: a re-attach cannot redo it */
		ep->conns = c;
		ep->conns_cap = n;
	}
	ep->conns[ep->nconns++] = (struct mxl_conn_rec){ .nic_id = nic_id, .key = r->key,
							 .session = session,
							 .endpoint = r->remote_ep };
}

/* A re-connect after our move was answered: that is where the peer is from
 * here (moved along: this host; stayed: its host).  An answer from another
 * opening of that index (another session) says nothing about our peer. */
void mxl_reconnected(struct mx_endpoint *ep, const struct mxl_req *r, const struct mxn_evt *e)
{
	struct mxl_addr old = { .nic_id = r->nic_id, .endpoint = r->remote_ep,
				.session = r->proof, .peer = MXN_PEER_SELF, .valid = true };
	uint64_t at = e->u.connect.nic_id & MXN_NIC_ID_MASK;

	if (!r->proof || e->u.connect.session != r->proof)
		return;
	if (at != ep->info.nic_id) /* it did not move along: its numbers are its host's */
		mxl_seq_rekey_one(ep->seqs, ep->info.nic_id, old.endpoint, old.session, old.nic_id);
	mxl_route_set(ep, &old, at, e->u.connect.peer);
}

static bool peer_not_back(mx_status_code_t code)
{
	return code == MX_STATUS_BAD_SESSION || code == MX_STATUS_ENDPOINT_CLOSED ||
	       code == MX_STATUS_BAD_ENDPOINT;
}

/* Peers may be re-attaching (we did), or one is away or being moved (a
 * send came back MXN_ST_AWAY or MXN_ST_MOVED, mxl_peer_away): sends they
 * refuse are tried again until then. */
static bool settling(const struct mx_endpoint *ep, mx_status_code_t code)
{
	return peer_not_back(code) && !ep->dead && ep->settle_until_ns &&
	       mxl_now_ns() < ep->settle_until_ns;
}

/* ep->resend stays in first-issue order: a receiver drops what is not newer
 * than what it took, so an older send must never follow a newer one. */
static void resend_insert(struct mx_endpoint *ep, struct mxl_req *r)
{
	struct mxl_list *pos = ep->resend.prev;

	while (pos != &ep->resend &&
	       mxl_container_of(pos, struct mxl_req, link)->issue_no > r->issue_no)
		pos = pos->prev;
	/* insert after pos */
	r->link.prev = pos;
	r->link.next = pos->next;
	pos->next->prev = &r->link;
	pos->next = &r->link;
	r->state &= ~MXL_RS_INFLIGHT;
	r->state |= MXL_RS_RESEND;
}

void mxl_peer_away(struct mx_endpoint *ep)
{
	uint64_t until = mxl_now_ns() + MXL_SETTLE_MS * 1000000ull;

	if (ep->settle_until_ns < until)
		ep->settle_until_ns = until;
}

bool mxl_resend_later(struct mx_endpoint *ep, struct mxl_req *r, mx_status_code_t code)
{
	if (!settling(ep, code))
		return false;
	mxl_cookie_drop(ep, r); /* its sendq chunk and region stay */
	resend_insert(ep, r);
	ep->resend_at_ns = mxl_now_ns() + MXL_RESEND_MS * 1000000ull;
	return true;
}

/* Pulls still waiting once peers had their time: their sender is gone.
 * Likewise pair channels whose peer never came back. */
static void reannounce_expire(struct mx_endpoint *ep)
{
	if (ep->pair_survivors && mxl_now_ns() >= ep->settle_until_ns) {
		ep->pair_survivors = false;
		mxl_pair_expire_survivors(ep);
	}
	if (mxl_list_empty(&ep->reannounce) || mxl_now_ns() < ep->settle_until_ns)
		return;
	while (!mxl_list_empty(&ep->reannounce))
		mxl_req_complete(mxl_container_of(ep->reannounce.next, struct mxl_req, link),
				 MX_STATUS_ENDPOINT_CLOSED);
}

uint64_t mxl_resend_next(const struct mx_endpoint *ep)
{
	uint64_t due = UINT64_MAX;

	if (!mxl_list_empty(&ep->resend))
		due = ep->resend_at_ns;
	if ((ep->pair_survivors || !mxl_list_empty(&ep->reannounce)) && ep->settle_until_ns < due)
		due = ep->settle_until_ns;
	/* sends held behind a resend go at the window's end (peermap.c) */
	if (ep->nresend_open && ep->settle_until_ns < due && mxl_now_ns() < ep->settle_until_ns)
		due = ep->settle_until_ns;
	return due;
}

void mxl_resend_due(struct mx_endpoint *ep)
{
	int err;

	if (!ep->reattaching)
		reannounce_expire(ep);
	if (mxl_list_empty(&ep->resend) || ep->reattaching || mxl_now_ns() < ep->resend_at_ns)
		return;
	while (!mxl_list_empty(&ep->resend)) {
		struct mxl_req *r = mxl_container_of(ep->resend.next, struct mxl_req, link);

		err = mxl_reissue(ep, r);
		if (err == -EAGAIN)
			break;
		if (err == -EBUSY) { /* its host's number: asked (peermap.c) */
			ep->resend_at_ns = mxl_now_ns() + MXL_RESEND_MS * 1000000ull;
			break;
		}
		mxl_list_del(&r->link);
		r->state &= ~MXL_RS_RESEND;
		if (err) {
			if (r->kind == MXL_REQ_ZOMBIE)
				ep->nzombies--;
			mxl_req_complete(r, MX_STATUS_ABORTED);
			continue;
		}
		ep->counters[MXL_CNT_RESENT]++;
	}
	mxl_flush(ep);
}

static void reconnect(struct mx_endpoint *ep, const struct mxl_conn_rec *c)
{
	struct mxl_req *r = mxl_req_new(ep, MXL_REQ_CONNECT, NULL);

	if (!r)
		return;
	r->state |= MXL_RS_INTERNAL | MXL_RS_SELFFREE;
	r->nic_id = c->nic_id;
	r->key = c->key;
	r->remote_ep = c->endpoint;
	/* after a move: re-announce ourselves (docs/migration.md) */
	r->moved_from = ep->moved_from;
	r->proof = ep->moved_from ? c->session : 0;
	r->deadline_ns = ep->settle_until_ns; /* retried while the peer is not back */
	r->timeout_ms = MXL_SETTLE_MS;
	mxl_submit(ep, r);
}

/* Make every remembered connection again before anything is resent; after
 * a move, also tell the peers that had only connected to us. */
static void reconnect_all(struct mx_endpoint *ep)
{
	uint32_t i;

	for (i = 0; i < ep->nconns; i++)
		reconnect(ep, &ep->conns[i]);
	for (i = 0; i < ep->ntold; i++)
		reconnect(ep, &ep->told[i]);
	ep->counters[ep->moved_from ? MXL_CNT_MOVE_TOLD : MXL_CNT_WIRE_CONNECT_BACK] += ep->ntold;
	free(ep->told);
	ep->told = NULL;
	ep->ntold = 0;
}

static bool is_conn(const struct mx_endpoint *ep, uint64_t nic_id, uint8_t endpoint,
		    uint32_t session)
{
	uint32_t i;

	for (i = 0; i < ep->nconns; i++)
		if (ep->conns[i].nic_id == nic_id && ep->conns[i].endpoint == endpoint &&
		    ep->conns[i].session == session)
			return true;
	return false;
}

/*
 * A peer that connected to us while we never connected to it (it sends, we
 * only answer status.source) is in the sequence table, not in conns; its
 * library learns our move only from a connect of ours.  Noted here, under
 * the nic ids we knew them by (before mxl_seq_rekey), and told by
 * reconnect_all with OUR key: an MX job opens its endpoints with one
 * filter.  A peer opened with another key refuses it (the key check
 * stands) and is not told, as before.
 *
 * native_only: our daemon restarted (we did not move).  A myrixen peer's
 * daemon connects to the new one again by itself (daemon/wire/mxoe_life.c);
 * a native Open-MX node never does, and without a handshake the new
 * daemon has no partner for its frames (dropped while we come back, then
 * refused: its sends failed "bad session").  So those, the sources whose
 * numbers were wire seqnums, are connected to the same way.
 */
static void note_told(struct mx_endpoint *ep, uint64_t from, bool native_only)
{
	const struct mxl_seq_peer *p;
	uint32_t i;

	free(ep->told);
	ep->ntold = 0;
	ep->told = calloc(MXL_SEQ_PEERS, sizeof(*ep->told));
	if (!ep->told)
		return; /* those peers are not told: they fail after the quiet minute */
	for (i = 0; i < MXL_SEQ_PEERS; i++) {
		p = &ep->seqs->p[i];
		if (!p->used || (native_only && !p->wire_known) ||
		    (p->nic_id == from && p->endpoint == ep->info.endpoint &&
		     p->session == ep->info.session) ||
		    is_conn(ep, p->nic_id, p->endpoint, p->session))
			continue;
		ep->told[ep->ntold++] = (struct mxl_conn_rec){ .nic_id = p->nic_id, .key = ep->key,
							       .session = p->session,
							       .endpoint = p->endpoint };
	}
}

/* A pull whose rendezvous died: wait for the sender to announce it again. */
static void await_reannounce(struct mx_endpoint *ep, struct mxl_req *r);

bool mxl_pull_later(struct mx_endpoint *ep, struct mxl_req *r, mx_status_code_t code)
{
	if (!settling(ep, code))
		return false;
	if (mxl_wire_pull_later(ep, r)) /* a native node's: asked for again */
		return true;
	if (!r->seq)
		return false;
	await_reannounce(ep, r);
	return true;
}

static void await_reannounce(struct mx_endpoint *ep, struct mxl_req *r)
{
	mxl_req_release_resources(r);
	r->state &= ~MXL_RS_INFLIGHT;
	if (r->kind == MXL_REQ_DISCARD) {
		mxl_req_complete(r, MX_STATUS_ABORTED); /* freed; a resend is released anew */
		return;
	}
	/* Copied already under a grant of the old daemon, PULL_FIN not taken:
	 * pull again from the re-announce.  A PULL_FIN quoting the new handle
	 * names a grant the new daemon never made; it drops it, and the
	 * sender's send would never complete. */
	r->fin_pending = false;
	r->state |= MXL_RS_REANNOUNCE;
	mxl_list_add_tail(&ep->reannounce, &r->link);
}

static void requeue_one(struct mx_endpoint *ep, struct mxl_req *r)
{
	switch (r->kind) {
	case MXL_REQ_SEND:
	case MXL_REQ_ZOMBIE: /* completed at issue: its bytes are in the sendq */
		resend_insert(ep, r);
		return;
	case MXL_REQ_RECV:
	case MXL_REQ_DISCARD:
		if (!mxl_wire_pull_later(ep, r)) /* a native node's: asked for again */
			await_reannounce(ep, r);
		return;
	default: /* connect, lookup: ask the new daemon */
		mxl_req_release_resources(r);
		r->state &= ~MXL_RS_INFLIGHT;
		mxl_submit(ep, r);
	}
}

/* Everything the old daemon held, in issue order (after the connections
 * are made again); pulls in the backlog carry dead handles too. */
static void requeue_all(struct mx_endpoint *ep)
{
	struct mxl_list *pos, *next;
	struct mxl_req **v;
	uint32_t n = 0, i;

	for (pos = ep->backlog.next; pos != &ep->backlog; pos = next) {
		struct mxl_req *r = mxl_container_of(pos, struct mxl_req, link);

		next = pos->next;
		if (r->state & MXL_RS_INFLIGHT) {
			/* a window still to hand over: the request is in
			 * flight, requeued below with the others */
			mxl_list_del(&r->link);
			r->state &= ~MXL_RS_BACKLOG;
			continue;
		}
		if ((r->kind == MXL_REQ_RECV || r->kind == MXL_REQ_DISCARD) &&
		    !mxl_wire_dead_handle(ep, r)) { /* a native node's is asked for again */
			mxl_list_del(&r->link);
			r->state &= ~MXL_RS_BACKLOG;
			await_reannounce(ep, r);
		}
	}
	mxl_list_for_each(pos, &ep->inflight)
		n++;
	v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v) {
		mxl_fail_all(ep, MX_STATUS_ABORTED);
		return;
	}
	i = 0;
	mxl_list_for_each(pos, &ep->inflight)
		v[i++] = mxl_container_of(pos, struct mxl_req, fl_link);
	for (i = 0; i < n; i++) {
		v[i]->follow_hold = false; /* all go again, in order */
		v[i]->resend_open = false;
	}
	ep->follow_inflight = 0;
	reconnect_all(ep);
	for (i = 0; i < n; i++)
		requeue_one(ep, v[i]);
	free(v);
	ep->resend_at_ns = 0; /* due now */
}

uint64_t mxl_nic_now(const struct mx_endpoint *ep, uint64_t nic_id)
{
	uint32_t i;

	for (i = 0; i < ep->nnic_past && i < MXL_NIC_PAST; i++)
		if (ep->nic_past[i] == nic_id)
			return ep->info.nic_id;
	return nic_id;
}

/*
 * The guest moved to another host (xl migrate): the endpoint came back with
 * its index and session but the new host's nic id.  Every endpoint of the
 * guest moved with it, so an address naming the old nic id names this host
 * now (mxl_nic_now: sends go to the local peer index; connections are made
 * here when the index is the guest's own, core_cmd.c) and the numbers of those peers go on under the new nic id,
 * until a re-connect's answer says a peer stayed (mxl_reconnected).  The
 * re-connects re-announce us to peers elsewhere: docs/migration.md.
 */
static void moved(struct mx_endpoint *ep, uint64_t from, uint64_t to)
{
	uint32_t i, n = 0;

	for (i = 0; i < ep->nnic_past && i < MXL_NIC_PAST; i++) /* back where it was? */
		if (ep->nic_past[i] != to)
			ep->nic_past[n++] = ep->nic_past[i];
	if (n == MXL_NIC_PAST) { /* the oldest goes */
		memmove(ep->nic_past, ep->nic_past + 1, (MXL_NIC_PAST - 1) * sizeof(uint64_t));
		n--;
	}
	ep->nic_past[n++] = from;
	ep->nnic_past = n;
	note_told(ep, from, false); /* before the numbers move to the new nic id */
	/* until a re-connect's answer says a peer stayed (mxl_reconnected) */
	mxl_seq_rekey(ep->seqs, from, to);
	for (i = 0; i < n; i++)
		mxl_seq_rekey(ep->seqs, ep->nic_past[i], to);
	ep->moved_from = from; /* the re-connects below say so */
	ep->counters[MXL_CNT_MOVED]++;
}

bool mxl_reattach(struct mx_endpoint *ep)
{
	struct mxn_open_rsp rsp;
	bool regions_lost = false;
	int err;

	if (!ep->t.ops->reattach || ep->reattaching || ep->dead)
		return false;
	ep->reattaching = true;
	/* The old daemon may have failed sends and pulls "peer closed" while it
	 * stopped: those are resent too (settling), so the window opens now. */
	ep->settle_until_ns = mxl_now_ns() + MXL_SETTLE_MS * 1000000ull;
	mxl_pair_probe_lost(ep); /* a restore voided the Xen channels */
	mxl_drain_events(ep);
	err = ep->dead ? -EPIPE : ep->t.ops->reattach(&ep->t, &rsp, &regions_lost);
	/* Same index and session, or peers' addresses name someone else; a
	 * smaller medium_max would refuse sends already in the sendq. */
	if (!err && (rsp.endpoint != ep->info.endpoint || rsp.session != ep->info.session ||
		     rsp.medium_max < ep->medium_max))
		err = -ESTALE;
	ep->reattaching = false;
	if (err)
		return false;
	rsp.medium_max = ep->medium_max;
	rsp.hostname[MXN_HOSTNAME_MAX - 1] = '\0';
	ep->moved_from = 0;
	if (rsp.nic_id != ep->info.nic_id) {
		uint64_t from = ep->info.nic_id;

		ep->info = rsp;
		moved(ep, from, rsp.nic_id);
	} else {
		note_told(ep, rsp.nic_id, true); /* native nodes that connected to us */
	}
	ep->info = rsp;
	mxl_map_rings(ep);
	ep->counters[MXL_CNT_REATTACH]++;
	ep->life++; /* rendezvous handles of the old daemon are dead */
	ep->settle_until_ns = mxl_now_ns() + MXL_SETTLE_MS * 1000000ull;
	if (regions_lost)
		mxl_pair_drop_restored(ep);
	mxl_pair_mark_survivors(ep);
	ep->pair_survivors = ep->npairs != 0;
	mxl_peermap_reset(ep); /* the new daemon numbers remote hosts afresh */
	requeue_all(ep);
	mxl_resend_due(ep);
	mxl_issue_backlog(ep);
	mxl_flush(ep);
	mxl_wake_waiters(ep);
	return true;
}
