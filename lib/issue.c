/* SPDX-License-Identifier: MIT */
/*
 * Turning requests into commands.  A command needs a ring slot and maybe a
 * sendq chunk; when either is missing the request waits on ep->backlog and
 * progress retries it in FIFO order (later sends never overtake it, so the
 * per-destination order MX promises holds).
 */
#include <errno.h>
#include <string.h>
#include "mxl.h"

static bool cmd_room(struct mx_endpoint *ep)
{
	return mxn_ring_free(&ep->cmd) > 0;
}

static void cmd_put(struct mx_endpoint *ep, const struct mxn_cmd *c)
{
	memcpy(&ep->cmd_slots[ep->cmd.prod_pvt & ep->cmd.mask], c, sizeof(*c));
	ep->cmd.prod_pvt++;
}

/* Publish the commands written since the last flush; ring once. */
void mxl_flush(struct mx_endpoint *ep)
{
	if (atomic_load_explicit(MXN_ATOMIC(&ep->cmd.ctl->prod), memory_order_relaxed) ==
	    ep->cmd.prod_pvt)
		return;
	if (mxn_ring_push(&ep->cmd)) {
		ep->counters[MXL_CNT_KICK]++;
		(void)ep->t.ops->kick(&ep->t);
	}
}

static void gather(uint8_t *dst, const struct mxl_iov *iov, uint32_t niov)
{
	uint32_t i;

	for (i = 0; i < niov; i++) {
		if (iov[i].len)
			memcpy(dst, iov[i].base, iov[i].len);
		dst += iov[i].len;
	}
}

static void fill_dest(struct mxn_cmd *c, const struct mxl_addr *a)
{
	c->dest_peer = a->peer;
	c->dest_endpoint = a->endpoint;
	c->dest_session = a->session;
}

/* Put a region descriptor of iov (limited to 'limit' bytes) in the sendq. */
static int put_region(struct mx_endpoint *ep, struct mxl_req *r, uint64_t limit,
		      uint32_t *off, uint32_t *len)
{
	struct mxl_iov tmp[MXN_MAX_SEGMENTS];
	uint32_t i, n = 0, sz;
	int err;

	for (i = 0; i < r->niov && limit; i++) {
		tmp[n] = r->iov[i];
		if (tmp[n].len > limit)
			tmp[n].len = limit;
		limit -= tmp[n].len;
		n += tmp[n].len != 0;
	}
	/* n == 0 is the empty region (0-byte issend, empty pull): a header
	 * without segments, which the daemon accepts for 0 bytes. */
	sz = ep->t.ops->region_size(&ep->t, tmp, n);
	err = mxl_sendq_alloc(&ep->sq, sz, off, &r->sq_id);
	if (err)
		return err;
	r->sq_held = true;
	err = ep->t.ops->region(&ep->t, tmp, n, ep->sendq + *off, sz, len, &r->region);
	if (err) {
		mxl_sendq_free(&ep->sq, r->sq_id);
		r->sq_held = false;
		/* Only sendq room is worth waiting for; a region that cannot be
		 * described (bad memory, too many pages) fails the request. */
		if (err == -ENOSPC || err == -EAGAIN)
			err = -EINVAL;
	}
	return err;
}

static int build_send(struct mx_endpoint *ep, struct mxl_req *r, struct mxn_cmd *c)
{
	uint32_t off, len;
	int err;

	c->length = (uint32_t)r->total;
	c->match_info = r->status.match_info;
	fill_dest(c, &r->dest);
	switch (r->cls) {
	case MXL_CLASS_TINY:
		c->op = MXN_CMD_SEND_TINY;
		gather(c->u.tiny, r->iov, r->niov);
		return 0;
	case MXL_CLASS_SMALL:
	case MXL_CLASS_MEDIUM:
		err = mxl_sendq_alloc(&ep->sq, (uint32_t)r->total, &off, &r->sq_id);
		if (err)
			return err;
		r->sq_held = true;
		gather(ep->sendq + off, r->iov, r->niov);
		c->op = MXN_CMD_SEND_QUEUED;
		c->u.q.off = off;
		return 0;
	default:
		err = put_region(ep, r, r->total, &off, &len);
		if (err)
			return err;
		c->op = MXN_CMD_SEND_RNDV;
		c->flags = r->sync ? MXN_CMDF_SYNC : 0;
		c->u.rndv.desc_off = off;
		c->u.rndv.desc_len = len;
		return 0;
	}
}

static int build_pull(struct mx_endpoint *ep, struct mxl_req *r, struct mxn_cmd *c)
{
	struct mxl_addr src;
	uint32_t off, len;
	int err;

	err = put_region(ep, r, r->pull_len, &off, &len);
	if (err)
		return err;

	mxl_addr_unpack(&r->status.source, &src);
	fill_dest(c, &src);
	c->op = MXN_CMD_PULL;
	c->u.pull.rndv_handle = r->rndv_handle;
	c->u.pull.desc_off = off;
	c->u.pull.desc_len = len;
	c->u.pull.pull_len = r->pull_len;
	return 0;
}

static int build_lookup(struct mx_endpoint *ep, struct mxl_req *r, struct mxn_cmd *c)
{
	uint32_t off, n = (uint32_t)strlen(r->name);
	int err;

	c->op = MXN_CMD_LOOKUP;
	c->u.lookup.nic_id = r->nic_id;
	if (r->nic_id)
		return 0;
	err = mxl_sendq_alloc(&ep->sq, n, &off, &r->sq_id);
	if (err)
		return err;
	r->sq_held = true;
	memcpy(ep->sendq + off, r->name, n);
	c->u.lookup.name_off = off;
	c->u.lookup.name_len = n;
	return 0;
}

/* Try to issue now.  -EAGAIN: no room, keep it backlogged. */
static int issue(struct mx_endpoint *ep, struct mxl_req *r)
{
	struct mxn_cmd c;
	uint64_t cookie;
	int err;

	if (!cmd_room(ep))
		return -EAGAIN;
	memset(&c, 0, sizeof(c));
	err = mxl_cookie_get(ep, r, &cookie);
	if (err)
		return err;
	c.cookie = cookie;
	switch (r->kind) {
	case MXL_REQ_SEND:
		err = build_send(ep, r, &c);
		break;
	case MXL_REQ_RECV:
	case MXL_REQ_DISCARD:
		err = build_pull(ep, r, &c);
		break;
	case MXL_REQ_CONNECT:
		c.op = MXN_CMD_CONNECT;
		c.u.connect.nic_id = r->nic_id;
		c.u.connect.key = r->key;
		c.u.connect.timeout_ms = r->timeout_ms;
		c.u.connect.endpoint = r->remote_ep;
		break;
	case MXL_REQ_LOOKUP:
		err = build_lookup(ep, r, &c);
		break;
	default:
		err = -EINVAL;
	}
	if (err) {
		mxl_req_release_resources(r);
		return err == -ENOSPC ? -EAGAIN : err;
	}
	cmd_put(ep, &c);
	r->state |= MXL_RS_INFLIGHT;
	if (r->kind == MXL_REQ_SEND && r->cls != MXL_CLASS_LARGE) {
		r->state |= MXL_RS_BUFFERED; /* the payload is in the slot or the sendq now */
		mxl_wake_waiters(ep);        /* mx_buffered in another thread */
	}
	return 0;
}

static void issue_or_fail(struct mxl_req *r, int err)
{
	if (err == -E2BIG)
		mxl_req_complete(r, MX_STATUS_NO_RESOURCES);
	else
		mxl_req_complete(r, MX_STATUS_REJECTED);
}

void mxl_submit(struct mx_endpoint *ep, struct mxl_req *r)
{
	int err;

	if (ep->dead) {
		mxl_req_complete(r, MX_STATUS_ABORTED);
		return;
	}
	if (mxl_list_empty(&ep->backlog)) {
		err = issue(ep, r);
		if (err == 0)
			return;
		if (err != -EAGAIN) {
			issue_or_fail(r, err);
			return;
		}
	}
	ep->counters[MXL_CNT_BACKLOG]++;
	r->state |= MXL_RS_BACKLOG;
	mxl_list_add_tail(&ep->backlog, &r->link);
}

void mxl_issue_backlog(struct mx_endpoint *ep)
{
	while (!mxl_list_empty(&ep->backlog)) {
		struct mxl_req *r = mxl_container_of(ep->backlog.next, struct mxl_req, link);
		int err = issue(ep, r);

		if (err == -EAGAIN)
			return;
		mxl_list_del(&r->link);
		r->state &= ~MXL_RS_BACKLOG;
		if (err)
			issue_or_fail(r, err);
	}
}

/* A command nothing completes (DISCONNECT): issue now or report -EAGAIN. */
int mxl_issue_oneway(struct mx_endpoint *ep, const struct mxn_cmd *c)
{
	if (ep->dead)
		return -EPIPE;
	if (!mxl_list_empty(&ep->backlog) || !cmd_room(ep))
		return -EAGAIN;
	cmd_put(ep, c);
	mxl_flush(ep);
	return 0;
}
