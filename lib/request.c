/* SPDX-License-Identifier: MIT */
/* Request lifetime: allocation, segment lists, cookies, completion. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "mxl.h"

#define MXL_COOKIE_NONE UINT32_MAX

static void req_init(struct mxl_req *r, struct mx_endpoint *ep, uint32_t kind, void *context)
{
	mxl_list_init(&r->link);
	mxl_list_init(&r->fl_link);
	mxl_list_init(&r->done_link);
	mxl_list_init(&r->posted.link);
	r->ep = ep;
	r->kind = kind;
	r->cookie_idx = MXL_COOKIE_NONE;
	r->status.code = MX_STATUS_PENDING;
	r->status.context = context;
	r->iov = r->iov_inline;
}

struct mxl_req *mxl_req_new(struct mx_endpoint *ep, uint32_t kind, void *context)
{
	struct mxl_req *r = calloc(1, sizeof(*r));

	if (r)
		req_init(r, ep, kind, context);
	return r;
}

/* The hot path (isend, irecv, reap) recycles requests instead of a calloc
 * and a free per message; both are a third of the library's instructions
 * per tiny message otherwise.  Not under AddressSanitizer: a request used
 * after its release must stay a use after free it can see. */
#if defined(__SANITIZE_ADDRESS__)
#define MXL_REQ_CACHE 0u
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MXL_REQ_CACHE 0u
#endif
#endif
#ifndef MXL_REQ_CACHE
#define MXL_REQ_CACHE MXL_REQ_CACHE_MAX
#endif

struct mxl_req *mxl_req_get(struct mx_endpoint *ep, uint32_t kind, void *context)
{
	struct mxl_req *r = ep->req_cache;

	if (!r)
		return mxl_req_new(ep, kind, context);
	ep->req_cache = r->cache_next;
	ep->nreq_cache--;
	memset(r, 0, offsetof(struct mxl_req, cmd));
	req_init(r, ep, kind, context);
	return r;
}

void mxl_req_put(struct mxl_req *r)
{
	struct mx_endpoint *ep = r->ep;

	free(r->own_buf);
	r->own_buf = NULL;
	if (ep->nreq_cache + 1u > MXL_REQ_CACHE || r->iov != r->iov_inline) {
		mxl_req_free(r);
		return;
	}
	r->cache_next = ep->req_cache;
	ep->req_cache = r;
	ep->nreq_cache++;
}

void mxl_req_cache_drop(struct mx_endpoint *ep)
{
	while (ep->req_cache) {
		struct mxl_req *r = ep->req_cache;

		ep->req_cache = r->cache_next;
		free(r);
	}
	ep->nreq_cache = 0;
}

int mxl_req_set_iov(struct mxl_req *r, const mx_segment_t *segs, uint32_t n)
{
	uint32_t i;

	if (n > MXL_IOV_INLINE) {
		r->iov = calloc(n, sizeof(*r->iov));
		if (!r->iov) {
			r->iov = r->iov_inline;
			return -ENOMEM;
		}
	}
	r->niov = n;
	r->total = 0;
	for (i = 0; i < n; i++) {
		r->iov[i].base = segs[i].segment_ptr;
		r->iov[i].len = segs[i].segment_length;
		r->total += segs[i].segment_length;
	}
	return 0;
}

void mxl_cookie_drop(struct mx_endpoint *ep, struct mxl_req *r)
{
	struct mxl_cookie_slot *s;

	if (r->cookie_idx == MXL_COOKIE_NONE)
		return;
	s = &ep->cookies[r->cookie_idx];
	s->req = NULL;
	s->gen++;
	mxl_list_del(&r->fl_link);
	s->next_free = ep->cookie_free;
	ep->cookie_free = r->cookie_idx;
	r->cookie_idx = MXL_COOKIE_NONE;
}

void mxl_req_release_region(struct mxl_req *r)
{
	struct mx_endpoint *ep = r->ep;

	if (r->sq_held) {
		mxl_sendq_free(&ep->sq, r->sq_id);
		r->sq_held = false;
	}
	if (r->region) {
		ep->t.ops->region_release(&ep->t, r->region);
		r->region = NULL;
	}
}

/* Give back what the daemon held: the sendq chunk and the region. */
void mxl_req_release_resources(struct mxl_req *r)
{
	mxl_cookie_drop(r->ep, r);
	mxl_rndv_release(r->ep, r);
	mxl_req_release_region(r);
	r->win_off = 0;
	r->win_pending = false;
	mxl_window_count(r, false);
}

void mxl_req_free(struct mxl_req *r)
{
	free(r->own_buf);
	if (r->iov != r->iov_inline)
		free(r->iov);
	free(r);
}

void mxl_req_complete(struct mxl_req *r, mx_status_code_t code)
{
	struct mx_endpoint *ep = r->ep;

	mxl_req_release_resources(r);
	mxl_resend_closed(ep, r);
	if (r->state & MXL_RS_BACKLOG)
		mxl_list_del(&r->link);
	if (r->state & MXL_RS_SENDWAIT)
		mxl_send_wait_del(r);
	if (r->state & (MXL_RS_RETRY | MXL_RS_REANNOUNCE | MXL_RS_RESEND | MXL_RS_PAIR_RNDV))
		mxl_list_del(&r->link);
	if (r->state & MXL_RS_POSTED)
		mxl_match_unpost(&ep->m, &r->posted);
	r->state &= ~(MXL_RS_BACKLOG | MXL_RS_POSTED | MXL_RS_INFLIGHT | MXL_RS_RETRY |
		      MXL_RS_SENDWAIT | MXL_RS_REANNOUNCE | MXL_RS_RESEND | MXL_RS_PAIR_RNDV);
	r->state |= MXL_RS_DONE | MXL_RS_BUFFERED;
	r->status.code = code;
	if (r->state & (MXL_RS_FORGOTTEN | MXL_RS_SELFFREE) || r->kind == MXL_REQ_DISCARD) {
		mxl_req_put(r);
		return;
	}
	/* The library's own requests are reaped by the call that made them;
	 * mx_peek/test_any/wait_any must never hand them out. */
	if (!(r->state & MXL_RS_INTERNAL))
		mxl_list_add_tail(&ep->done, &r->done_link);
	mxl_wake_waiters(ep);
}

int mxl_cookie_get(struct mx_endpoint *ep, struct mxl_req *r, uint64_t *cookie)
{
	struct mxl_cookie_slot *s;
	uint32_t idx;

	if (ep->cookie_free == MXL_COOKIE_NONE) {
		uint32_t n = ep->ncookies ? ep->ncookies * 2 : 64, i;
		struct mxl_cookie_slot *c = realloc(ep->cookies, n * sizeof(*c));

		if (!c)
			return -ENOMEM;
		for (i = ep->ncookies; i < n; i++) {
			c[i].req = NULL;
			c[i].gen = 1;
			c[i].next_free = i + 1 < n ? i + 1 : MXL_COOKIE_NONE;
		}
		ep->cookie_free = ep->ncookies;
		ep->cookies = c;
		ep->ncookies = n;
	}
	idx = ep->cookie_free;
	s = &ep->cookies[idx];
	ep->cookie_free = s->next_free;
	s->req = r;
	mxl_list_add_tail(&ep->inflight, &r->fl_link);
	r->cookie_idx = idx;
	r->cookie_gen = s->gen;
	/* bits 48..63 are the send's sequence number (abi.h): gen keeps 16 */
	*cookie = ((uint64_t)(s->gen & 0xffffu) << 32) | idx;
	return 0;
}

/* The request an event's cookie names, or NULL for a stale/forged cookie. */
struct mxl_req *mxl_cookie_take(struct mx_endpoint *ep, uint64_t cookie)
{
	uint32_t idx = (uint32_t)cookie, gen = (uint32_t)(cookie >> 32) & 0xffffu;

	if (idx >= ep->ncookies || (ep->cookies[idx].gen & 0xffffu) != gen ||
	    !ep->cookies[idx].req)
		return NULL;
	return ep->cookies[idx].req;
}

void mxl_scatter(const struct mxl_iov *iov, uint32_t niov, const uint8_t *src, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < niov && len; i++) {
		uint32_t n = iov[i].len < len ? (uint32_t)iov[i].len : len;

		if (n)
			memcpy(iov[i].base, src, n);
		src += n;
		len -= n;
	}
}

void mxl_scatter_at(const struct mxl_iov *iov, uint32_t niov, uint64_t off, const uint8_t *src,
		    uint32_t len)
{
	uint32_t i;

	for (i = 0; i < niov && off >= iov[i].len; i++)
		off -= iov[i].len;
	for (; i < niov && len; i++, off = 0) {
		uint64_t room = iov[i].len - off;
		uint32_t n = room < len ? (uint32_t)room : len;

		if (n)
			memcpy((uint8_t *)iov[i].base + off, src, n);
		src += n;
		len -= n;
	}
}

void mxl_gather(uint8_t *dst, const struct mxl_iov *iov, uint32_t niov)
{
	uint32_t i;

	for (i = 0; i < niov; i++) {
		if (iov[i].len)
			memcpy(dst, iov[i].base, iov[i].len);
		dst += iov[i].len;
	}
}

uint16_t mxl_req_send_seq(struct mx_endpoint *ep, struct mxl_req *r)
{
	if (!r->seq)
		r->seq = mxl_seq_next(ep->seqs, mxl_addr_nic_now(ep, &r->dest), r->dest.endpoint,
				      r->dest.session);
	return r->seq;
}
