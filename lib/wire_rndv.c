/* SPDX-License-Identifier: MIT */
/*
 * A native Open-MX node's rendezvous across a re-attach (issue 13).
 *
 * A myrixen sender's library announces its rendezvous again to a restarted
 * receiver (reattach.c: our pulls wait on ep->reannounce for it).  Open-MX
 * never announces a rendezvous again once it was acked, and waits for its
 * NOTIFY without a time limit: a receive that had not pulled it whole when
 * our daemon went would wait for nothing, and the node's send would never
 * complete.  So the daemon tells us the node's window with the
 * announcement (mxn_evt_rndv.wire), and a pull whose handle died with an
 * earlier daemon asks the new one with MXN_CMD_PULL_WIRE, quoting it: the
 * new daemon pulls from the start and sends the NOTIFY the node waits for.
 *
 * The new daemon pulls only once this endpoint is connected to the node
 * again (reattach.c reconnects what we connected to); before, the pull
 * comes back MXN_ST_BAD_ENDPOINT and waits on ep->retry, tried again every
 * MXL_WIRE_RETRY_MS until the re-attach window ends (then it fails
 * MX_STATUS_TIMEOUT, as a connect does).  A rendezvous still unexpected
 * at the restart keeps its window too: whenever a receive matches it, the
 * pull is a PULL_WIRE.
 */
#include "mxl.h"

#define MXL_WIRE_RETRY_MS 20u

struct mxl_wire_rndv mxl_wire_of(const struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_wire_rndv w = { 0 };

	if (e->type != MXN_EVT_RECV_RNDV || !(e->flags & MXN_EVTF_WIRE_SEQ))
		return w;
	w.valid = true;
	w.rdma_id = e->u.rndv.wire.id;
	w.rdma_seqnum = e->u.rndv.wire.seqnum;
	w.rdma_offset = e->u.rndv.wire.offset;
	w.life = ep->life;
	return w;
}

bool mxl_wire_dead_handle(const struct mx_endpoint *ep, const struct mxl_req *r)
{
	return r->wire.valid && r->wire.life != ep->life;
}

void mxl_wire_build_pull(const struct mxl_req *r, const struct mxl_addr *src, uint32_t desc_off,
			 uint32_t desc_len, struct mxn_cmd *c)
{
	c->op = MXN_CMD_PULL_WIRE;
	c->dest_endpoint = src->endpoint;
	c->dest_session = src->session;
	c->u.wpull.desc_off = desc_off;
	c->u.wpull.desc_len = desc_len;
	c->u.wpull.pull_len = r->pull_len;
	c->u.wpull.msg_length = r->status.msg_length;
	c->u.wpull.nic_id = src->nic_id & MXN_NIC_ID_MASK;
	c->u.wpull.rdma_id = r->wire.rdma_id;
	c->u.wpull.rdma_seqnum = r->wire.rdma_seqnum;
	c->u.wpull.rdma_offset = r->wire.rdma_offset;
}

bool mxl_wire_pull_later(struct mx_endpoint *ep, struct mxl_req *r)
{
	if (!mxl_wire_dead_handle(ep, r) || ep->dead ||
	    (r->kind != MXL_REQ_RECV && r->kind != MXL_REQ_DISCARD))
		return false;
	mxl_req_release_resources(r);
	r->state &= ~MXL_RS_INFLIGHT;
	r->fin_pending = false;
	r->deadline_ns = ep->settle_until_ns;
	r->retry_at_ns = mxl_now_ns() + MXL_WIRE_RETRY_MS * 1000000ull;
	r->state |= MXL_RS_RETRY;
	mxl_list_add_tail(&ep->retry, &r->link); /* connect.c tries it again */
	ep->counters[MXL_CNT_WIRE_REPULL]++;
	return true;
}

/*
 * The node resent a rendezvous the old daemon had delivered but not acked
 * (it was killed in between): the new daemon announced it again with a
 * live handle.  A pull of it still waiting takes that handle (a plain PULL
 * then).  One already asked for with PULL_WIRE is left alone: the new
 * daemon's announcement stays unused until the endpoint closes.
 */
bool mxl_wire_dup(struct mx_endpoint *ep, const struct mxl_source *src, uint16_t seq,
		  uint32_t handle)
{
	struct mxl_list *pos;

	for (pos = ep->retry.next; pos != &ep->retry; pos = pos->next) {
		struct mxl_req *r = mxl_container_of(pos, struct mxl_req, link);

		if (!r->wire.valid || r->seq != seq || !mxl_req_from(ep, r, src))
			continue;
		r->rndv_handle = handle;
		r->wire.life = ep->life;
		return true;
	}
	return false;
}
