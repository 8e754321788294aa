/* SPDX-License-Identifier: MIT */
/*
 * Single-copy large receives on the local transport.  A PULL carries
 * MXN_CMDF_DIRECT; when the sender is the same principal as us, the daemon
 * answers MXN_EVT_PULL_GRANT with the sender's pid and segments instead of
 * copying, and we read them straight into the receive buffer with one
 * process_vm_readv under our own credentials (the kernel's ptrace check
 * decides, not the daemon's privileges), then report with MXN_CMD_PULL_FIN,
 * which completes the receive at once (nothing answers it; the daemon
 * completes the sender).
 * MYRIXEN_SINGLE_COPY=0 turns it off (the daemon then copies off its loop),
 * and so does Yama ptrace_scope >= 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "mxl.h"

/* Yama ptrace_scope >= 1 lets us read only our descendants (the sender
 * named the daemon its ptracer, not us): leave the copy to the daemon. */
static bool yama_relaxed(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true; /* no Yama */
	if (read(fd, &c, 1) != 1)
		c = '1';
	close(fd);
	return c == '0';
}

bool mxl_pull_direct_wanted(const struct mx_endpoint *ep)
{
	const char *v = getenv("MYRIXEN_SINGLE_COPY");

	return ep->t.ops == &mxl_transport_local && !(v && !strcmp(v, "0")) && yama_relaxed();
}

/* The receive buffer, limited to len bytes, as iovecs. */
static uint32_t local_iov(const struct mxl_req *r, uint32_t len, struct iovec *iov)
{
	uint32_t i, n = 0;

	for (i = 0; i < r->niov && i < MXN_MAX_SEGMENTS && len; i++) {
		uint32_t take = r->iov[i].len < len ? (uint32_t)r->iov[i].len : len;

		if (!take)
			continue;
		iov[n].iov_base = r->iov[i].base;
		iov[n++].iov_len = take;
		len -= take;
	}
	return n;
}

uint8_t mxl_read_segs(struct mxl_req *r, pid_t pid, const void *segs,
		      uint32_t nsegs, uint32_t len, uint32_t *moved)
{
	static __thread struct iovec local[MXN_MAX_SEGMENTS], remote[MXN_REGION_VADDR_SEGS_MAX];
	struct mxn_vaddr_seg s;
	uint32_t nl, i;
	ssize_t got;

	*moved = 0;
	if (!nsegs || nsegs > MXN_REGION_VADDR_SEGS_MAX)
		return MXN_ST_BAD_REQUEST;
	for (i = 0; i < nsegs; i++) {
		/* segs may sit unaligned in a queue */
		memcpy(&s, (const uint8_t *)segs + i * sizeof(s), sizeof(s));
		remote[i].iov_base = (void *)(uintptr_t)s.addr;
		remote[i].iov_len = s.len;
	}
	nl = local_iov(r, len, local);
	got = process_vm_readv(pid, local, nl, remote, nsegs, 0);
	if (got < 0)
		return errno == ESRCH ? MXN_ST_CLOSED : MXN_ST_BAD_REQUEST;
	*moved = (uint32_t)got;
	return (uint32_t)got == len ? MXN_ST_OK : MXN_ST_BAD_REQUEST;
}

/* Copy what the grant names; the status and length for PULL_FIN. */
static uint8_t copy_grant(struct mx_endpoint *ep, struct mxl_req *r, const struct mxn_evt_grant *g,
			  uint32_t *moved)
{
	uint32_t off = g->segs_off, nsegs = g->nsegs, bytes, len;

	*moved = 0;
	bytes = nsegs * (uint32_t)sizeof(struct mxn_vaddr_seg);
	if (!nsegs || nsegs > MXN_REGION_VADDR_SEGS_MAX || off > ep->lay.recvq_size ||
	    bytes > ep->lay.recvq_size - off)
		return MXN_ST_BAD_REQUEST;
	len = g->xfer_length < r->pull_len ? g->xfer_length : r->pull_len;
	return mxl_read_segs(r, (pid_t)g->pid, ep->recvq + off,
			     nsegs, len, moved);
}

void mxl_on_pull_grant(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	const struct mxn_evt_grant *g = &e->u.grant;
	struct mxl_req *r = mxl_cookie_take(ep, g->cookie);

	if (!r || (r->kind != MXL_REQ_RECV && r->kind != MXL_REQ_DISCARD) || r->fin_pending ||
	    r->rndv_handle != g->rndv_handle) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		return;
	}
	r->fin_status = copy_grant(ep, r, g, &r->fin_len);
	r->fin_pending = true;
	mxl_submit(ep, r); /* PULL_FIN with the same cookie; queuing it completes r */
	/* Now, not after the next copy: the sender's next announcement waits
	 * for its SEND_DONE, which waits for this. */
	mxl_flush(ep);
}

/*
 * A rendezvous whose announcement named the sender's segments
 * (MXN_EVTF_GRANT, abi.h), matched by a receive posted before it came: copy
 * it now, as from a PULL_GRANT, and answer PULL_FIN; r has its status,
 * handle and pull_len.  False: pull as usual.
 */
bool mxl_pull_pregranted(struct mx_endpoint *ep, struct mxl_req *r, const struct mxn_evt *e)
{
	struct mxn_evt_grant g = {
		.pid = e->u.rndv.pid, .xfer_length = e->length, .segs_off = e->u.rndv.segs_off,
		.nsegs = e->u.rndv.nsegs, .rndv_handle = e->u.rndv.rndv_handle,
	};

	if (!(e->flags & MXN_EVTF_GRANT) || !ep->pull_direct || r->kind != MXL_REQ_RECV)
		return false;
	ep->counters[MXL_CNT_PREGRANTED]++;
	r->fin_status = copy_grant(ep, r, &g, &r->fin_len);
	r->fin_pending = true;
	mxl_submit(ep, r); /* PULL_FIN; queuing it completes r */
	mxl_flush(ep);     /* as in mxl_on_pull_grant */
	return true;
}

/* The event ring's flag for it: set whenever the ring's flags are. */
uint32_t mxl_pregrant_flag(const struct mx_endpoint *ep)
{
	return ep->pull_direct ? MXN_RINGF_PREGRANT : 0u;
}

void mxl_build_pull_fin(const struct mxl_req *r, struct mxn_cmd *c)
{
	c->op = MXN_CMD_PULL_FIN;
	c->u.fin.rndv_handle = r->rndv_handle;
	c->u.fin.xfer_length = r->fin_len;
	c->u.fin.status = r->fin_status;
}
