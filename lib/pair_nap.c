/* SPDX-License-Identifier: MIT */
/*
 * FIN naps (pair.h "Rendezvous", MXN_RINGF_FIN_QUIET).  A sender streaming
 * large messages through a pair channel sleeps while its receiver copies,
 * and each FIN used to wake it: a futex wake the receiver paid between two
 * copies (a system call and an IPI to the other CPU, 24-34 us of a 4 MiB
 * message's 200 us here).  With two rendezvous or more announced, the
 * receiver goes straight on to the next one after a FIN, so the sender may
 * learn of the FIN up to a whole copy late at no cost to anyone: it sleeps
 * on its own timer until the FIN is due, aimed late, and asks for no bell.
 * A nap that ends first naps again a short step; after MXL_NAP_MISSES of
 * them (a receiver that stopped receiving) the sender asks for the bell.
 * One rendezvous outstanding (a ping-pong, the last of a stream) keeps the
 * bell: there the sender's wake-up is the latency.
 *
 * When a FIN is due comes from the receiver's own clock in its FINs
 * (done_ns), over copies that followed each other back to back (the send
 * announced before the previous FIN): the upper median of the last four,
 * per MiB, plus an eighth.  The kernel's timer slack (50 us) only makes a
 * nap later still.  The peer is hostile: its stamps only move the naps of
 * the sends to it (each FIN's by MXL_NAP_MAX_NS at most), and a stamp
 * outside [announcement, now] is dropped.
 */
#include "mxl.h"

#define MXL_NAP_MIN_NS 5000ull      /* sooner: a timer costs more than it saves */
/* A longer nap is cut here and naps again, not counted as a miss (a 64 MiB
 * copy takes 10-30 ms here); below the futex sleep's cap, which would end
 * futex sleeping for the wait. */
#define MXL_NAP_MAX_NS ((MXL_FBELL_CAP_MS - 1) * 1000000ull)
#define MXL_NAP_STEP_NS 20000ull    /* the least a nap again waits */
#define MXL_NAP_RATES 4u

void mxl_pair_nap_fin(struct mxl_pair *p, const struct mxl_req *r, uint64_t done_ns)
{
	uint64_t rate;

	p->nap_valid = false;
	p->nap_miss = 0;
	if (!done_ns || done_ns < r->rndv_at || done_ns > mxl_now_ns()) {
		p->fin_last_ns = 0; /* not said, or a lie: no estimate from it */
		return;
	}
	/* Back to back: the receiver had it when it answered the last one, so
	 * the time between the two answers is this copy (and its check). */
	if (p->fin_last_ns && r->rndv_at < p->fin_last_ns && done_ns > p->fin_last_ns && r->total) {
		rate = ((done_ns - p->fin_last_ns) << 20) / r->total;
		p->fin_rate[p->fin_nrate++ % MXL_NAP_RATES] =
			rate > UINT32_MAX ? UINT32_MAX : rate ? (uint32_t)rate : 1u;
	}
	p->fin_last_ns = done_ns;
}

/* ns per MiB the next copy should take: the upper median of what was
 * seen, an eighth more (0: nothing seen yet). */
static uint64_t rate_est(const struct mxl_pair *p)
{
	uint32_t s[MXL_NAP_RATES], n = p->fin_nrate < MXL_NAP_RATES ? p->fin_nrate : MXL_NAP_RATES;

	if (!n)
		return 0;
	for (uint32_t i = 0; i < n; i++) { /* insertion sort of at most four */
		uint32_t v = p->fin_rate[i], j = i;

		for (; j && s[j - 1] > v; j--)
			s[j] = s[j - 1];
		s[j] = v;
	}
	return (uint64_t)s[n / 2] + s[n / 2] / 8;
}

/* Two sends of ours or more wait for a FIN in p (its list is set once
 * mapped: mxl_pair_map). */
static bool two_out(const struct mxl_pair *p)
{
	return !p->broken && p->rndv_out.next && !mxl_list_empty(&p->rndv_out) &&
	       p->rndv_out.next->next != &p->rndv_out;
}

/* When p's oldest announced send should have its FIN (0: no nap for p). */
static uint64_t fin_due(struct mx_endpoint *ep, struct mxl_pair *p, uint64_t now)
{
	const struct mxl_req *r;
	uint64_t rate = rate_est(p), start, copy, due;

	if (p->attached || !p->fin_last_ns || !rate)
		return 0; /* nothing measured yet: the bell */
	r = mxl_container_of(p->rndv_out.next, const struct mxl_req, link);
	if (p->nap_valid && p->nap_handle == r->rndv_handle && !p->nap_cut) {
		ep->counters[MXL_CNT_PAIR_NAP_MISS]++;
		if (++p->nap_miss > MXL_NAP_MISSES)
			return 0; /* late beyond reason: the bell until a FIN */
	}
	copy = (rate * r->total) >> 20;
	start = r->rndv_at > p->fin_last_ns ? r->rndv_at : p->fin_last_ns;
	due = start + copy;
	if (due < now + MXL_NAP_MIN_NS) /* late already: a short step */
		due = now + (copy / 8 > MXL_NAP_STEP_NS ? copy / 8 : MXL_NAP_STEP_NS);
	p->nap_cut = due > now + MXL_NAP_MAX_NS;
	if (p->nap_cut)
		due = now + MXL_NAP_MAX_NS;
	p->nap_handle = r->rndv_handle;
	p->nap_valid = true;
	return due;
}

uint64_t mxl_pair_nap(struct mx_endpoint *ep)
{
	uint64_t now = 0, until = 0;

	for (uint32_t i = 0; i < ep->npairs; i++) {
		struct mxl_pair *p = ep->pairs[i];
		uint64_t due;

		p->fin_quiet = false;
		if (!two_out(p))
			continue; /* one outstanding or none: the bell (and no clock read) */
		if (!now)
			now = mxl_now_ns();
		due = fin_due(ep, p, now);
		if (!due)
			continue;
		p->fin_quiet = true;
		if (!until || due < until)
			until = due;
	}
	if (until)
		ep->counters[MXL_CNT_PAIR_FIN_NAP]++;
	return until;
}

/* relaxed: read after the fence of our push (mxn_ring_push), as
 * MXN_RINGF_FUTEX in bell_data (pair.c); the peer stored it before the
 * fence of its arm, so a stale flag is seen only by a push its arm's
 * final check already saw. */
bool mxl_pair_fin_quiet(struct mx_endpoint *ep, struct mxl_pair *p)
{
	if (p->attached || !(atomic_load_explicit(MXN_ATOMIC(&p->tx.ctl->flags),
						  memory_order_relaxed) & MXN_RINGF_FIN_QUIET))
		return false;
	ep->counters[MXL_CNT_PAIR_FIN_QUIET]++;
	return true;
}
