/* SPDX-License-Identifier: MIT */
/*
 * Windowed rendezvous (abi.h "Windowed regions"): a guest that pins what it
 * describes (Xen) gives a large message one MXN_RNDV_WINDOW at a time, so a
 * message of up to 4 GiB - 1 never holds more than a window of grants on
 * either side.  The daemon moves window k (the transport's worker, or the
 * bounce copy), asks both sides for window k + 1 (MXN_EVT_REGION_MORE),
 * and moves it once both REGION_NEXT answers are in.  A side that
 * described all of its memory (a local process facing a Xen guest) is not
 * asked: its region is read or written at the window's offset, through
 * the bounce buffer as for any pull between two transports.  The pull stays
 * held (remote_inflight) from the PULL to the last window, like any local
 * pull.  Only between endpoints of this host: the wire engine reads a
 * region at any offset, at any time.
 */
#include <errno.h>
#include "core_priv.h"

static uint32_t window_len(uint32_t total, uint32_t off)
{
	return total - off < MXN_RNDV_WINDOW ? total - off : MXN_RNDV_WINDOW;
}

static bool src_windowed(const struct mxd_rndv *r)
{
	return r->region && mxn_region_windowed(r->region->total_len, r->length);
}

bool mxd_window_wanted(const struct mxd_rndv *r, const struct mxd_region *to, uint32_t len)
{
	return len > MXN_RNDV_WINDOW && (src_windowed(r) || mxn_region_windowed(to->total_len, len));
}

/* End a windowed pull on both sides (frees r). */
static void window_end(struct mxd_endpoint *dst, struct mxd_rndv *r, uint8_t status)
{
	if (dst->remote_inflight)
		dst->remote_inflight--;
	mxd_pull_finish(dst, r, r->pull_cookie, status, r->moved);
	mxd_ep_activate(dst);
}

/* Move the window at r->win_off (both regions describe it). */
static void window_move(struct mxd_endpoint *dst, struct mxd_rndv *r)
{
	const struct mxd_transport_ops *ops = dst->ops;
	uint32_t n = window_len(r->pull_len, r->win_off);
	uint8_t status;

	if (r->src_win && r->dst_win && r->src->ops == ops && ops->pull_async) {
		if (ops->pull_async(r->src, r->region, dst, r->pull_region, n, r, &r->job) == 0) {
			r->job_ops = ops;
			return; /* mxd_pull_async_done goes on */
		}
		dst->st.no_resources++;
		dst->core->st.pull_busy++;
		window_end(dst, r, MXN_ST_NO_RESOURCES);
		return;
	}
	status = mxd_pull_copy_at(r, dst, r->pull_region, r->src_win ? 0 : r->win_off,
				  r->dst_win ? 0 : r->win_off, n);
	if (status == MXN_ST_OK && mxd_window_next(dst, r, n))
		return;
	window_end(dst, r, status);
}

int mxd_window_pull(struct mxd_endpoint *ep, struct mxd_rndv *r, const struct mxn_cmd *c,
		    uint32_t len, struct mxd_region *to)
{
	/* A side that does not window describes all of it (the caller cut
	 * len to the receiver's region); a sender of this host only. */
	if (r->remote_src || r->src_gone || !r->src || !r->region) {
		ep->st.no_resources++;
		mxd_pull_finish(ep, r, c->cookie,
				r->src_gone ? mxd_rndv_gone_status(r) : MXN_ST_NO_RESOURCES,
				0);
		mxd_region_free(to);
		return 0;
	}
	r->src_win = src_windowed(r);
	r->dst_win = mxn_region_windowed(to->total_len, len);
	mxd_pull_hold(ep, r, c, len, to);
	r->windowed = true;
	r->win_off = 0;
	r->moved = 0;
	window_move(ep, r);
	return 0;
}

bool mxd_window_next(struct mxd_endpoint *dst, struct mxd_rndv *r, uint32_t len)
{
	r->moved += len;
	if (r->moved >= r->pull_len || r->src_gone || !r->src)
		return false;
	r->win_off += MXN_RNDV_WINDOW;
	/* Done with the windows: their grants may end now. */
	if (r->src_win) {
		mxd_region_free(r->region);
		r->region = NULL;
		r->src_wait = true;
		mxd_ep_done(r->src, MXN_EVT_REGION_MORE, r->cookie, MXN_ST_OK, r->win_off);
		mxd_ep_activate(r->src);
	}
	if (r->dst_win) {
		mxd_region_free(r->pull_region);
		r->pull_region = NULL;
		r->dst_wait = true;
		mxd_ep_done(dst, MXN_EVT_REGION_MORE, r->pull_cookie, MXN_ST_OK, r->win_off);
		mxd_ep_activate(dst);
	}
	return true;
}

/* The rendezvous waiting for ep's window under this cookie, or NULL. */
static struct mxd_rndv *waiting_for(struct mxd_endpoint *ep, uint64_t cookie, bool *src_side)
{
	struct mxd_rndv *r;

	LIST_FOREACH(r, &ep->rndv_out, src_link)
		if (r->windowed && r->src_wait && r->cookie == cookie) {
			*src_side = true;
			return r;
		}
	for (uint32_t i = 0; i < ep->rndv_in_cap; i++) {
		r = ep->rndv_in[i];
		if (r && r->windowed && r->dst_wait && r->pull_cookie == cookie) {
			*src_side = false;
			return r;
		}
	}
	return NULL;
}

int mxd_cmd_region_next(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_region *reg = NULL;
	struct mxd_rndv *r;
	bool src_side = false;
	int err;

	r = waiting_for(ep, c->cookie, &src_side);
	if (!r)
		return 0; /* the transfer ended meanwhile (a side closed): nothing owed */
	err = mxd_region_copy(ep->sendq, ep->geo.sendq_size, c->u.window.desc_off,
			      c->u.window.desc_len, ep->ops->region_kind, &reg);
	if (!err && ep->ops->validate_region)
		err = ep->ops->validate_region(ep, reg);
	if (err && err != -ENOMEM) {
		mxd_ep_fault(ep, "bad region descriptor in REGION_NEXT");
		return -EPROTO;
	}
	/* An empty region (the guest cannot pin it), a wrong offset or
	 * length: the transfer fails on both sides, nobody is cut off. */
	if (err || c->u.window.offset != r->win_off ||
	    reg->total_len != window_len(src_side ? r->length : r->pull_len, r->win_off)) {
		mxd_region_free(reg);
		ep->st.no_resources++;
		window_end(r->dst, r, MXN_ST_NO_RESOURCES);
		return 0;
	}
	if (src_side) {
		r->region = reg;
		r->src_wait = false;
	} else {
		r->pull_region = reg;
		r->dst_wait = false;
	}
	if (!r->src_wait && !r->dst_wait)
		window_move(r->dst, r);
	return 0;
}

void mxd_window_src_gone(struct mxd_rndv *r)
{
	if (r->dst && r->windowed && r->pulling && !r->job)
		window_end(r->dst, r, mxd_rndv_gone_status(r));
}
