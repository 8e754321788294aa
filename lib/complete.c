/* SPDX-License-Identifier: MIT */
/* Completion calls: test, wait, *_any, peek, probe, buffered, cancel, forget. */
#include "mxl.h"

static struct mxl_req *req_of(mx_endpoint_t ep, mx_request_t *request)
{
	struct mxl_req *r;

	if (!request || !*request)
		return NULL;
	r = &(*request)->r;
	return r->ep == ep ? r : NULL;
}

/* Hand a completed request's status to the caller and free it. */
static void reap(struct mxl_req *r, mx_status_t *status)
{
	if (status)
		*status = r->status;
	mxl_list_del(&r->done_link);
	mxl_req_put(r);
}

static bool req_done(struct mx_endpoint *ep, void *arg)
{
	(void)ep;
	return (((struct mxl_req *)arg)->state & MXL_RS_DONE) != 0;
}

static bool req_buffered(struct mx_endpoint *ep, void *arg)
{
	(void)ep;
	return (((struct mxl_req *)arg)->state & (MXL_RS_DONE | MXL_RS_BUFFERED)) != 0;
}

MXL_EXPORT mx_return_t mx_test(mx_endpoint_t ep, mx_request_t *request, mx_status_t *status,
			       uint32_t *result)
{
	struct mxl_req *r;

	if (!ep)
		return mxl_error(NULL, "mx_test", MX_BAD_ENDPOINT);
	if (!result || !(r = req_of(ep, request)))
		return mxl_error(ep, "mx_test", MX_BAD_REQUEST);
	mxl_lock(ep);
	mxl_progress(ep);
	*result = (r->state & MXL_RS_DONE) != 0;
	if (*result) {
		reap(r, status);
		*request = NULL;
	}
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_wait(mx_endpoint_t ep, mx_request_t *request, uint32_t timeout,
			       mx_status_t *status, uint32_t *result)
{
	struct mxl_req *r;

	if (!ep)
		return mxl_error(NULL, "mx_wait", MX_BAD_ENDPOINT);
	if (!result || !(r = req_of(ep, request)))
		return mxl_error(ep, "mx_wait", MX_BAD_REQUEST);
	mxl_lock(ep);
	*result = mxl_wait_until(ep, timeout, req_done, r);
	if (*result) {
		reap(r, status);
		*request = NULL;
	}
	mxl_unlock(ep);
	return MX_SUCCESS;
}

struct mxl_any {
	uint64_t match_info, mask;
	struct mxl_req *found;
};

static bool any_done(struct mx_endpoint *ep, void *arg)
{
	struct mxl_any *a = arg;
	struct mxl_list *pos;

	mxl_list_for_each(pos, &ep->done) {
		struct mxl_req *r = mxl_container_of(pos, struct mxl_req, done_link);

		if (mxl_match_ok(r->status.match_info, a->match_info, a->mask)) {
			a->found = r;
			return true;
		}
	}
	return false;
}

MXL_EXPORT mx_return_t mx_test_any(mx_endpoint_t ep, uint64_t match_info, uint64_t match_mask,
				   mx_status_t *status, uint32_t *result)
{
	struct mxl_any a = { match_info, match_mask, NULL };

	if (!ep)
		return mxl_error(NULL, "mx_test_any", MX_BAD_ENDPOINT);
	if (!result)
		return mxl_error(ep, "mx_test_any", MX_BAD_REQUEST);
	if (match_info & ~match_mask)
		return mxl_error(ep, "mx_test_any", MX_BAD_MATCH_MASK);
	if (!mxl_ctxid_ok(ep, match_mask))
		return mxl_error(ep, "mx_test_any", MX_BAD_MATCHING_FOR_CONTEXT_ID_MASK);
	mxl_lock(ep);
	mxl_progress(ep);
	*result = any_done(ep, &a);
	if (*result)
		reap(a.found, status);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_wait_any(mx_endpoint_t ep, uint32_t timeout, uint64_t match_info,
				   uint64_t match_mask, mx_status_t *status, uint32_t *result)
{
	struct mxl_any a = { match_info, match_mask, NULL };

	if (!ep)
		return mxl_error(NULL, "mx_wait_any", MX_BAD_ENDPOINT);
	if (!result)
		return mxl_error(ep, "mx_wait_any", MX_BAD_REQUEST);
	if (match_info & ~match_mask)
		return mxl_error(ep, "mx_wait_any", MX_BAD_MATCH_MASK);
	if (!mxl_ctxid_ok(ep, match_mask))
		return mxl_error(ep, "mx_wait_any", MX_BAD_MATCHING_FOR_CONTEXT_ID_MASK);
	mxl_lock(ep);
	*result = mxl_wait_until(ep, timeout, any_done, &a);
	if (*result)
		reap(a.found, status);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

static bool peek_done(struct mx_endpoint *ep, void *arg)
{
	(void)arg;
	return !mxl_list_empty(&ep->done);
}

static void peek_take(struct mx_endpoint *ep, mx_request_t *request)
{
	struct mxl_req *r = mxl_container_of(ep->done.next, struct mxl_req, done_link);

	*request = (mx_request_t)(void *)r;
}

MXL_EXPORT mx_return_t mx_ipeek(mx_endpoint_t ep, mx_request_t *request, uint32_t *result)
{
	if (!ep)
		return mxl_error(NULL, "mx_ipeek", MX_BAD_ENDPOINT);
	if (!request || !result)
		return mxl_error(ep, "mx_ipeek", MX_BAD_REQUEST);
	/* A peek names no match info, hence no context: with context ids it
	 * would see every context's completions. */
	if (ep->ctxid_mask)
		return mxl_error(ep, "mx_ipeek", MX_NOT_SUPPORTED_WITH_CONTEXT_ID);
	mxl_lock(ep);
	mxl_progress(ep);
	*result = peek_done(ep, NULL);
	if (*result)
		peek_take(ep, request);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_peek(mx_endpoint_t ep, uint32_t timeout, mx_request_t *request,
			       uint32_t *result)
{
	if (!ep)
		return mxl_error(NULL, "mx_peek", MX_BAD_ENDPOINT);
	if (!request || !result)
		return mxl_error(ep, "mx_peek", MX_BAD_REQUEST);
	/* A peek names no match info, hence no context: with context ids it
	 * would see every context's completions. */
	if (ep->ctxid_mask)
		return mxl_error(ep, "mx_peek", MX_NOT_SUPPORTED_WITH_CONTEXT_ID);
	mxl_lock(ep);
	*result = mxl_wait_until(ep, timeout, peek_done, NULL);
	if (*result)
		peek_take(ep, request);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

struct mxl_probe {
	uint64_t match_info, mask;
	struct mxl_unexp *u;
};

static bool probe_found(struct mx_endpoint *ep, void *arg)
{
	struct mxl_probe *p = arg;

	p->u = mxl_match_find_unexp(&ep->m, p->match_info, p->mask, false);
	return p->u != NULL;
}

void mxl_probe_status(const struct mx_endpoint *ep, const struct mxl_unexp *u,
		      mx_status_t *status)
{
	if (!status)
		return;
	status->code = MX_STATUS_SUCCESS;
	mxl_addr_from_source(ep, &u->src, &status->source);
	status->match_info = u->match_info;
	status->msg_length = u->length;
	status->xfer_length = u->length;
	status->context = NULL;
}

MXL_EXPORT mx_return_t mx_iprobe(mx_endpoint_t ep, uint64_t match_info, uint64_t match_mask,
				 mx_status_t *status, uint32_t *result)
{
	struct mxl_probe p = { match_info, match_mask, NULL };

	if (!ep)
		return mxl_error(NULL, "mx_iprobe", MX_BAD_ENDPOINT);
	if (!result)
		return mxl_error(ep, "mx_iprobe", MX_BAD_REQUEST);
	if (match_info & ~match_mask)
		return mxl_error(ep, "mx_iprobe", MX_BAD_MATCH_MASK);
	if (!mxl_ctxid_ok(ep, match_mask))
		return mxl_error(ep, "mx_iprobe", MX_BAD_MATCHING_FOR_CONTEXT_ID_MASK);
	mxl_lock(ep);
	mxl_progress(ep);
	*result = probe_found(ep, &p);
	if (*result)
		mxl_probe_status(ep, p.u, status);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_probe(mx_endpoint_t ep, uint32_t timeout, uint64_t match_info,
				uint64_t match_mask, mx_status_t *status, uint32_t *result)
{
	struct mxl_probe p = { match_info, match_mask, NULL };

	if (!ep)
		return mxl_error(NULL, "mx_probe", MX_BAD_ENDPOINT);
	if (!result)
		return mxl_error(ep, "mx_probe", MX_BAD_REQUEST);
	if (match_info & ~match_mask)
		return mxl_error(ep, "mx_probe", MX_BAD_MATCH_MASK);
	if (!mxl_ctxid_ok(ep, match_mask))
		return mxl_error(ep, "mx_probe", MX_BAD_MATCHING_FOR_CONTEXT_ID_MASK);
	mxl_lock(ep);
	*result = mxl_wait_until(ep, timeout, probe_found, &p);
	if (*result)
		mxl_probe_status(ep, p.u, status);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_ibuffered(mx_endpoint_t ep, mx_request_t *request, uint32_t *result)
{
	struct mxl_req *r;

	if (!ep)
		return mxl_error(NULL, "mx_ibuffered", MX_BAD_ENDPOINT);
	if (!result || !(r = req_of(ep, request)))
		return mxl_error(ep, "mx_ibuffered", MX_BAD_REQUEST);
	mxl_lock(ep);
	mxl_progress(ep);
	*result = req_buffered(ep, r);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_buffered(mx_endpoint_t ep, mx_request_t *request, uint32_t timeout,
				   uint32_t *result)
{
	struct mxl_req *r;

	if (!ep)
		return mxl_error(NULL, "mx_buffered", MX_BAD_ENDPOINT);
	if (!result || !(r = req_of(ep, request)))
		return mxl_error(ep, "mx_buffered", MX_BAD_REQUEST);
	mxl_lock(ep);
	*result = mxl_wait_until(ep, timeout, req_buffered, r);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_cancel(mx_endpoint_t ep, mx_request_t *request, uint32_t *result)
{
	struct mxl_req *r;

	if (!ep)
		return mxl_error(NULL, "mx_cancel", MX_BAD_ENDPOINT);
	if (!result || !(r = req_of(ep, request)))
		return mxl_error(ep, "mx_cancel", MX_BAD_REQUEST);
	mxl_lock(ep);
	/* Only a receive nobody matched yet can be taken back; once matched
	 * (or for a send) the request runs to completion. */
	*result = 0;
	if (r->kind == MXL_REQ_RECV && (r->state & MXL_RS_POSTED)) {
		mxl_match_unpost(&ep->m, &r->posted);
		mxl_req_free(r);
		*request = NULL;
		*result = 1;
	}
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_forget(mx_endpoint_t ep, mx_request_t *request)
{
	struct mxl_req *r;

	if (!ep)
		return mxl_error(NULL, "mx_forget", MX_BAD_ENDPOINT);
	if (!(r = req_of(ep, request)))
		return mxl_error(ep, "mx_forget", MX_BAD_REQUEST);
	mxl_lock(ep);
	if (r->state & MXL_RS_DONE)
		reap(r, NULL);
	else
		r->state |= MXL_RS_FORGOTTEN;
	*request = NULL;
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_context(mx_request_t *request, void **context)
{
	if (!request || !*request || !context)
		return mxl_error(NULL, "mx_context", MX_BAD_REQUEST);
	*context = (*request)->r.status.context;
	return MX_SUCCESS;
}
