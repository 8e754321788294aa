/* SPDX-License-Identifier: MIT */
/*
 * A daemon restart seen from both sides of a connection (issue 13).
 *
 * A connection is made by the side that holds the other endpoint's key:
 * the library that called mx_connect.  When that side's daemon restarts,
 * its library connects again (lib/reattach.c).  When the other side's
 * daemon restarts, the endpoint there only accepted: its library cannot
 * connect back (MX gives it no key, only the source address of what it
 * received), and before this nobody connected again, so the conversation
 * stopped both ways.  Now:
 *
 *  - a restarted daemon with endpoints coming back (quiet, see
 *    mxoe_proto.h ep_quiet) tells the segment its new incarnation: a
 *    broadcast HOST_QUERY with our magic (mxoe_wire.h) at start and again
 *    after 1, 2, 4, 8, 16 and 32 s (an endpoint takes up to the library's
 *    minute to come back; a lost frame is made good by the next);
 *  - every query of ours carries it, and so does our answer to a query
 *    that carried the magic, so a peer probing us for liveness (we owe it
 *    an ack) learns it even if the broadcasts were lost;
 *  - a daemon that hears of a new incarnation of a peer connects again,
 *    on its own, every partner there it had connected to (it kept the key
 *    the connect proved), as the library would have.  The other side's
 *    reply then has the usual effect of a new life (mxoe_proto.c): what
 *    was in flight goes again first, rendezvous its receiver lost are
 *    announced again, pulls from its dead windows wait for the re-announce.
 *
 * The check is a connect like any other, with the key the application gave:
 * a forged query only costs a connect that the real peer answers as the
 * life we already know (no state changes), at most once a second per peer.
 *
 * While the daemon is down its peers hear nothing, and a peer that owes
 * them something (acks, pull replies, a NOTIFY) is given up on after
 * peer_timeout_us of silence (65 s by default, MX's request timeout):
 * every transfer with it fails.  A daemon killed and started again within
 * it is ridden out like any restart.  A shorter timeout may be configured
 * (peer_timeout_ms), so a daemon that stops (SIGTERM: systemctl stop or restart) while it holds
 * partners says so first: a HOST_QUERY marked leaving (mxoe_wire.h) to
 * each host where it has one, twice (`leaves`).  The peer then keeps
 * probing it but gives up on it no sooner than pull_park_us later (the
 * library's re-attach minute and a margin: `peers_away`), unless another
 * life speaks first (its successor; given up on as usual from then).  A
 * daemon killed or crashed says nothing: its peers give up after
 * peer_timeout_us.  A forged "leaving" only delays the verdict on a host
 * that is really gone by that window.
 */
#include <errno.h>
#include "mxoe_int.h"

#define MXW_ANNOUNCES 7u                /* at 0, 1, 2, 4, 8, 16, 32 s */
#define MXW_LIFE_CHECK_US 1000000u      /* a peer's lives are looked at this often */

static bool any_quiet(struct mxw_proto *pr)
{
	if (!pr->cb.ep_quiet)
		return false;
	for (unsigned i = 0; i < 256; i++)
		if (pr->cb.ep_quiet(pr->cb.ctx, (uint8_t)i))
			return true;
	return false;
}

void mxw_announce_arm(struct mxw_proto *pr)
{
	pr->announce_step = 0;
	mxw_timer_earlier(pr, &pr->t_announce, mxw_now(pr));
}

uint64_t mxw_announce_progress(struct mxw_proto *pr, uint64_t now)
{
	uint32_t k = pr->announce_step++;

	if (k >= MXW_ANNOUNCES)
		return MXW_NO_DEADLINE;
	/* a fresh start (nothing coming back) has no one to tell */
	if (any_quiet(pr)) {
		mxw_tx_query_all(pr);
		pr->st.announces++;
	}
	if (k + 1 >= MXW_ANNOUNCES)
		return MXW_NO_DEADLINE;
	return now + ((uint64_t)1000000u << (k ? k - 1 : 0));
}

static bool connecting(const struct mxw_proto *pr, const struct mxw_partner *pt)
{
	const struct mxw_conn_req *cr;

	TAILQ_FOREACH(cr, &pr->connects, link)
		if (cr->peer == pt->peer && cr->from.index == pt->lep && cr->rep == pt->rep)
			return true;
	return false;
}

/* Connect pt again for our endpoint, if it is still the one that connected. */
static void reconnect(struct mxw_proto *pr, struct mxw_partner *pt)
{
	struct mxw_ep from = { .index = pt->lep, .session = pt->lsession };
	uint32_t session, key;

	if (pr->cb.ep_info(pr->cb.ctx, pt->lep, &session, &key) || session != pt->lsession)
		return;     /* our endpoint closed or reopened: nothing to keep */
	/* the other endpoint comes back within its library's minute:
	 * resent as long as a pull waits for its sender (pull_park_us) */
	if (mxw_connect_start(pr, from, 0, pt->peer, pt->rep, pt->key,
			      pr->p.pull_park_us / 1000u, true))
		return;
	pr->st.reconnects++;
	pr->peers[pt->peer].st.reconnects++;
}

void mxw_peer_life(struct mxw_proto *pr, uint16_t peer, uint32_t inc)
{
	struct mxw_peer *p = &pr->peers[peer];
	struct mxw_partner *pt;
	uint64_t now = mxw_now(pr);

	if (p->away_until && inc != p->away_inc)
		p->away_until = 0;  /* its successor speaks: judged as usual again */
	if (now < p->life_next)
		return;
	p->life_next = now + MXW_LIFE_CHECK_US;
	/* connect_start adds no partner: the list holds still */
	LIST_FOREACH(pt, &p->partners, peer_link)
		if (pt->key_known && pt->mxn_seq && mxw_partner_reborn(pt, inc) &&
		    !connecting(pr, pt))
			reconnect(pr, pt);
}

void mxw_peer_leaving(struct mxw_proto *pr, uint16_t peer, uint32_t inc)
{
	struct mxw_peer *p = &pr->peers[peer];
	uint64_t now = mxw_now(pr);

	if (now >= p->away_until || p->away_inc != inc)
		pr->st.peers_away++;    /* not the second copy */
	p->away_inc = inc;
	p->away_until = now + pr->p.pull_park_us;
}

void mxw_proto_leave(struct mxw_proto *pr)
{
	bool told = false;

	/* what we published is acked: a native sender, which has no number
	 * the next daemon could drop a resend by, sends it no more */
	mxw_acks_flush(pr);
	for (uint16_t i = 1; i < MXW_PEERS_MAX; i++) {
		if (!pr->peers[i].used || LIST_EMPTY(&pr->peers[i].partners))
			continue;
		mxw_tx_leaving(pr, i);
		mxw_tx_leaving(pr, i); /* one lost frame must not cost the window */
		told = true;
	}
	if (told)
		pr->st.leaves++;
}
