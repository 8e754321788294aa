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

/* The PULL_WIRE of src's rendezvous seq under way, or NULL. */
static struct mxl_req *wire_pulling(struct mx_endpoint *ep, const struct mxl_source *src,
				    uint16_t seq)
{
	struct mxl_list *pos;

	mxl_list_for_each(pos, &ep->inflight) {
		struct mxl_req *r = mxl_container_of(pos, struct mxl_req, fl_link);

		if ((r->kind == MXL_REQ_RECV || r->kind == MXL_REQ_DISCARD) &&
		    mxl_wire_dead_handle(ep, r) && r->seq == seq && mxl_req_from(ep, r, src))
			return r;
	}
	return NULL;
}

/*
 * The node resent a rendezvous the old daemon had delivered but not acked
 * (it was killed in between, or the ack was lost): the new daemon announced
 * it again with a live handle.  A pull of it still waiting takes that
 * handle (a plain PULL then).  One already asked for with PULL_WIRE keeps
 * it for its end (mxl_wire_dup_settle): releasing it now would NOTIFY the
 * node, and Open-MX completes a send on any NOTIFY naming its window and
 * then unregisters the window (libopen-mx omx_large.c), under our pull.
 */
bool mxl_wire_dup(struct mx_endpoint *ep, const struct mxl_source *src, uint16_t seq,
		  uint32_t handle)
{
	struct mxl_list *pos;
	struct mxl_req *r;

	for (pos = ep->retry.next; pos != &ep->retry; pos = pos->next) {
		r = mxl_container_of(pos, struct mxl_req, link);
		if (!r->wire.valid || r->seq != seq || !mxl_req_from(ep, r, src))
			continue;
		r->rndv_handle = handle;
		r->wire.life = ep->life;
		return true;
	}
	r = wire_pulling(ep, src, seq);
	if (!r || r->wire.dup)
		return r != NULL; /* a third copy: the daemon's entry stays unused */
	r->wire.dup = true;
	r->wire.dup_handle = handle;
	ep->counters[MXL_CNT_WIRE_DUP]++;
	return true;
}

/*
 * The PULL_WIRE of r ended; the node had announced it again meanwhile.
 * Done: that announcement is released (its NOTIFY follows ours, for a
 * window the node no longer has: ignored).  Failed: r is pulled again
 * through it (true).
 */
bool mxl_wire_dup_settle(struct mx_endpoint *ep, struct mxl_req *r, mx_status_code_t code,
			 uint32_t *release)
{
	if (!r->wire.dup)
		return false;
	r->wire.dup = false;
	if (code == MX_STATUS_SUCCESS || code == MX_STATUS_TRUNCATED || ep->dead) {
		*release = r->wire.dup_handle;
		return false;
	}
	mxl_req_release_resources(r);
	r->state &= ~MXL_RS_INFLIGHT;
	r->rndv_handle = r->wire.dup_handle;
	r->wire.life = ep->life;
	mxl_submit(ep, r);
	return true;
}
