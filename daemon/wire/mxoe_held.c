/* SPDX-License-Identifier: MIT */
/*
 * Receiver-side flow control: a message that arrives in order for a local
 * endpoint with no room (its event ring or recvq full: the application
 * fell behind) is held here instead of dropped, and stays unacked.
 *
 * Dropping it (Open-MX drops too, omx_recv.c "event queue full") made the
 * sender resend it, and everything behind it, a whole resend timeout
 * later: medium streaming ran at a fraction of UDP's bandwidth whenever
 * the receiving application was a moment late.  Held messages are the
 * tail of what was taken (the last nheld before next_recv) and acks
 * report only what was delivered (mxw_ack_point), so the sender's window
 * is the flow control: it stops with its window full, and what it has in
 * flight (512 KiB per partner for ours) is what we may have to hold.  The
 * core says when the endpoint has room again (mxw_proto_room); what is
 * held goes then, and the ack that follows reopens the sender's window at
 * once.  Every explicit ack says how far we took messages (send_seq,
 * held ones included), and while we hold any, one goes to their sender
 * every resend_us / 4: our sender then starts its resend timers for them
 * again (mxoe_proto.c held_noticed), so a slow application costs no
 * resend.  A sender that resends anyway (Open-MX ignores send_seq) sends
 * duplicates of what we hold: they are counted and not acked.
 *
 * Held bytes count against the reassembly budget (mxoe_bounds.c), so a
 * peer can make us hold no more than it could as half-done mediums; a
 * message over the budget is dropped as before and resent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mxoe_int.h"

/* A held entry's own share of the budget (bounds the count of tiny ones). */
#define HELD_OVERHEAD 64u

/* Often enough that a sender hears it before its resend timer (ours:
 * the same resend_us) fires, even from a daemon scheduled late. */
static uint64_t notice_period(const struct mxw_proto *pr)
{
	return pr->p.resend_us / 4 ? pr->p.resend_us / 4 : 1;
}

static void held_unlink(struct mxw_proto *pr, struct mxw_partner *pt, struct mxw_held *h)
{
	TAILQ_REMOVE(&pt->held, h, link);
	if (--pt->nheld == 0)
		TAILQ_REMOVE(&pr->held, pt, held_link);
	mxw_budget_give(pr, pt->peer, h->charge);
	free(h->data);
	free(h);
}

/* Bytes to copy: a medium reassembled in pt->med_buf is taken over instead. */
static uint32_t payload_len(const struct mxw_partner *pt, const struct mxw_frame *f,
			    const uint8_t *data)
{
	switch (f->type) {
	case MXW_PKT_TINY:
	case MXW_PKT_SMALL:
		return f->u.msg.length;
	case MXW_PKT_MEDIUM:
		return data == pt->med_buf ? 0 : f->u.medium.msg.length;
	default:
		return 0;
	}
}

int mxw_held_add(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f,
		 const uint8_t *data)
{
	struct mxw_held *h;
	uint32_t len = payload_len(pt, f, data);
	int err;

	err = mxw_budget_take(pr, pt->peer, HELD_OVERHEAD + len);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (h && len) {
		h->data = malloc(len);
		if (h->data)
			memcpy(h->data, data, len);
	}
	if (!h || (len && !h->data)) {
		free(h);
		mxw_budget_give(pr, pt->peer, HELD_OVERHEAD + len);
		return -ENOMEM;
	}
	h->f = *f;
	h->charge = HELD_OVERHEAD + len;
	if (f->type == MXW_PKT_MEDIUM && data == pt->med_buf) {
		uint32_t charge;

		/* the reassembly buffer, with its charge, becomes the entry's */
		h->data = mxw_reasm_detach(pr, pt, &charge);
		h->charge += charge;
	}
	h->f.payload = h->data;
	TAILQ_INSERT_TAIL(&pt->held, h, link);
	if (pt->nheld++ == 0)
		TAILQ_INSERT_TAIL(&pr->held, pt, held_link);
	mxw_timer_earlier(pr, &pr->t_held, mxw_now(pr) + notice_period(pr));
	pr->st.held++;
	pr->peers[pt->peer].st.held++;
	return 0;
}

void mxw_held_release(struct mxw_proto *pr, struct mxw_partner *pt)
{
	struct mxw_held *h;
	unsigned n = 0;
	int err;

	while ((h = TAILQ_FIRST(&pt->held))) {
		err = mxw_rx_take(pr, pt, &h->f, h->data);
		if (err == -ESRCH) {
			/* the endpoint is gone: the sender's resends get the
			 * closed-endpoint NACK */
			mxw_held_free(pr, pt, true);
			return;
		}
		if (err && err != -EINVAL)
			break;      /* still no room: the next room signal retries */
		if (err) {
			pr->st.drops++;
			pr->peers[pt->peer].st.drops++;
		}
		held_unlink(pr, pt, h);
		n++;
	}
	/* the sender's window waits for this ack */
	if (n)
		mxw_send_ack(pr, pt);
}

void mxw_held_free(struct mxw_proto *pr, struct mxw_partner *pt, bool rewind)
{
	struct mxw_held *h;

	if (rewind)
		pt->next_recv = mxw_ack_point(pt);
	while ((h = TAILQ_FIRST(&pt->held)))
		held_unlink(pr, pt, h);
}

void mxw_proto_room(struct mxw_proto *pr, struct mxw_ep ep)
{
	struct mxw_partner *pt, *next;

	for (pt = TAILQ_FIRST(&pr->held); pt; pt = next) {
		next = TAILQ_NEXT(pt, held_link);
		if (pt->lep == ep.index && pt->lsession == ep.session)
			mxw_held_release(pr, pt);
	}
	mxw_large_room(pr, ep);
}

uint64_t mxw_held_progress(struct mxw_proto *pr, uint64_t now)
{
	struct mxw_partner *pt, *next;

	for (pt = TAILQ_FIRST(&pr->held); pt; pt = next) {
		next = TAILQ_NEXT(pt, held_link);
		/* room the core does not signal (a full rendezvous table) or
		 * a signal missed: try again, since our notices keep the
		 * sender from resending, the other trigger */
		mxw_held_release(pr, pt);
		if (pt->nheld)
			mxw_send_ack(pr, pt);
	}
	return TAILQ_EMPTY(&pr->held) ? MXW_NO_DEADLINE : now + notice_period(pr);
}
