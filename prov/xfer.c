/* SPDX-License-Identifier: MIT */
/*
 * Data transfer: fi_send/fi_recv and fi_tsend/fi_trecv families as MX requests.
 * The request's MX context is the struct myx_req; progress (ep.c) turns
 * its completion into a CQ entry.  Messages are framed (frame.h): a header
 * with the remote CQ data in front, a tail message beyond the eager size.
 */
#include <stdlib.h>
#include <string.h>
#include "myrixen/abi.h"
#include "myx.h"

struct myx_op {
	const struct iovec *iov;
	size_t count;
	fi_addr_t addr;
	uint64_t tag, ignore;
	void *context;
	uint64_t flags;         /* op flags: FI_COMPLETION, FI_INJECT, FI_PEEK, FI_CLAIM, ... */
	bool tagged;
	uint64_t data;          /* with FI_REMOTE_CQ_DATA in flags */
};

static struct myx_ep *ep_of(struct fid_ep *e)
{
	return container_of(e, struct myx_ep, e);
}

static int iov_total(const struct iovec *iov, size_t count, uint64_t *total)
{
	size_t i;

	if (count > MYX_IOV_LIMIT || (count && !iov))
		return -FI_EINVAL;
	*total = 0;
	for (i = 0; i < count; i++)
		*total += iov[i].iov_len;
	return *total > MXN_LARGE_MAX - MYX_HDR_LEN ? -FI_EMSGSIZE : 0;
}

/* segs = [header] + bytes [off, off + len) of iov; returns the count. */
static int frame_segs(uint8_t *hdr, const struct iovec *iov, size_t count, uint64_t off,
		      uint64_t len, mx_segment_t *segs)
{
	struct iovec part[MYX_IOV_LIMIT];
	int n = myx_iov_slice(iov, count, off, len, part, MYX_IOV_LIMIT), i, k = 0;

	if (n < 0)
		return -FI_EINVAL;
	if (hdr) {
		segs[k].segment_ptr = hdr;
		segs[k++].segment_length = MYX_HDR_LEN;
	}
	for (i = 0; i < n; i++, k++) {
		segs[k].segment_ptr = part[i].iov_base;
		segs[k].segment_length = (uint32_t)part[i].iov_len;
	}
	return k;
}

static struct myx_req *req_new(struct myx_op *op, size_t extra, bool recv)
{
	struct myx_req *r = malloc(sizeof(*r) + extra);

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->context = op->context;
	r->flags = (recv ? FI_RECV : FI_SEND) | (op->tagged ? FI_TAGGED : FI_MSG);
	r->is_recv = recv;
	return r;
}

/* The head (eager, at most eager_max bytes with the header) and, for a
 * longer message, the tail with the rest. */
static int send_frames(struct myx_ep *ep, struct myx_req *r, struct myx_conn *c,
		       const struct myx_op *op, const struct iovec *iov, size_t count,
		       uint64_t total)
{
	uint64_t match = myx_send_match(op->tag, op->tagged);
	mx_segment_t segs[MYX_IOV_LIMIT + 1];
	uint64_t head = ep->eager_max - MYX_HDR_LEN;
	struct myx_hdr h = { 0 };
	mx_request_t mreq;
	int n;

	if (op->flags & FI_REMOTE_CQ_DATA) {
		h.flags = MYX_HDR_DATA;
		h.data = (uint32_t)op->data;
	}
	h.total = (uint32_t)total;
	if (total > head) {
		h.flags |= MYX_HDR_TAIL;
		h.seq = c->tail_seq++;
	} else {
		head = total;
	}
	myx_hdr_put(r->hdr, &h);
	n = frame_segs(r->hdr, iov, count, 0, head, segs);
	if (n < 0 || mx_isend(ep->mx, segs, (uint32_t)n, c->addr, match, r, &mreq) != MX_SUCCESS)
		return -FI_EIO;
	r->pending = 1;
	if (!(h.flags & MYX_HDR_TAIL))
		return 0;
	n = frame_segs(NULL, iov, count, head, total - head, segs);
	if (n < 0 || mx_isend(ep->mx, segs, (uint32_t)n, c->addr, myx_tail_match(h.seq), r,
			      &mreq) != MX_SUCCESS) {
		r->err = FI_EIO;  /* the head is out: report when it completes */
		return 0;
	}
	r->pending = 2;
	return 0;
}

static ssize_t do_send(struct myx_ep *ep, struct myx_op *op)
{
	bool inject = (op->flags & FI_INJECT) != 0;
	const struct iovec *iov = op->iov;
	size_t count = op->count;
	struct iovec copy;
	struct myx_conn *c;
	struct myx_req *r;
	uint64_t total;
	int err;

	err = iov_total(op->iov, op->count, &total);
	if (err)
		return err;
	if (inject && total > MYX_INJECT_SIZE)
		return -FI_EMSGSIZE;
	r = req_new(op, inject ? total : 0, false);
	if (!r)
		return -FI_EAGAIN;
	if (inject) {
		/* The caller may reuse its buffer on return: send from a copy. */
		uint8_t *p = r->inject;
		size_t i;

		for (i = 0; i < op->count; i++) {
			memcpy(p, op->iov[i].iov_base, op->iov[i].iov_len);
			p += op->iov[i].iov_len;
		}
		copy.iov_base = r->inject;
		copy.iov_len = total;
		iov = &copy;
		count = 1;
	}
	r->want_cq = !inject && (!ep->tx_selective || (op->flags & FI_COMPLETION));
	myx_lock(ep->dom);
	err = myx_ep_conn(ep, op->addr, &c);
	if (!err)
		err = send_frames(ep, r, c, op, iov, count, total);
	if (!err)
		myx_req_link(ep, r);
	myx_unlock(ep->dom);
	if (err)
		free(r);
	return err;
}

/* FI_PEEK: report (and with FI_CLAIM set aside) a matching message now;
 * its header, read from the eagerly carried head, gives length and data. */
static ssize_t do_peek(struct myx_ep *ep, struct myx_op *op, struct myx_match m,
		       const mx_endpoint_addr_t *from)
{
	struct fi_cq_tagged_entry e = { .op_context = op->context };
	struct fi_context *fc = op->context;
	uint8_t raw[MYX_HDR_LEN];
	mx_claim_t claim = NULL;
	struct myx_hdr h;
	mx_status_t st;
	uint32_t found = 0;
	mx_return_t rc;

	if (op->flags & FI_CLAIM)
		rc = mx_iclaim(ep->mx, from, m.info, m.mask, &st, raw, sizeof(raw), &claim, &found);
	else
		rc = mx_iprobe_from(ep->mx, from, m.info, m.mask, &st, raw, sizeof(raw), &found);
	if (rc != MX_SUCCESS)
		return -FI_EIO;
	e.flags = FI_RECV | (op->tagged ? FI_TAGGED : FI_MSG);
	if (!found)
		return ep->rxcq ? myx_cq_push(ep->rxcq, &e, FI_ENOMSG, 0) : 0;
	if (claim && fc)
		fc->internal[0] = claim;
	e.tag = op->tagged ? myx_tag_of(st.match_info) : 0;
	if (st.xfer_length < MYX_HDR_LEN || !myx_hdr_get(raw, st.msg_length, &h))
		return ep->rxcq ? myx_cq_push(ep->rxcq, &e, FI_EIO, 0) : 0;
	e.len = h.total;
	if (h.flags & MYX_HDR_DATA) {
		e.flags |= FI_REMOTE_CQ_DATA;
		e.data = h.data;
	}
	return ep->rxcq ? myx_cq_push(ep->rxcq, &e, 0, 0) : 0;
}

static ssize_t post_recv(struct myx_ep *ep, struct myx_op *op, struct myx_match m,
			 const mx_endpoint_addr_t *from)
{
	mx_segment_t segs[MYX_IOV_LIMIT + 1];
	struct myx_req *r;
	uint64_t total;
	mx_return_t rc;
	int n, err;

	err = iov_total(op->iov, op->count, &total);
	if (err)
		return err;
	r = req_new(op, 0, true);
	if (!r)
		return -FI_EAGAIN;
	r->buf = op->count ? op->iov[0].iov_base : NULL;
	r->want_cq = !ep->rx_selective || (op->flags & FI_COMPLETION);
	if (!(op->flags & FI_DISCARD)) {
		memcpy(r->iov, op->iov, op->count * sizeof(*op->iov));
		r->iov_count = op->count;
		r->len = total;
	}
	n = frame_segs(r->hdr, r->iov, r->iov_count, 0, r->len, segs);
	if (op->flags & FI_CLAIM) {
		struct fi_context *fc = op->context;

		rc = fc ? mx_irecv_claimed(ep->mx, segs, (uint32_t)n, fc->internal[0], r, &r->mx) :
			  MX_BAD_REQUEST;
	} else if (from) {
		rc = mx_irecv_from(ep->mx, segs, (uint32_t)n, *from, m.info, m.mask, r, &r->mx);
	} else {
		rc = mx_irecv(ep->mx, segs, (uint32_t)n, m.info, m.mask, r, &r->mx);
	}
	if (rc != MX_SUCCESS) {
		free(r);
		return -FI_EINVAL;
	}
	myx_req_link(ep, r);
	return 0;
}

static ssize_t do_recv(struct myx_ep *ep, struct myx_op *op)
{
	struct myx_match m = myx_recv_match(op->tag, op->ignore, op->tagged);
	bool directed = (ep->caps & FI_DIRECTED_RECV) && op->addr != FI_ADDR_UNSPEC &&
			!(ep->av && ep->av->base && op->addr == 0) &&
			!(op->flags & FI_CLAIM && !(op->flags & FI_PEEK));
	struct myx_conn *c = NULL;
	ssize_t ret;

	myx_lock(ep->dom);
	ret = directed ? myx_ep_conn(ep, op->addr, &c) : 0;
	if (!ret && (op->flags & FI_PEEK))
		ret = do_peek(ep, op, m, c ? &c->addr : NULL);
	else if (!ret)
		ret = post_recv(ep, op, m, c ? &c->addr : NULL);
	myx_unlock(ep->dom);
	return ret;
}

/* ---- untagged ---- */
static ssize_t m_recv(struct fid_ep *e, void *buf, size_t len, void *desc, fi_addr_t src,
		      void *context)
{
	struct iovec iov = { buf, len };
	struct myx_op op = { &iov, 1, src, 0, 0, context, ep_of(e)->rx_op_flags, false };

	(void)desc;
	return do_recv(ep_of(e), &op);
}

static ssize_t m_recvv(struct fid_ep *e, const struct iovec *iov, void **desc, size_t count,
		       fi_addr_t src, void *context)
{
	struct myx_op op = { iov, count, src, 0, 0, context, ep_of(e)->rx_op_flags, false };

	(void)desc;
	return do_recv(ep_of(e), &op);
}

static ssize_t m_recvmsg(struct fid_ep *e, const struct fi_msg *msg, uint64_t flags)
{
	struct myx_op op = { msg->msg_iov, msg->iov_count, msg->addr, 0, 0, msg->context,
			     flags, false };

	return do_recv(ep_of(e), &op);
}

static ssize_t m_send(struct fid_ep *e, const void *buf, size_t len, void *desc,
		      fi_addr_t dest, void *context)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct myx_op op = { &iov, 1, dest, 0, 0, context, ep_of(e)->tx_op_flags, false };

	(void)desc;
	return do_send(ep_of(e), &op);
}

static ssize_t m_sendv(struct fid_ep *e, const struct iovec *iov, void **desc, size_t count,
		       fi_addr_t dest, void *context)
{
	struct myx_op op = { iov, count, dest, 0, 0, context, ep_of(e)->tx_op_flags, false };

	(void)desc;
	return do_send(ep_of(e), &op);
}

static ssize_t m_sendmsg(struct fid_ep *e, const struct fi_msg *msg, uint64_t flags)
{
	struct myx_op op = { msg->msg_iov, msg->iov_count, msg->addr, 0, 0, msg->context,
			     flags, false, msg->data };

	return do_send(ep_of(e), &op);
}

static ssize_t m_inject(struct fid_ep *e, const void *buf, size_t len, fi_addr_t dest)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct myx_op op = { &iov, 1, dest, 0, 0, NULL, FI_INJECT, false };

	return do_send(ep_of(e), &op);
}

static ssize_t m_senddata(struct fid_ep *e, const void *buf, size_t len, void *desc,
			  uint64_t data, fi_addr_t dest, void *context)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct myx_op op = { &iov, 1, dest, 0, 0, context,
			     ep_of(e)->tx_op_flags | FI_REMOTE_CQ_DATA, false, data };

	(void)desc;
	return do_send(ep_of(e), &op);
}

static ssize_t m_injectdata(struct fid_ep *e, const void *buf, size_t len, uint64_t data,
			    fi_addr_t dest)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct myx_op op = { &iov, 1, dest, 0, 0, NULL, FI_INJECT | FI_REMOTE_CQ_DATA, false,
			     data };

	return do_send(ep_of(e), &op);
}

struct fi_ops_msg myx_msg_ops = {
	.size = sizeof(struct fi_ops_msg),
	.recv = m_recv,
	.recvv = m_recvv,
	.recvmsg = m_recvmsg,
	.send = m_send,
	.sendv = m_sendv,
	.sendmsg = m_sendmsg,
	.inject = m_inject,
	.senddata = m_senddata,
	.injectdata = m_injectdata,
};

/* ---- tagged ---- */
static ssize_t t_recv(struct fid_ep *e, void *buf, size_t len, void *desc, fi_addr_t src,
		      uint64_t tag, uint64_t ignore, void *context)
{
	struct iovec iov = { buf, len };
	struct myx_op op = { &iov, 1, src, tag, ignore, context, ep_of(e)->rx_op_flags, true };

	(void)desc;
	return do_recv(ep_of(e), &op);
}

static ssize_t t_recvv(struct fid_ep *e, const struct iovec *iov, void **desc, size_t count,
		       fi_addr_t src, uint64_t tag, uint64_t ignore, void *context)
{
	struct myx_op op = { iov, count, src, tag, ignore, context, ep_of(e)->rx_op_flags, true };

	(void)desc;
	return do_recv(ep_of(e), &op);
}

static ssize_t t_recvmsg(struct fid_ep *e, const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct myx_op op = { msg->msg_iov, msg->iov_count, msg->addr, msg->tag, msg->ignore,
			     msg->context, flags, true };

	return do_recv(ep_of(e), &op);
}

static ssize_t t_send(struct fid_ep *e, const void *buf, size_t len, void *desc,
		      fi_addr_t dest, uint64_t tag, void *context)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct myx_op op = { &iov, 1, dest, tag, 0, context, ep_of(e)->tx_op_flags, true };

	(void)desc;
	return do_send(ep_of(e), &op);
}

static ssize_t t_sendv(struct fid_ep *e, const struct iovec *iov, void **desc, size_t count,
		       fi_addr_t dest, uint64_t tag, void *context)
{
	struct myx_op op = { iov, count, dest, tag, 0, context, ep_of(e)->tx_op_flags, true };

	(void)desc;
	return do_send(ep_of(e), &op);
}

static ssize_t t_sendmsg(struct fid_ep *e, const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct myx_op op = { msg->msg_iov, msg->iov_count, msg->addr, msg->tag, 0, msg->context,
			     flags, true, msg->data };

	return do_send(ep_of(e), &op);
}

static ssize_t t_inject(struct fid_ep *e, const void *buf, size_t len, fi_addr_t dest,
			uint64_t tag)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct myx_op op = { &iov, 1, dest, tag, 0, NULL, FI_INJECT, true };

	return do_send(ep_of(e), &op);
}

static ssize_t t_senddata(struct fid_ep *e, const void *buf, size_t len, void *desc,
			  uint64_t data, fi_addr_t dest, uint64_t tag, void *context)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct myx_op op = { &iov, 1, dest, tag, 0, context,
			     ep_of(e)->tx_op_flags | FI_REMOTE_CQ_DATA, true, data };

	(void)desc;
	return do_send(ep_of(e), &op);
}

static ssize_t t_injectdata(struct fid_ep *e, const void *buf, size_t len, uint64_t data,
			    fi_addr_t dest, uint64_t tag)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct myx_op op = { &iov, 1, dest, tag, 0, NULL, FI_INJECT | FI_REMOTE_CQ_DATA, true,
			     data };

	return do_send(ep_of(e), &op);
}

struct fi_ops_tagged myx_tagged_ops = {
	.size = sizeof(struct fi_ops_tagged),
	.recv = t_recv,
	.recvv = t_recvv,
	.recvmsg = t_recvmsg,
	.send = t_send,
	.sendv = t_sendv,
	.sendmsg = t_sendmsg,
	.inject = t_inject,
	.senddata = t_senddata,
	.injectdata = t_injectdata,
};
