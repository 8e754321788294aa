/* SPDX-License-Identifier: MIT */
/*
 * The receive side of the framing (frame.h): a head arrived in the header
 * buffer and the application's iov; deliver it, or post the tail receive
 * (directed at the head's sender, matched by the tail sequence) into the
 * rest of the iov.  A truncated head still takes its tail, into nothing,
 * so that the sender's rendezvous completes.
 */
#include "myx.h"

static void post_tail(struct myx_ep *ep, struct myx_req *r, const mx_status_t *st,
		      uint64_t carried)
{
	struct iovec part[MYX_IOV_LIMIT];
	mx_segment_t segs[MYX_IOV_LIMIT];
	uint64_t rest = r->h.total - carried, room = r->len > carried ? r->len - carried : 0;
	int n = 0, i;

	if (r->got == carried && room)
		n = myx_iov_slice(r->iov, r->iov_count, carried, room < rest ? room : rest, part,
				  MYX_IOV_LIMIT);
	for (i = 0; i < n; i++) {
		segs[i].segment_ptr = part[i].iov_base;
		segs[i].segment_length = (uint32_t)part[i].iov_len;
	}
	r->in_tail = true;
	if (n < 0 || mx_irecv_from(ep->mx, segs, (uint32_t)(n < 0 ? 0 : n), st->source,
				   myx_tail_match(r->h.seq), MX_MATCH_MASK_NONE, r,
				   &r->mx) != MX_SUCCESS)
		myx_req_finish(ep, r, FI_EIO, r->got, 0);
}

void myx_recv_head_done(struct myx_ep *ep, struct myx_req *r, const mx_status_t *st)
{
	int err = myx_status_err(st->code);
	uint64_t carried;

	if (err && err != FI_ETRUNC) {
		myx_req_finish(ep, r, err, 0, 0);
		return;
	}
	r->started = true;
	r->tag = (r->flags & FI_TAGGED) ? myx_tag_of(st->match_info) : 0;
	/* Only provider messages are understood; anything else (a plain MX
	 * sender, a short or inconsistent header) is an error, never data. */
	if (st->xfer_length < MYX_HDR_LEN || !myx_hdr_get(r->hdr, st->msg_length, &r->h)) {
		r->started = false;
		myx_req_finish(ep, r, FI_EIO, 0, 0);
		return;
	}
	carried = st->msg_length - MYX_HDR_LEN;
	r->got = st->xfer_length - MYX_HDR_LEN;
	if (r->h.flags & MYX_HDR_TAIL) {
		post_tail(ep, r, st, carried);
		return;
	}
	myx_req_finish(ep, r, r->got < r->h.total ? FI_ETRUNC : 0, r->got, r->h.total - r->got);
}
