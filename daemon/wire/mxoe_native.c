/* SPDX-License-Identifier: MIT */
/*
 * A native Open-MX sender across a restart of our daemon (issue 13).
 *
 * Between two myribackds a restart is made good by a handshake: the side
 * that lost its state connects again with a new incarnation and the other
 * requeues what was in flight (mxoe_proto.c, mxoe_life.c).  A native
 * Open-MX node knows no incarnation.  Its library moves its send seqnums
 * to the start a connect gives only when the connecting endpoint's
 * session changed (libopen-mx omx_partner.c); ours is kept across a
 * restart (the endpoint re-attaches with it), so the node goes on with
 * its own numbering: it resends every message not acked yet, whole,
 * every 500 ms (RESEND_PER_SECOND 2) under the seqnum it first had, and
 * sends new ones after.  Our new daemon expects another number, so before
 * this every frame of the node was dropped as early or stale and the node
 * resent them until its 1000 resends ran out.
 *
 * So a partner that has taken nothing in order in this life and gets an
 * out-of-place frame from a sender that does not number its messages
 * (not MXN_SEQ: native) learns the node's numbering: it drops the node's
 * frames for MXW_NATIVE_LEARN_US and then expects the lowest seqnum seen
 * meanwhile.  The node resends every unacked message once per 500 ms, so
 * in three periods the lowest one it resends is the oldest it has not
 * seen acked; everything before it the old daemon had acked, and it acked
 * only what it had published to the application (engine.c tx_flush).
 * What the node resends from there was delivered at most once before
 * (taken but not yet acked when the old daemon died: after a SIGKILL; a
 * daemon that stops acks first, mxw_acks_flush) and is delivered again:
 * Open-MX carries no number the receiving library could drop it by.
 *
 * The node takes a TRUC ack only if its acknum is above the last one it
 * took from us (omx_ack.c); the new daemon counts from 1 again, so its
 * acks would be ignored until it passed the old count and the node would
 * resend what we acked.  A duplicate from a native sender, which would be
 * its resend of what we acked, doubles the acknum of our next ack (up to
 * 2^30, then one by one): above any count of the old daemon after a few
 * resends.
 */
#include "mxoe_int.h"

/* three of Open-MX's 500 ms resend periods: each unacked message is seen */
#define MXW_NATIVE_LEARN_US 1500000u
#define MXW_ACKNUM_DOUBLE_MAX 0x40000000u

static bool seq_before(uint16_t a, uint16_t b)
{
	uint16_t d = mxw_seq_diff(b, a);

	return ((a ^ b) & MXW_SESNUM_MASK) == 0 && d && d < (MXW_SEQNUM_MASK + 1) / 2;
}

bool mxw_native_learn(struct mxw_proto *pr, struct mxw_partner *pt, uint16_t seq)
{
	uint64_t now;

	if (pt->mxn_seq || pt->recv_taken)
		return false;
	if (!pt->learning && seq == pt->next_recv)
		return false;       /* it numbers from the start we gave */
	now = mxw_now(pr);
	if (!pt->learning) {
		pt->learning = true;
		pt->learn_min = seq;
		pt->learn_until = now + MXW_NATIVE_LEARN_US;
	} else if (seq_before(seq, pt->learn_min) ||
		   ((seq ^ pt->learn_min) & MXW_SESNUM_MASK)) {
		pt->learn_min = seq;    /* another session: its newest start */
	}
	if (now < pt->learn_until) {
		pr->st.quiet_drops++;
		pr->peers[pt->peer].st.quiet_drops++;
		return true;
	}
	pt->learning = false;
	pt->recv_taken = true;
	pt->next_recv = pt->learn_min;
	pr->st.native_resyncs++;
	pr->peers[pt->peer].st.native_resyncs++;
	return false;
}

void mxw_native_dup(struct mxw_partner *pt)
{
	if (pt->mxn_seq)
		return;
	if (pt->last_send_acknum < MXW_ACKNUM_DOUBLE_MAX)
		pt->last_send_acknum = pt->last_send_acknum * 2u + 1u;
}

void mxw_acks_flush(struct mxw_proto *pr)
{
	struct mxw_partner *pt;

	while ((pt = TAILQ_FIRST(&pr->ack_list))) {
		mxw_send_ack(pr, pt);
		if (pt->ack_pending)
			break;      /* transmit failed: nothing more goes out */
	}
}

/*
 * The receiving library drops a message it already took by its number
 * (lib/seqtrack.h).  A myrixen sender's library numbers its sends; a
 * native node does not, but its wire seqnum does the same job: one per
 * message, in order, kept across our restart (the node resends under the
 * number a message first had), and a resend the old daemon had delivered
 * but not acked when it died is dropped there.
 */
void mxw_native_src(const struct mxw_partner *pt, struct mxw_src *src, uint16_t mxn_seq,
		    uint16_t wire_seq)
{
	src->mxn_seq = pt->mxn_seq ? mxn_seq : wire_seq;
	src->wire_seq = !pt->mxn_seq;
}

/*
 * Our messages to a native node across our restart.  Open-MX takes each
 * seqnum once: a frame behind the next one it expects is dropped as
 * obsolete and acked again (libopen-mx omx_recv.c).  Our library sends
 * again whatever the old daemon had not seen acked, but the new daemon
 * numbers from the start the node's connect reply gives (its next
 * expected seqnum, omx_partner.c), which is past every message it took,
 * so a message whose ack died with the old daemon would be taken twice.
 * So the library is told each seqnum as it is given (MXN_EVT_WIRE_SEQ,
 * before the frame leaves) and quotes it when it sends again
 * (MXN_CMDF_WIRE_SEQ); one before this life's start is one the node took:
 * it is done, with no frame.  The others go under the new numbering, which
 * begins where the node expects, in the order the library first issued
 * them.  Not covered: a rendezvous (its window died with the old daemon)
 * and a send whose event found the ring full (native_untold).
 */
void mxw_native_told(struct mxw_proto *pr, const struct mxw_send *s)
{
	const struct mxw_partner *pt = s->pt;
	struct mxw_ep ep = { .index = pt->lep, .session = pt->lsession };

	if (pt->mxn_seq || s->kind == MXW_SK_RNDV || s->kind == MXW_SK_NOTIFY ||
	    !pr->cb.wire_seq)
		return;
	if (pr->cb.wire_seq(pr->cb.ctx, ep, s->cookie, s->seqnum)) {
		pr->st.native_untold++;
		pr->peers[pt->peer].st.native_untold++;
	}
}

bool mxw_proto_native_taken(struct mxw_proto *pr, struct mxw_ep from, uint16_t peer,
			    uint8_t endpoint, uint32_t session, uint16_t wire_seq)
{
	int err;
	struct mxw_partner *pt = mxw_partner_for_send(pr, from, peer, endpoint, session, &err);

	if (!pt || pt->mxn_seq || !seq_before(wire_seq, pt->send_start))
		return false;
	pr->st.native_skips++;
	pr->peers[peer].st.native_skips++;
	return true;
}
