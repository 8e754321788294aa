/* SPDX-License-Identifier: MIT */
/*
 * Endpoint: one MX endpoint, bound to an AV and up to two CQs; lazy
 * connections per destination; progress turns finished MX requests into
 * CQ entries; fi_cancel takes back a receive nobody matched yet.
 */
#include <stdlib.h>
#include <string.h>
#include "myx.h"

static struct myx_ep *ep_of(struct fid *fid)
{
	return container_of(fid, struct myx_ep, e.fid);
}

void myx_req_link(struct myx_ep *ep, struct myx_req *r)
{
	r->next = ep->reqs.next;
	r->prev = &ep->reqs;
	ep->reqs.next->prev = r;
	ep->reqs.next = r;
}

void myx_req_unlink(struct myx_req *r)
{
	r->prev->next = r->next;
	r->next->prev = r->prev;
}

int myx_ep_conn(struct myx_ep *ep, fi_addr_t fa, struct myx_conn **out)
{
	const struct myx_name *n;
	struct myx_conn *c;
	mx_return_t rc;
	size_t i;

	if (!myx_av_index(ep->av, fa, &i))
		return -FI_EINVAL;
	if (i >= ep->nconn) {
		size_t cap = ep->av->cap;

		c = realloc(ep->conn, cap * sizeof(*c));
		if (!c)
			return -FI_ENOMEM;
		memset(c + ep->nconn, 0, (cap - ep->nconn) * sizeof(*c));
		ep->conn = c;
		ep->nconn = cap;
	}
	c = &ep->conn[i];
	if (!c->ok) {
		n = &ep->av->names[i];
		rc = mx_connect(ep->mx, n->nic_id, n->endpoint, n->key, MYX_CONNECT_MS, &c->addr);
		if (rc != MX_SUCCESS)
			return rc == MX_TIMEOUT ? -FI_ETIMEDOUT : -FI_EHOSTUNREACH;
		c->ok = true;
	}
	*out = c;
	return 0;
}

int myx_status_err(mx_status_code_t code)
{
	switch (code) {
	case MX_STATUS_SUCCESS: return 0;
	case MX_STATUS_TRUNCATED: return FI_ETRUNC;
	case MX_STATUS_CANCELLED: return FI_ECANCELED;
	case MX_STATUS_TIMEOUT: return FI_ETIMEDOUT;
	case MX_STATUS_ENDPOINT_UNREACHABLE: return FI_EHOSTUNREACH;
	default: return FI_EIO;
	}
}

void myx_req_finish(struct myx_ep *ep, struct myx_req *r, int err, size_t len, size_t olen)
{
	struct myx_cq *cq = r->is_recv ? ep->rxcq : ep->txcq;
	struct fi_cq_tagged_entry e = { .op_context = r->context, .flags = r->flags };

	if (r->is_recv && r->started) {
		e.len = len;
		e.buf = r->buf;
		e.tag = r->tag;
		if (r->h.flags & MYX_HDR_DATA) {
			e.flags |= FI_REMOTE_CQ_DATA;
			e.data = r->h.data;
		}
	}
	/* Errors are always reported; successes only when asked for. */
	if (cq && (err || r->want_cq))
		(void)myx_cq_push(cq, &e, err, olen);
	myx_req_unlink(r);
	free(r);
}

static void complete(struct myx_ep *ep, struct myx_req *r, const mx_status_t *st)
{
	int err = myx_status_err(st->code);

	if (r->is_recv) {
		if (!r->in_tail) {
			myx_recv_head_done(ep, r, st);
			return;
		}
		r->got += st->xfer_length;
		err = err == FI_ETRUNC ? 0 : err;   /* judged on the whole message below */
		if (!err && r->got < r->h.total)
			err = FI_ETRUNC;
		myx_req_finish(ep, r, err, r->got, r->h.total - r->got);
		return;
	}
	if (err && !r->err)
		r->err = err;
	if (--r->pending == 0)
		myx_req_finish(ep, r, r->err, 0, 0);
}

void myx_ep_progress(struct myx_ep *ep)
{
	mx_request_t req;
	mx_status_t st;
	uint32_t res;

	for (;;) {
		if (mx_ipeek(ep->mx, &req, &res) != MX_SUCCESS || !res)
			return;
		if (mx_test(ep->mx, &req, &st, &res) != MX_SUCCESS || !res)
			return;
		complete(ep, st.context, &st);
	}
}

static ssize_t ep_cancel(fid_t fid, void *context)
{
	struct myx_ep *ep = ep_of(fid);
	struct myx_req *r;
	ssize_t ret = -FI_ENOENT;
	uint32_t res;

	myx_lock(ep->dom);
	myx_ep_progress(ep);
	for (r = ep->reqs.next; r != &ep->reqs; r = r->next) {
		if (!r->is_recv || r->context != context || r->started)
			continue;
		if (mx_cancel(ep->mx, &r->mx, &res) == MX_SUCCESS && res) {
			struct fi_cq_tagged_entry e = { .op_context = context, .flags = r->flags };

			if (ep->rxcq)
				(void)myx_cq_push(ep->rxcq, &e, FI_ECANCELED, 0);
			myx_req_unlink(r);
			free(r);
			ret = 0;
		}
		break;
	}
	myx_unlock(ep->dom);
	return ret;
}

static int ep_getopt(fid_t fid, int level, int optname, void *optval, size_t *optlen)
{
	(void)fid;
	if (level != FI_OPT_ENDPOINT)
		return -FI_ENOPROTOOPT;
	if (optname == FI_OPT_MIN_MULTI_RECV)
		return -FI_ENOPROTOOPT;
	(void)optval;
	(void)optlen;
	return -FI_ENOPROTOOPT;
}

static int ep_setopt(fid_t fid, int level, int optname, const void *optval, size_t optlen)
{
	(void)fid;
	(void)optval;
	(void)optlen;
	if (level != FI_OPT_ENDPOINT)
		return -FI_ENOPROTOOPT;
	/* Open MPI sets FI_OPT_CUDA_API_PERMITTED only when built with CUDA. */
	(void)optname;
	return -FI_ENOPROTOOPT;
}

static ssize_t ep_size_left(struct fid_ep *e)
{
	(void)e;
	return 1024;
}

static struct fi_ops_ep ep_ops = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = ep_cancel,
	.getopt = ep_getopt,
	.setopt = ep_setopt,
	.rx_size_left = ep_size_left,
	.tx_size_left = ep_size_left,
};

static int ep_getname(fid_t fid, void *addr, size_t *addrlen)
{
	struct myx_ep *ep = ep_of(fid);
	size_t want = *addrlen;

	*addrlen = sizeof(ep->name);
	if (want < sizeof(ep->name))
		return -FI_ETOOSMALL;
	memcpy(addr, &ep->name, sizeof(ep->name));
	return 0;
}

static struct fi_ops_cm ep_cm_ops = {
	.size = sizeof(struct fi_ops_cm),
	.getname = ep_getname,
};

static int bind_cq(struct myx_ep *ep, struct myx_cq *cq, uint64_t flags)
{
	bool sel = (flags & FI_SELECTIVE_COMPLETION) != 0;
	int err;

	if (!(flags & (FI_TRANSMIT | FI_RECV)))
		return -FI_EINVAL;
	err = myx_cq_attach(cq, ep);
	if (err)
		return err;
	if (flags & FI_TRANSMIT) {
		ep->txcq = cq;
		ep->tx_selective = sel;
	}
	if (flags & FI_RECV) {
		ep->rxcq = cq;
		ep->rx_selective = sel;
	}
	return 0;
}

static int ep_bind(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	struct myx_ep *ep = ep_of(fid);
	int err = 0;

	myx_lock(ep->dom);
	switch (bfid->fclass) {
	case FI_CLASS_AV:
		if (ep->av) {
			err = -FI_EINVAL;
			break;
		}
		ep->av = container_of(bfid, struct myx_av, a.fid);
		ep->av->refs++;
		break;
	case FI_CLASS_CQ:
		err = bind_cq(ep, container_of(bfid, struct myx_cq, c.fid), flags);
		break;
	case FI_CLASS_EQ:
		break;
	default:
		err = -FI_ENOSYS;
	}
	myx_unlock(ep->dom);
	return err;
}

static int ep_control(struct fid *fid, int command, void *arg)
{
	(void)arg;
	(void)fid;
	return command == FI_ENABLE ? 0 : -FI_ENOSYS;
}

static void drop_requests(struct myx_ep *ep)
{
	while (ep->reqs.next != &ep->reqs) {
		struct myx_req *r = ep->reqs.next;

		myx_req_unlink(r);
		free(r);
	}
}

static int ep_close(struct fid *fid)
{
	struct myx_ep *ep = ep_of(fid);
	struct myx_domain *d = ep->dom;

	myx_lock(d);
	if (ep->txcq)
		myx_cq_detach(ep->txcq, ep);
	if (ep->rxcq)
		myx_cq_detach(ep->rxcq, ep);
	if (ep->av)
		ep->av->refs--;
	mx_close_endpoint(ep->mx);  /* frees every MX request it still had */
	drop_requests(ep);
	d->refs--;
	myx_unlock(d);
	free(ep->conn);
	free(ep);
	return 0;
}

static struct fi_ops ep_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = ep_close,
	.bind = ep_bind,
	.control = ep_control,
	.ops_open = myx_no_ops_open,
};

static int open_mx(struct myx_ep *ep)
{
	mx_param_t p = { .key = MX_PARAM_ERROR_HANDLER };
	mx_endpoint_addr_t self;
	uint32_t eid;

	p.val.error_handler = MX_ERRORS_RETURN;
	if (mx_open_endpoint(MX_ANY_NIC, MX_ANY_ENDPOINT, MYX_KEY, &p, 1, &ep->mx) != MX_SUCCESS)
		return -FI_ENODEV;
	if (mx_get_endpoint_addr(ep->mx, &self) != MX_SUCCESS ||
	    mx_decompose_endpoint_addr(self, &ep->name.nic_id, &eid) != MX_SUCCESS) {
		mx_close_endpoint(ep->mx);
		return -FI_ENODEV;
	}
	ep->name.endpoint = eid;
	ep->name.key = MYX_KEY;
	if (mx_get_info(ep->mx, MX_COPY_SEND_MAX, NULL, 0, &ep->eager_max,
			sizeof(ep->eager_max)) != MX_SUCCESS || ep->eager_max < 4 * MYX_HDR_LEN) {
		mx_close_endpoint(ep->mx);
		return -FI_ENODEV;
	}
	return 0;
}

int myx_ep_open(struct fid_domain *domain, struct fi_info *info, struct fid_ep **fep,
		void *context)
{
	struct myx_domain *d = container_of(domain, struct myx_domain, d);
	struct myx_ep *ep;
	int err;

	if (info && info->ep_attr && info->ep_attr->type != FI_EP_RDM &&
	    info->ep_attr->type != FI_EP_UNSPEC)
		return -FI_EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -FI_ENOMEM;
	err = open_mx(ep);
	if (err) {
		free(ep);
		return err;
	}
	ep->dom = d;
	ep->reqs.next = ep->reqs.prev = &ep->reqs;
	ep->caps = info ? info->caps : FI_TAGGED | FI_MSG;
	ep->tx_op_flags = info && info->tx_attr ? info->tx_attr->op_flags : 0;
	ep->rx_op_flags = info && info->rx_attr ? info->rx_attr->op_flags : 0;
	ep->e.fid.fclass = FI_CLASS_EP;
	ep->e.fid.context = context;
	ep->e.fid.ops = &ep_fi_ops;
	ep->e.ops = &ep_ops;
	ep->e.cm = &ep_cm_ops;
	ep->e.msg = &myx_msg_ops;
	ep->e.tagged = &myx_tagged_ops;
	myx_lock(d);
	d->refs++;
	myx_unlock(d);
	*fep = &ep->e;
	return 0;
}
