/* SPDX-License-Identifier: MIT */
/*
 * Matching on the sender (mx_extensions.h): directed receive and probe,
 * and claims.  Everything happens in the library's matcher; the daemon and
 * the wire carry the same messages as for mx_irecv.
 */
#include <string.h>
#include "mxl.h"

static bool srcsel_of(const mx_endpoint_addr_t *source, struct mxl_srcsel *f)
{
	struct mxl_addr a;

	f->on = false;
	if (!source)
		return true;
	if (!mxl_addr_unpack(source, &a))
		return false;
	f->nic_id = a.nic_id;
	f->endpoint = a.endpoint;
	f->on = true;
	return true;
}

MXL_EXPORT mx_return_t mx_irecv_from(mx_endpoint_t ep, mx_segment_t *segments_list,
				     uint32_t segments_count, mx_endpoint_addr_t source,
				     uint64_t match_info, uint64_t match_mask, void *context,
				     mx_request_t *request)
{
	struct mxl_srcsel f;

	if (!srcsel_of(&source, &f))
		return mxl_error(ep, "mx_irecv_from", MX_BAD_ENDPOINT);
	return mxl_post_recv(ep, segments_list, segments_count, match_info, match_mask, &f,
			     context, request, "mx_irecv_from");
}

/* Progress, then the oldest unexpected message the filters admit. */
static mx_return_t find(mx_endpoint_t ep, const mx_endpoint_addr_t *source, uint64_t match_info,
			uint64_t match_mask, uint32_t *result, const char *fn,
			struct mxl_unexp **out)
{
	struct mxl_srcsel f;

	if (!ep)
		return mxl_error(NULL, fn, MX_BAD_ENDPOINT);
	if (!result)
		return mxl_error(ep, fn, MX_BAD_REQUEST);
	if (match_info & ~match_mask)
		return mxl_error(ep, fn, MX_BAD_MATCH_MASK);
	if (!mxl_ctxid_ok(ep, match_mask))
		return mxl_error(ep, fn, MX_BAD_MATCHING_FOR_CONTEXT_ID_MASK);
	if (!srcsel_of(source, &f))
		return mxl_error(ep, fn, MX_BAD_ENDPOINT);
	mxl_lock(ep);
	mxl_progress(ep);
	*out = mxl_match_find_unexp_from(&ep->m, match_info, match_mask, &f, false);
	*result = *out != NULL;
	return MX_SUCCESS;   /* locked */
}

/* The probe's answer: MX's status, plus the head of an eager payload. */
static void probe_out(const struct mx_endpoint *ep, const struct mxl_unexp *u,
		      mx_status_t *status, void *head, uint32_t head_len)
{
	uint32_t n = 0;

	if (head && u->kind == MXL_UNEXP_EAGER) {
		n = u->length < head_len ? u->length : head_len;
		if (n)
			memcpy(head, u->data, n);
	}
	if (status) {
		mxl_probe_status(ep, u, status);
		status->xfer_length = n;
	}
}

MXL_EXPORT mx_return_t mx_iprobe_from(mx_endpoint_t ep, const mx_endpoint_addr_t *source,
				      uint64_t match_info, uint64_t match_mask,
				      mx_status_t *status, void *head, uint32_t head_len,
				      uint32_t *result)
{
	struct mxl_unexp *u = NULL;
	mx_return_t ret;

	ret = find(ep, source, match_info, match_mask, result, "mx_iprobe_from", &u);
	if (ret != MX_SUCCESS)
		return ret;
	if (u)
		probe_out(ep, u, status, head, head_len);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_iclaim(mx_endpoint_t ep, const mx_endpoint_addr_t *source,
				 uint64_t match_info, uint64_t match_mask, mx_status_t *status,
				 void *head, uint32_t head_len, mx_claim_t *claim, uint32_t *result)
{
	struct mxl_unexp *u = NULL;
	mx_return_t ret;

	if (!claim)
		return mxl_error(ep, "mx_iclaim", MX_BAD_REQUEST);
	ret = find(ep, source, match_info, match_mask, result, "mx_iclaim", &u);
	if (ret != MX_SUCCESS)
		return ret;
	if (u) {
		probe_out(ep, u, status, head, head_len);
		mxl_list_del(&u->link);
		ep->m.nunexp--;
		mxl_list_add_tail(&ep->claimed, &u->link);
		*claim = (mx_claim_t)(void *)u;
	}
	mxl_unlock(ep);
	return MX_SUCCESS;
}

/* A claim is only honoured when it is one of this endpoint's. */
static struct mxl_unexp *claim_take(struct mx_endpoint *ep, mx_claim_t claim)
{
	struct mxl_list *pos;

	mxl_list_for_each(pos, &ep->claimed) {
		struct mxl_unexp *u = mxl_container_of(pos, struct mxl_unexp, link);

		if ((void *)u == (void *)claim) {
			mxl_list_del(&u->link);
			return u;
		}
	}
	return NULL;
}

MXL_EXPORT mx_return_t mx_irecv_claimed(mx_endpoint_t ep, mx_segment_t *segments_list,
					uint32_t segments_count, mx_claim_t claim, void *context,
					mx_request_t *request)
{
	struct mxl_unexp *u;
	struct mxl_req *r;

	if (!ep)
		return mxl_error(NULL, "mx_irecv_claimed", MX_BAD_ENDPOINT);
	if (segments_count > MX_MAX_SEGMENTS)
		return mxl_error(ep, "mx_irecv_claimed", MX_BAD_SEG_CNT);
	if (segments_count && !segments_list)
		return mxl_error(ep, "mx_irecv_claimed", MX_BAD_SEG_LIST);
	r = mxl_req_new(ep, MXL_REQ_RECV, context);
	if (!r || mxl_req_set_iov(r, segments_list, segments_count)) {
		if (r)
			mxl_req_free(r);
		return mxl_error(ep, "mx_irecv_claimed", MX_NO_RESOURCES);
	}
	mxl_lock(ep);
	u = claim_take(ep, claim);
	if (!u) {
		mxl_unlock(ep);
		mxl_req_free(r);
		return mxl_error(ep, "mx_irecv_claimed", MX_BAD_REQUEST);
	}
	if (request)
		*request = (mx_request_t)(void *)r;
	else
		r->state |= MXL_RS_FORGOTTEN;
	r->posted.match_info = u->match_info;
	r->posted.mask = MX_MATCH_MASK_NONE;
	mxl_recv_matched_unexp(ep, r, u);
	mxl_flush(ep);
	mxl_unlock(ep);
	return MX_SUCCESS;
}
