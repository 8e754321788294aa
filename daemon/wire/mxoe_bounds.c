/* SPDX-License-Identifier: MIT */
/*
 * What a wire peer can make the engine hold, bounded (issue 8.5/8.6).
 * Anyone on the segment can forge a source MAC, so every peer entry,
 * partner and medium reassembly buffer created by a frame is capped:
 *  - partners: MXW_PARTNERS_MAX in all, MXW_PARTNERS_PER_PEER per peer.
 *    At the global cap the least recently used partner with nothing in
 *    flight, silent for evict_idle_us, makes room; otherwise the newcomer
 *    is refused (its connect goes unanswered and is retried);
 *  - reassembly: MXW_REASM_BYTES_MAX in all, MXW_REASM_BYTES_PER_PEER per
 *    peer; a fragment that would exceed them is dropped (the sender
 *    resends), and a reassembly with no new fragment for reasm_timeout_us
 *    is freed.  Dropping reassembly state is always safe: an unacked
 *    medium is resent whole.  Messages held for an endpoint with no room
 *    (mxoe_held.c) count against the same budget, and never expire (they
 *    are complete, in order, and go as soon as the application makes room);
 *  - peers (mxoe_peers.c): dynamic peers with no state at all are evicted.
 * Everything refused or evicted is counted.
 */
#include <errno.h>
#include <stdlib.h>
#include "mxoe_int.h"

bool mxw_partner_idle(const struct mxw_partner *pt)
{
	return TAILQ_EMPTY(&pt->unacked) && TAILQ_EMPTY(&pt->throttled) && !pt->med_active &&
	       !pt->nheld;
}

/* Rendezvous, pulls and connects name a peer, not a partner: a peer with
 * any of them keeps all its partners. */
static bool peer_quiet(const struct mxw_peer *p)
{
	return !p->pending && !p->rndv_waiting && !p->rndv_in && !p->connecting;
}

bool mxw_peer_evictable(const struct mxw_proto *pr, uint16_t peer)
{
	const struct mxw_peer *p = &pr->peers[peer];
	const struct mxw_partner *pt;

	if (p->configured || !peer_quiet(p))
		return false;
	LIST_FOREACH(pt, &p->partners, peer_link)
		if (!mxw_partner_idle(pt))
			return false;
	return true;
}

/* What was received reached the endpoint: say so before forgetting. */
static void partner_evict(struct mxw_proto *pr, struct mxw_partner *pt)
{
	if (pt->ack_pending)
		mxw_send_ack(pr, pt);
	mxw_partner_free(pr, pt);
}

void mxw_peer_drop_partners(struct mxw_proto *pr, uint16_t peer)
{
	struct mxw_partner *pt;

	while ((pt = LIST_FIRST(&pr->peers[peer].partners))) {
		pr->st.partners_evicted++;
		partner_evict(pr, pt);
	}
}

/* The least recently used idle partner, silent long enough, or NULL. */
static struct mxw_partner *partner_victim(struct mxw_proto *pr, uint64_t now)
{
	struct mxw_partner *pt;
	unsigned n = 0;

	TAILQ_FOREACH(pt, &pr->lru, lru_link) {
		if (pt->last_use + pr->p.evict_idle_us > now || n++ >= MXW_EVICT_SCAN)
			return NULL;    /* the rest were used more recently */
		if (mxw_partner_idle(pt) && peer_quiet(&pr->peers[pt->peer]))
			return pt;
	}
	return NULL;
}

int mxw_partner_room(struct mxw_proto *pr, uint16_t peer)
{
	struct mxw_partner *victim;

	if (pr->peers[peer].npartners >= MXW_PARTNERS_PER_PEER) {
		pr->st.partners_refused++;
		pr->peers[peer].st.partners_refused++;
		return -ENOSPC;
	}
	if (pr->npartners < MXW_PARTNERS_MAX)
		return 0;
	victim = partner_victim(pr, mxw_now(pr));
	if (!victim) {
		pr->st.partners_refused++;
		pr->peers[peer].st.partners_refused++;
		return -ENOSPC;
	}
	pr->st.partners_evicted++;
	partner_evict(pr, victim);
	return 0;
}

void mxw_partner_linked(struct mxw_proto *pr, struct mxw_partner *pt)
{
	struct mxw_peer *p = &pr->peers[pt->peer];

	LIST_INSERT_HEAD(&p->partners, pt, peer_link);
	p->npartners++;
	pr->npartners++;
	pt->last_use = mxw_now(pr);
	TAILQ_INSERT_TAIL(&pr->lru, pt, lru_link);
}

void mxw_partner_unlinked(struct mxw_proto *pr, struct mxw_partner *pt)
{
	LIST_REMOVE(pt, peer_link);
	pr->peers[pt->peer].npartners--;
	pr->npartners--;
	TAILQ_REMOVE(&pr->lru, pt, lru_link);
}

void mxw_partner_touch(struct mxw_proto *pr, struct mxw_partner *pt)
{
	pt->last_use = mxw_now(pr);
	TAILQ_REMOVE(&pr->lru, pt, lru_link);
	TAILQ_INSERT_TAIL(&pr->lru, pt, lru_link);
}

/* ---- medium reassembly ---- */

int mxw_budget_take(struct mxw_proto *pr, uint16_t peer, uint32_t n)
{
	struct mxw_peer *p = &pr->peers[peer];

	if (pr->reasm_bytes + n > MXW_REASM_BYTES_MAX || p->reasm_bytes + n > MXW_REASM_BYTES_PER_PEER) {
		pr->st.reasm_refused++;
		p->st.reasm_refused++;
		return -ENOBUFS;
	}
	pr->reasm_bytes += n;
	p->reasm_bytes += n;
	return 0;
}

void mxw_budget_give(struct mxw_proto *pr, uint16_t peer, uint32_t n)
{
	pr->reasm_bytes -= n;
	pr->peers[peer].reasm_bytes -= n;
}

int mxw_reasm_get(struct mxw_proto *pr, struct mxw_partner *pt, uint32_t len)
{
	uint32_t need = len ? len : 1;
	int err = mxw_budget_take(pr, pt->peer, need);

	if (err)
		return err;
	pt->med_buf = malloc(need);
	if (!pt->med_buf) {
		mxw_budget_give(pr, pt->peer, need);
		return -ENOMEM;
	}
	pt->med_alloc = need;
	pt->med_touch = mxw_now(pr);
	TAILQ_INSERT_TAIL(&pr->reasm, pt, med_link);
	mxw_timer_earlier(pr, &pr->t_reasm, pt->med_touch + pr->p.reasm_timeout_us);
	return 0;
}

uint8_t *mxw_reasm_detach(struct mxw_proto *pr, struct mxw_partner *pt, uint32_t *charge)
{
	uint8_t *buf = pt->med_buf;

	*charge = pt->med_alloc;
	pt->med_active = false;
	if (!buf)
		return NULL;
	TAILQ_REMOVE(&pr->reasm, pt, med_link);
	pt->med_buf = NULL;
	pt->med_alloc = 0;
	return buf;
}

void mxw_reasm_put(struct mxw_proto *pr, struct mxw_partner *pt)
{
	uint32_t had;
	uint8_t *buf = mxw_reasm_detach(pr, pt, &had);

	if (!buf)
		return;
	mxw_budget_give(pr, pt->peer, had);
	free(buf);
}

void mxw_reasm_touch(struct mxw_proto *pr, struct mxw_partner *pt)
{
	pt->med_touch = mxw_now(pr);
	TAILQ_REMOVE(&pr->reasm, pt, med_link);
	TAILQ_INSERT_TAIL(&pr->reasm, pt, med_link);
}

/* The list is in fragment order, so only its head can be due. */
uint64_t mxw_reasm_progress(struct mxw_proto *pr, uint64_t now)
{
	struct mxw_partner *pt;

	while ((pt = TAILQ_FIRST(&pr->reasm)) && pt->med_touch + pr->p.reasm_timeout_us <= now) {
		pr->st.reasm_expired++;
		mxw_reasm_put(pr, pt);
	}
	return pt ? pt->med_touch + pr->p.reasm_timeout_us : MXW_NO_DEADLINE;
}
