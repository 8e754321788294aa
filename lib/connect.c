/* SPDX-License-Identifier: MIT */
/*
 * Connect retries.  MX keeps trying a connect whose endpoint is not open
 * (yet) until the call's timeout: in a job launch a server opening its
 * endpoint a moment after its clients call mx_connect is normal.  A connect
 * the daemon answers "no such endpoint" or "closed" waits on ep->retry and
 * is issued again after a back-off (10 ms, doubling up to 200 ms) until its
 * deadline, when it completes with MX_STATUS_TIMEOUT.  A wrong key, or any
 * other answer, completes at once.
 */
#include "mxl.h"

#define MXL_RETRY_FIRST_MS 10u
#define MXL_RETRY_MAX_MS 200u

static bool not_there_yet(mx_status_code_t code)
{
	return code == MX_STATUS_BAD_ENDPOINT || code == MX_STATUS_ENDPOINT_CLOSED;
}

bool mxl_connect_retry(struct mx_endpoint *ep, struct mxl_req *r, mx_status_code_t code)
{
	uint64_t now = mxl_now_ns(), next;

	if (!not_there_yet(code) || !r->deadline_ns || ep->dead ||
	    (r->state & MXL_RS_FORGOTTEN))
		return false;
	r->retry_ms = r->retry_ms ? r->retry_ms * 2 : MXL_RETRY_FIRST_MS;
	if (r->retry_ms > MXL_RETRY_MAX_MS)
		r->retry_ms = MXL_RETRY_MAX_MS;
	next = now + r->retry_ms * 1000000ull;
	mxl_req_release_resources(r); /* the cookie of this try */
	r->state &= ~MXL_RS_INFLIGHT;
	if (now >= r->deadline_ns) {
		mxl_req_complete(r, MX_STATUS_TIMEOUT);
		return true;
	}
	r->retry_at_ns = next < r->deadline_ns ? next : r->deadline_ns;
	r->state |= MXL_RS_RETRY;
	mxl_list_add_tail(&ep->retry, &r->link);
	ep->counters[MXL_CNT_CONNECT_RETRY]++;
	return true;
}

/* The daemon bounds each try by the time the connect has left. */
static void arm_try(struct mxl_req *r, uint64_t now)
{
	uint64_t left = r->deadline_ns > now ? (r->deadline_ns - now) / 1000000ull : 0;

	if (r->deadline_ns == UINT64_MAX)
		r->timeout_ms = 0; /* the daemon's own default */
	else
		r->timeout_ms = left ? (left > UINT32_MAX ? UINT32_MAX : (uint32_t)left) : 1;
}

uint64_t mxl_connect_retry_due(struct mx_endpoint *ep)
{
	uint64_t now, due = UINT64_MAX;
	struct mxl_list *pos, *next;

	if (mxl_list_empty(&ep->retry))
		return UINT64_MAX;
	now = mxl_now_ns();
	for (pos = ep->retry.next; pos != &ep->retry; pos = next) {
		struct mxl_req *r = mxl_container_of(pos, struct mxl_req, link);

		next = pos->next;
		if (r->retry_at_ns > now) {
			if (r->retry_at_ns < due)
				due = r->retry_at_ns;
			continue;
		}
		mxl_list_del(&r->link);
		r->state &= ~MXL_RS_RETRY;
		if (now >= r->deadline_ns) {
			mxl_req_complete(r, MX_STATUS_TIMEOUT);
			continue;
		}
		arm_try(r, now);
		mxl_submit(ep, r);
	}
	mxl_flush(ep);
	return due;
}
