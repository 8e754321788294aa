/* SPDX-License-Identifier: MIT */
/*
 * Staged large messages with another host (MXN_CMDF_STAGED), local
 * transport.  Without them the daemon copies each wire block out of the
 * sender's memory and into the receiver's with a bounded cross-process
 * copy through its helper thread (a hand-off, a context switch each way
 * and two more copies of the block).
 *  - Receives: the daemon puts each pulled block into our recvq with an
 *    MXN_EVT_PULL_DATA naming the pull and the block's place in the
 *    message, and we copy it into the receive buffer ourselves.  PULL_DONE
 *    still completes the receive.
 *  - Sends: a rendezvous small enough (MXL_STAGE_SEND_MAX, and room left
 *    in the sendq for mediums) carries a copy of the message in the sendq
 *    next to its region descriptor, which the daemon reads for the wire;
 *    the chunk stays ours until SEND_DONE.
 * Both only when the daemon advertises them (area header features).
 * MYRIXEN_WIRE_STAGED=0 turns both off.
 */
#include <stdlib.h>
#include <string.h>
#include "mxl.h"

static bool staged_wanted(const struct mx_endpoint *ep, uint32_t feature)
{
	const char *v = getenv("MYRIXEN_WIRE_STAGED");

	return ep->t.ops == &mxl_transport_local && (ep->features & feature) &&
	       !(v && !strcmp(v, "0"));
}

bool mxl_pull_staged_wanted(const struct mx_endpoint *ep)
{
	return staged_wanted(ep, MXN_AREAF_PULL_STAGED);
}

bool mxl_send_staged_wanted(const struct mx_endpoint *ep)
{
	return staged_wanted(ep, MXN_AREAF_SEND_STAGED);
}

uint32_t mxl_send_stage_len(const struct mx_endpoint *ep, const struct mxl_req *r)
{
	return mxl_stage_fits(ep->send_staged && r->dest.peer != MXN_PEER_SELF && !ep->region_window,
			      r->total, mxl_sendq_used(&ep->sq), ep->lay.sendq_size) ? (uint32_t)r->total
										: 0;
}

void mxl_on_pull_data(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	const struct mxn_evt_data *d = &e->u.data;
	struct mxl_req *r = mxl_cookie_take(ep, d->cookie); /* stays: PULL_DONE follows */
	uint64_t end = (uint64_t)d->msg_offset + e->length;

	/* Bound what the daemon says by what we asked for and what we hold:
	 * only our staged pulls, inside the pull (never past the receive it
	 * was posted with: pull_len <= its length) and inside the recvq. */
	if (!ep->pull_staged || !r || !(r->state & MXL_RS_INFLIGHT) || r->kind != MXL_REQ_RECV || r->fin_pending ||
	    !e->length || end > r->pull_len || d->off > ep->lay.recvq_size ||
	    e->length > ep->lay.recvq_size - d->off) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		return;
	}
	mxl_scatter_at(r->iov, r->niov, d->msg_offset, ep->recvq + d->off, e->length);
	ep->counters[MXL_CNT_PULL_STAGED]++;
}
