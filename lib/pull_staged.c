/* SPDX-License-Identifier: MIT */
/*
 * Staged large receives from another host (MXN_CMDF_STAGED).  The daemon
 * puts each pulled block into our recvq with an MXN_EVT_PULL_DATA naming
 * the pull and the block's place in the message, and we copy it into the
 * receive buffer ourselves: the daemon never writes into our memory, which
 * on the local transport took a bounded cross-process copy through its
 * helper thread per block.  PULL_DONE still completes the receive.
 * MYRIXEN_PULL_STAGED=0 turns it off (the daemon then writes the blocks).
 */
#include <stdlib.h>
#include <string.h>
#include "mxl.h"

bool mxl_pull_staged_wanted(const struct mx_endpoint *ep)
{
	const char *v = getenv("MYRIXEN_PULL_STAGED");

	return ep->t.ops == &mxl_transport_local && (ep->features & MXN_AREAF_PULL_STAGED) &&
	       !(v && !strcmp(v, "0"));
}

void mxl_on_pull_data(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	const struct mxn_evt_data *d = &e->u.data;
	struct mxl_req *r = mxl_cookie_take(ep, d->cookie); /* stays: PULL_DONE follows */
	uint64_t end = (uint64_t)d->msg_offset + e->length;

	/* Bound what the daemon says by what we asked for and what we hold. */
	if (!r || !(r->state & MXL_RS_INFLIGHT) || r->kind != MXL_REQ_RECV || r->fin_pending ||
	    !e->length || end > r->pull_len || d->off > ep->lay.recvq_size ||
	    e->length > ep->lay.recvq_size - d->off) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		return;
	}
	mxl_scatter_at(r->iov, r->niov, d->msg_offset, ep->recvq + d->off, e->length);
	ep->counters[MXL_CNT_PULL_STAGED]++;
}
