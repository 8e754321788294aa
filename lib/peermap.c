/* SPDX-License-Identifier: MIT */
/*
 * Remote hosts after a re-attach (issue 13).  An address names a remote
 * endpoint by nic id, index and session, plus the daemon's number of its
 * host (mxn_cmd.dest_peer) as a hint.  A daemon started again numbers its
 * peers afresh, in the order it meets them (its configuration, then the
 * hosts that call): the hints the application holds in its addresses, and
 * those of the sends waiting to go again, may name another host now.  A
 * send there is refused (the session is another), tried again with the
 * same wrong number until the re-attach window ends, while newer sends
 * to the host, from addresses the new daemon made, go through and the
 * receiver then drops the older ones as already taken.
 *
 * So the library keys by what does not change, the nic id: after a
 * re-attach, every remote number comes from a map nic id -> number of this
 * daemon, filled as the new daemon speaks (arrivals, the answers to our
 * re-connects) and, for the hosts it has not named yet, by a LOOKUP by
 * nic id.  A send to a host whose number is not known yet waits for the
 * answer (it is what the command needs); the map is asked once per host
 * (again after a second when the daemon did not find it).
 *
 * And the order: the receiver drops what is not newer than what it took
 * from us (seqtrack.h).  A send sent again may be refused once more (its
 * peer's daemon has not connected again yet) while a newer send to the
 * same peer, issued just behind it, finds the connection made and goes
 * through.  So until a send sent again has completed, newer sends to its
 * peer wait (counter "Sends held behind a resend to their peer").  Both
 * waits end with the re-attach window: after it the numbers go as they
 * are (a wrong one is refused, never delivered: sessions are random).
 */
#include <stdlib.h>
#include <string.h>
#include "mxl.h"

#define MXL_REMAP_RETRY_NS 1000000000ull /* a host the daemon did not find */

static struct mxl_peer_map *entry(const struct mx_endpoint *ep, uint64_t nic_id)
{
	for (uint32_t i = 0; i < ep->npmap; i++)
		if (ep->pmap[i].nic_id == nic_id)
			return &ep->pmap[i];
	return NULL;
}

/* A new entry; the table full, the oldest goes (it is asked again). */
static struct mxl_peer_map *entry_add(struct mx_endpoint *ep, uint64_t nic_id)
{
	struct mxl_peer_map *m;

	if (!ep->pmap)
		return NULL;
	if (ep->npmap == MXL_PEER_MAP) {
		memmove(ep->pmap, ep->pmap + 1, (MXL_PEER_MAP - 1) * sizeof(*ep->pmap));
		ep->npmap--;
	}
	m = &ep->pmap[ep->npmap++];
	memset(m, 0, sizeof(*m));
	m->nic_id = nic_id;
	return m;
}

void mxl_peermap_reset(struct mx_endpoint *ep)
{
	if (!ep->pmap)
		ep->pmap = calloc(MXL_PEER_MAP, sizeof(*ep->pmap));
	/* without the map, the hints stay: as before (a restart that swaps
	 * numbers then waits for the window to end) */
	ep->pmap_on = ep->pmap != NULL;
	ep->npmap = 0;
	ep->nresend_open = 0;
}

void mxl_peermap_learn(struct mx_endpoint *ep, uint64_t nic_id, uint16_t peer)
{
	struct mxl_peer_map *m;

	nic_id &= MXN_NIC_ID_MASK;
	if (!ep->pmap_on || peer == MXN_PEER_SELF || nic_id == ep->info.nic_id)
		return;
	m = entry(ep, nic_id);
	if (!m)
		m = entry_add(ep, nic_id);
	if (!m)
		return;
	if (!m->known)
		ep->resend_at_ns = 0; /* what waited for it goes now */
	m->peer = peer;
	m->known = true;
}

uint16_t mxl_peermap_find(const struct mx_endpoint *ep, uint64_t nic_id, uint16_t dflt)
{
	const struct mxl_peer_map *m;

	if (!ep->pmap_on)
		return dflt;
	m = entry(ep, nic_id);
	return m && m->known ? m->peer : dflt;
}

/* One lookup by nic id, ahead of what waits for it. */
static void ask(struct mx_endpoint *ep, uint64_t nic_id)
{
	struct mxl_peer_map *m = entry(ep, nic_id);
	uint64_t now = mxl_now_ns();
	struct mxl_req *r;

	if (!m)
		m = entry_add(ep, nic_id);
	if (!m || (m->asked_ns && now - m->asked_ns < MXL_REMAP_RETRY_NS))
		return;
	r = mxl_req_new(ep, MXL_REQ_LOOKUP, NULL);
	if (!r)
		return;
	r->state |= MXL_RS_INTERNAL | MXL_RS_SELFFREE;
	r->nic_id = nic_id;
	r->name[0] = '\0';
	r->map_peer = true;
	if (mxl_issue_internal(ep, r)) {
		mxl_req_complete(r, MX_STATUS_NO_RESOURCES); /* freed; asked next time */
		return;
	}
	m->asked_ns = now;
	ep->counters[MXL_CNT_PEER_REMAP]++;
}

void mxl_peermap_answer(struct mx_endpoint *ep, const struct mxl_req *r, const struct mxn_evt *e)
{
	if (e->status == MXN_ST_OK && (e->u.lookup.nic_id & MXN_NIC_ID_MASK) == r->nic_id)
		mxl_peermap_learn(ep, r->nic_id, e->u.lookup.peer);
	/* not found: asked again a second after it was asked */
}

static bool same_dest(const struct mx_endpoint *ep, const struct mxl_addr *a,
		      const struct mxl_addr *b)
{
	return a->endpoint == b->endpoint && a->session == b->session &&
	       mxl_addr_nic_now(ep, a) == mxl_addr_nic_now(ep, b);
}

/* A send sent again to r's peer that has not completed. */
static bool resend_open_to(struct mx_endpoint *ep, const struct mxl_req *r)
{
	struct mxl_list *pos;

	if (!ep->nresend_open)
		return false;
	mxl_list_for_each(pos, &ep->inflight) {
		const struct mxl_req *o = mxl_container_of(pos, struct mxl_req, fl_link);

		if (o->resend_open && o != r && same_dest(ep, &o->dest, &r->dest))
			return true;
	}
	return false;
}

bool mxl_peermap_hold(struct mx_endpoint *ep, const struct mxl_req *r)
{
	const struct mxl_peer_map *m;
	uint64_t nic_id;

	if (!ep->pmap_on || mxl_now_ns() >= ep->settle_until_ns)
		return false;
	nic_id = mxl_addr_nic_now(ep, &r->dest);
	if (nic_id == ep->info.nic_id)
		return false; /* this host: no number to learn */
	m = entry(ep, nic_id);
	if (!m || !m->known) {
		ask(ep, nic_id);
		return true;
	}
	if (!r->resent && resend_open_to(ep, r)) {
		ep->counters[MXL_CNT_RESEND_HELD]++;
		return true;
	}
	return false;
}

void mxl_resend_opened(struct mx_endpoint *ep, struct mxl_req *r)
{
	if (r->resend_open)
		return;
	r->resend_open = true;
	ep->nresend_open++;
}

void mxl_resend_closed(struct mx_endpoint *ep, struct mxl_req *r)
{
	if (!r->resend_open)
		return;
	r->resend_open = false;
	if (ep->nresend_open)
		ep->nresend_open--;
}
