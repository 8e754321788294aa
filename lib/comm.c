/* SPDX-License-Identifier: MIT */
/* Posting: sends, receives, connections. */
#include <errno.h>
#include <string.h>
#include "mxl.h"

static mx_return_t check_segs(const mx_segment_t *segs, uint32_t n)
{
	if (n > MX_MAX_SEGMENTS)
		return MX_BAD_SEG_CNT;
	if (n && !segs)
		return MX_BAD_SEG_LIST;
	return MX_SUCCESS;
}

static const enum mxl_counter class_counter[] = {
	[MXL_CLASS_TINY] = MXL_CNT_SEND_TINY, [MXL_CLASS_SMALL] = MXL_CNT_SEND_SMALL,
	[MXL_CLASS_MEDIUM] = MXL_CNT_SEND_MEDIUM, [MXL_CLASS_LARGE] = MXL_CNT_SEND_LARGE,
};

static mx_return_t post_send(mx_endpoint_t ep, mx_segment_t *segs, uint32_t n,
			     mx_endpoint_addr_t dest, uint64_t match_info, void *context,
			     mx_request_t *request, bool sync, const char *fn)
{
	struct mxl_addr a;
	struct mxl_req *r;
	mx_return_t ret;

	if (!ep)
		return mxl_error(NULL, fn, MX_BAD_ENDPOINT);
	if (!request)
		return mxl_error(ep, fn, MX_BAD_REQUEST);
	ret = check_segs(segs, n);
	if (ret != MX_SUCCESS)
		return mxl_error(ep, fn, ret);
	if (!mxl_addr_unpack(&dest, &a))
		return mxl_error(ep, fn, MX_BAD_ENDPOINT);
	mxl_lock(ep);
	r = mxl_req_get(ep, MXL_REQ_SEND, context);
	if (!r || mxl_req_set_iov(r, segs, n) || r->total > MXN_LARGE_MAX) {
		if (r)
			mxl_req_put(r);
		mxl_unlock(ep);
		return mxl_error(ep, fn, MX_NO_RESOURCES);
	}
	r->dest = a;
	r->sync = sync;
	r->status.source = dest;
	r->status.match_info = match_info;
	r->status.msg_length = (uint32_t)r->total;
	r->cls = mxl_classify(r->total, ep->medium_max, sync);
	ep->counters[class_counter[r->cls]]++;
	*request = (mx_request_t)(void *)r;
	mxl_submit(ep, r);
	mxl_flush(ep);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_isend(mx_endpoint_t ep, mx_segment_t *segments_list,
				uint32_t segments_count, mx_endpoint_addr_t dest_endpoint,
				uint64_t match_info, void *context, mx_request_t *request)
{
	return post_send(ep, segments_list, segments_count, dest_endpoint, match_info, context,
			 request, false, "mx_isend");
}

MXL_EXPORT mx_return_t mx_issend(mx_endpoint_t ep, mx_segment_t *segments_list,
				 uint32_t segments_count, mx_endpoint_addr_t dest_endpoint,
				 uint64_t match_info, void *context, mx_request_t *request)
{
	return post_send(ep, segments_list, segments_count, dest_endpoint, match_info, context,
			 request, true, "mx_issend");
}

mx_return_t mxl_post_recv(mx_endpoint_t ep, mx_segment_t *segs, uint32_t n, uint64_t match_info,
			  uint64_t match_mask, const struct mxl_srcsel *from, void *context,
			  mx_request_t *request, const char *fn)
{
	struct mxl_unexp *u;
	struct mxl_req *r;
	mx_return_t ret;

	if (!ep)
		return mxl_error(NULL, fn, MX_BAD_ENDPOINT);
	ret = check_segs(segs, n);
	if (ret != MX_SUCCESS)
		return mxl_error(ep, fn, ret);
	if (match_info & ~match_mask)
		return mxl_error(ep, fn, MX_BAD_MATCH_MASK);
	if (!mxl_ctxid_ok(ep, match_mask))
		return mxl_error(ep, fn, MX_BAD_MATCHING_FOR_CONTEXT_ID_MASK);
	mxl_lock(ep);
	r = mxl_req_get(ep, MXL_REQ_RECV, context);
	if (!r || mxl_req_set_iov(r, segs, n)) {
		if (r)
			mxl_req_put(r);
		mxl_unlock(ep);
		return mxl_error(ep, fn, MX_NO_RESOURCES);
	}
	r->posted.match_info = match_info;
	r->posted.mask = match_mask;
	if (from)
		r->posted.from = *from;
	/* Open-MX/MX allow a NULL request for a receive nobody will test. */
	if (request)
		*request = (mx_request_t)(void *)r;
	else
		r->state |= MXL_RS_FORGOTTEN;
	u = mxl_match_find_unexp_from(&ep->m, match_info, match_mask, from, true);
	if (u) {
		mxl_recv_matched_unexp(ep, r, u);
		mxl_flush(ep);
	} else if (ep->dead) {
		mxl_req_complete(r, MX_STATUS_ABORTED);
	} else {
		r->state |= MXL_RS_POSTED;
		mxl_match_post(&ep->m, &r->posted);
	}
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_irecv(mx_endpoint_t ep, mx_segment_t *segments_list,
				uint32_t segments_count, uint64_t match_info, uint64_t match_mask,
				void *context, mx_request_t *request)
{
	return mxl_post_recv(ep, segments_list, segments_count, match_info, match_mask, NULL,
			     context, request, "mx_irecv");
}

/* mx_iconnect keeps trying an endpoint that is not open for the request
 * timeout (mx_set_request_timeout), this long when none was set. */
#define MXL_ICONNECT_TIMEOUT_MS 10000u

static mx_return_t post_connect(mx_endpoint_t ep, uint64_t nic_id, uint32_t eid, uint32_t key,
				uint32_t timeout_ms, uint64_t match_info, void *context,
				bool internal, struct mxl_req **out, const char *fn)
{
	struct mxl_req *r;
	uint64_t now = mxl_now_ns();

	*out = NULL; /* defined on every path: gcc -O3 cannot see mxl_error != MX_SUCCESS */
	if (!ep)
		return mxl_error(NULL, fn, MX_BAD_ENDPOINT);
	if (eid >= MXN_ENDPOINTS_MAX - 1)
		return mxl_error(ep, fn, MX_BAD_ENDPOINT_ID);
	r = mxl_req_new(ep, MXL_REQ_CONNECT, context);
	if (!r)
		return mxl_error(ep, fn, MX_NO_RESOURCES);
	r->nic_id = nic_id;
	r->remote_ep = (uint8_t)eid;
	r->key = key;
	r->status.match_info = match_info;
	if (internal)
		r->state |= MXL_RS_INTERNAL;
	mxl_lock(ep);
	if (!internal)
		timeout_ms = ep->request_timeout_ms ? ep->request_timeout_ms : MXL_ICONNECT_TIMEOUT_MS;
	/* MX_INFINITE: for ever (the daemon bounds each try by this too). */
	r->deadline_ns = timeout_ms == MX_INFINITE ? UINT64_MAX : now + timeout_ms * 1000000ull;
	r->timeout_ms = timeout_ms; /* MX_INFINITE is 0: the daemon's default */
	mxl_submit(ep, r);
	mxl_flush(ep);
	mxl_unlock(ep);
	*out = r;
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_iconnect(mx_endpoint_t ep, uint64_t nic_id, uint32_t eid, uint32_t key,
				   uint64_t match_info, void *context, mx_request_t *request)
{
	struct mxl_req *r;
	mx_return_t ret;

	if (!request)
		return mxl_error(ep, "mx_iconnect", MX_BAD_REQUEST);
	ret = post_connect(ep, nic_id, eid, key, 0, match_info, context, false, &r, "mx_iconnect");
	if (ret == MX_SUCCESS)
		*request = (mx_request_t)(void *)r;
	return ret;
}

static mx_return_t connect_ret(mx_status_code_t code)
{
	switch (code) {
	case MX_STATUS_SUCCESS: return MX_SUCCESS;
	case MX_STATUS_BAD_KEY: return MX_BAD_CONNECTION_KEY;
	case MX_STATUS_TIMEOUT: return MX_TIMEOUT;
	case MX_STATUS_ENDPOINT_UNKNOWN: return MX_NIC_NOT_FOUND;
	case MX_STATUS_ABORTED: return MX_NIC_DEAD;
	case MX_STATUS_NO_RESOURCES: return MX_NO_RESOURCES;
	default: return MX_CONNECTION_FAILED;
	}
}

static bool connect_done(struct mx_endpoint *ep, void *arg)
{
	(void)ep;
	return (((struct mxl_req *)arg)->state & MXL_RS_DONE) != 0;
}

MXL_EXPORT mx_return_t mx_connect(mx_endpoint_t ep, uint64_t nic_id, uint32_t endpoint_id,
				  uint32_t key, uint32_t timeout, mx_endpoint_addr_t *addr)
{
	mx_status_code_t code;
	struct mxl_req *r;
	mx_return_t ret;
	bool done;

	if (!addr)
		return mxl_error(ep, "mx_connect", MX_BAD_ENDPOINT);
	ret = post_connect(ep, nic_id, endpoint_id, key, timeout, 0, NULL, true, &r, "mx_connect");
	if (ret != MX_SUCCESS)
		return ret;
	mxl_lock(ep);
	/* The daemon enforces the timeout; our own bound only guards against
	 * a daemon that never answers. */
	done = mxl_wait_until(ep, timeout == MX_INFINITE ? MX_INFINITE : timeout + 1000,
			      connect_done, r);
	if (!done) {
		r->state |= MXL_RS_FORGOTTEN;
		mxl_unlock(ep);
		return mxl_error(ep, "mx_connect", ep->dead ? MX_NIC_DEAD : MX_TIMEOUT);
	}
	code = r->status.code;
	if (code == MX_STATUS_SUCCESS)
		*addr = r->status.source;
	mxl_req_free(r);
	mxl_unlock(ep);
	return code == MX_STATUS_SUCCESS ? MX_SUCCESS : mxl_error(ep, "mx_connect", connect_ret(code));
}

MXL_EXPORT mx_return_t mx_disconnect(mx_endpoint_t ep, mx_endpoint_addr_t addr)
{
	struct mxl_addr a;
	struct mxn_cmd c;
	int err;

	if (!ep)
		return mxl_error(NULL, "mx_disconnect", MX_BAD_ENDPOINT);
	if (!mxl_addr_unpack(&addr, &a))
		return mxl_error(ep, "mx_disconnect", MX_BAD_ENDPOINT);
	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_DISCONNECT;
	c.dest_endpoint = a.endpoint;
	c.dest_session = a.session;
	c.u.connect.endpoint = a.endpoint;
	mxl_lock(ep);
	c.dest_peer = mxl_peer_now(ep, &a);
	c.u.connect.nic_id = mxl_addr_nic_now(ep, &a);
	mxl_progress(ep);
	err = mxl_issue_oneway(ep, &c);
	mxl_unlock(ep);
	if (err == -EPIPE)
		return mxl_error(ep, "mx_disconnect", MX_NIC_DEAD);
	return err ? mxl_error(ep, "mx_disconnect", MX_NO_RESOURCES) : MX_SUCCESS;
}

/* Declared by MX, implemented by neither MX 1.2 nor Open-MX. */
static mx_return_t one_sided(mx_endpoint_t ep, const char *fn)
{
	return mxl_error(ep, fn, MX_FAILURE);
}

MXL_EXPORT mx_return_t mx_iput(mx_endpoint_t endpoint, void *local_addr, uint32_t length,
			       mx_endpoint_addr_t dest_endpoint, uint64_t remote_addr,
			       void *context, mx_request_t *request)
{
	(void)local_addr, (void)length, (void)dest_endpoint, (void)remote_addr;
	(void)context, (void)request;
	return one_sided(endpoint, "mx_iput");
}

MXL_EXPORT mx_return_t mx_iget(mx_endpoint_t endpoint, void *local_addr, uint32_t length,
			       mx_endpoint_addr_t dest_endpoint, uint64_t remote_addr,
			       void *context, mx_request_t *request)
{
	(void)remote_addr, (void)local_addr, (void)length, (void)dest_endpoint;
	(void)request, (void)context;
	return one_sided(endpoint, "mx_iget");
}
