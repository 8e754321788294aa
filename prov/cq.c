/* SPDX-License-Identifier: MIT */
/*
 * Completion queue: a growable ring of entries filled by progress.  Reads
 * progress every endpoint bound to the CQ first (manual progress), then
 * hand out successes up to the first error; an error at the head makes
 * fi_cq_read return -FI_EAVAIL until fi_cq_readerr takes it.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "myx.h"

static struct myx_cq *cq_of(struct fid_cq *c)
{
	return container_of(c, struct myx_cq, c);
}

static size_t entry_size(enum fi_cq_format fmt)
{
	switch (fmt) {
	case FI_CQ_FORMAT_CONTEXT: return sizeof(struct fi_cq_entry);
	case FI_CQ_FORMAT_MSG: return sizeof(struct fi_cq_msg_entry);
	case FI_CQ_FORMAT_DATA: return sizeof(struct fi_cq_data_entry);
	default: return sizeof(struct fi_cq_tagged_entry);
	}
}

static int cq_grow(struct myx_cq *cq)
{
	size_t cap = cq->cap ? cq->cap * 2 : 256, i;
	struct myx_cqe *q = malloc(cap * sizeof(*q));

	if (!q)
		return -FI_ENOMEM;
	for (i = 0; i < cq->count; i++)
		q[i] = cq->q[(cq->head + i) & (cq->cap - 1)];
	free(cq->q);
	cq->q = q;
	cq->cap = cap;
	cq->head = 0;
	return 0;
}

int myx_cq_push(struct myx_cq *cq, const struct fi_cq_tagged_entry *e, int err, size_t olen)
{
	struct myx_cqe *s;

	if (cq->count == cq->cap && cq_grow(cq))
		return -FI_ENOMEM;
	s = &cq->q[(cq->head + cq->count) & (cq->cap - 1)];
	s->e = *e;
	s->err = err;
	s->olen = olen;
	cq->count++;
	return 0;
}

int myx_cq_attach(struct myx_cq *cq, struct myx_ep *ep)
{
	int i;

	for (i = 0; i < cq->neps; i++)
		if (cq->eps[i] == ep)
			return 0;
	if (cq->neps == MYX_CQ_EPS)
		return -FI_ENOSPC;
	cq->eps[cq->neps++] = ep;
	return 0;
}

void myx_cq_detach(struct myx_cq *cq, struct myx_ep *ep)
{
	int i;

	for (i = 0; i < cq->neps; i++) {
		if (cq->eps[i] == ep) {
			cq->eps[i] = cq->eps[--cq->neps];
			return;
		}
	}
}

static void cq_progress(struct myx_cq *cq)
{
	int i;

	for (i = 0; i < cq->neps; i++)
		myx_ep_progress(cq->eps[i]);
}

static ssize_t cq_take(struct myx_cq *cq, void *buf, size_t count)
{
	size_t sz = entry_size(cq->fmt), n = 0;

	while (n < count && cq->count) {
		struct myx_cqe *s = &cq->q[cq->head];

		if (s->err)
			break;
		memcpy((uint8_t *)buf + n * sz, &s->e, sz);
		cq->head = (cq->head + 1) & (cq->cap - 1);
		cq->count--;
		n++;
	}
	if (n)
		return (ssize_t)n;
	return cq->count ? -FI_EAVAIL : -FI_EAGAIN;
}

static ssize_t cq_read(struct fid_cq *c, void *buf, size_t count)
{
	struct myx_cq *cq = cq_of(c);
	ssize_t n;

	myx_lock(cq->dom);
	if (!cq->count)
		cq_progress(cq);
	n = cq_take(cq, buf, count);
	myx_unlock(cq->dom);
	/* Nothing yet: on a host where the daemon competes with us for the
	 * CPU, let it run (it is the NIC) instead of spinning a time slice. */
	if (n == -FI_EAGAIN && myx_yield_when_idle)
		sched_yield();
	return n;
}

static ssize_t cq_readfrom(struct fid_cq *c, void *buf, size_t count, fi_addr_t *src)
{
	ssize_t n = cq_read(c, buf, count), i;

	for (i = 0; src && i < n; i++)
		src[i] = FI_ADDR_NOTAVAIL;
	return n;
}

static ssize_t cq_readerr(struct fid_cq *c, struct fi_cq_err_entry *buf, uint64_t flags)
{
	struct myx_cq *cq = cq_of(c);
	struct myx_cqe *s;

	(void)flags;
	myx_lock(cq->dom);
	if (!cq->count || !cq->q[cq->head].err) {
		myx_unlock(cq->dom);
		return -FI_EAGAIN;
	}
	s = &cq->q[cq->head];
	memset(buf, 0, sizeof(*buf));
	buf->op_context = s->e.op_context;
	buf->flags = s->e.flags;
	buf->len = s->e.len;
	buf->buf = s->e.buf;
	buf->data = s->e.data;
	buf->tag = s->e.tag;
	buf->olen = s->olen;
	buf->err = s->err;
	buf->prov_errno = s->err;
	cq->head = (cq->head + 1) & (cq->cap - 1);
	cq->count--;
	myx_unlock(cq->dom);
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* No wait object: a blocking read polls (and yields the CPU between polls). */
static ssize_t cq_sread(struct fid_cq *c, void *buf, size_t count, const void *cond,
			int timeout)
{
	uint64_t end = now_ms() + (uint64_t)(timeout < 0 ? 0 : timeout);
	ssize_t n;

	(void)cond;
	for (;;) {
		n = cq_read(c, buf, count);
		if (n != -FI_EAGAIN || (timeout >= 0 && now_ms() >= end))
			return n;
		sched_yield();
	}
}

static ssize_t cq_sreadfrom(struct fid_cq *c, void *buf, size_t count, fi_addr_t *src,
			    const void *cond, int timeout)
{
	ssize_t n = cq_sread(c, buf, count, cond, timeout), i;

	for (i = 0; src && i < n; i++)
		src[i] = FI_ADDR_NOTAVAIL;
	return n;
}

static int cq_signal(struct fid_cq *c)
{
	(void)c;
	return 0;
}

static const char *cq_strerror(struct fid_cq *c, int prov_errno, const void *err_data,
			       char *buf, size_t len)
{
	(void)c;
	(void)err_data;
	return myx_strerror(prov_errno, buf, len);
}

static int cq_close(struct fid *fid)
{
	struct myx_cq *cq = container_of(fid, struct myx_cq, c.fid);

	if (cq->neps)
		return -FI_EBUSY;
	myx_lock(cq->dom);
	cq->dom->refs--;
	myx_unlock(cq->dom);
	free(cq->q);
	free(cq);
	return 0;
}

static struct fi_ops cq_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = cq_close,
	.bind = myx_no_bind,
	.control = myx_no_control,
	.ops_open = myx_no_ops_open,
};

static struct fi_ops_cq cq_ops = {
	.size = sizeof(struct fi_ops_cq),
	.read = cq_read,
	.readfrom = cq_readfrom,
	.readerr = cq_readerr,
	.sread = cq_sread,
	.sreadfrom = cq_sreadfrom,
	.signal = cq_signal,
	.strerror = cq_strerror,
};

int myx_cq_open(struct fid_domain *domain, struct fi_cq_attr *attr, struct fid_cq **fcq,
		void *context)
{
	struct myx_domain *d = container_of(domain, struct myx_domain, d);
	struct myx_cq *cq;

	if (attr && attr->wait_obj != FI_WAIT_NONE && attr->wait_obj != FI_WAIT_UNSPEC)
		return -FI_ENOSYS;
	if (attr && attr->format > FI_CQ_FORMAT_TAGGED)
		return -FI_ENOSYS;
	cq = calloc(1, sizeof(*cq));
	if (!cq || cq_grow(cq)) {
		free(cq);
		return -FI_ENOMEM;
	}
	cq->dom = d;
	cq->fmt = attr && attr->format != FI_CQ_FORMAT_UNSPEC ? attr->format : FI_CQ_FORMAT_CONTEXT;
	cq->c.fid.fclass = FI_CLASS_CQ;
	cq->c.fid.context = context;
	cq->c.fid.ops = &cq_fi_ops;
	cq->c.ops = &cq_ops;
	myx_lock(d);
	d->refs++;
	myx_unlock(d);
	*fcq = &cq->c;
	return 0;
}
