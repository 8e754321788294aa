/* SPDX-License-Identifier: MIT */
/*
 * Rendezvous in a pair channel (include/myrixen/pair.h "Rendezvous"):
 * between two local endpoints of one principal, a large send is announced
 * in the channel with the sender's segments, the receiver reads them itself
 * with one process_vm_readv once a receive matches, and answers with a FIN
 * in the channel, which completes the send.  The daemon, which vouched for
 * the peer's process when it handed the channel over, is on neither path,
 * so a message costs no daemon wake-up at all (it took two: announcement,
 * then PULL_FIN and SEND_DONE).
 *
 * The peer is hostile, as everywhere in a channel: an RNDV slot and its
 * segments are copied before use (pair.c bounds them), the segments only
 * name memory of the process the daemon named (the pid is the daemon's,
 * never the peer's word), and the kernel's ptrace check under our own
 * credentials decides the read.  After the read the peer must still be the
 * process whose pidfd and /proc directory the daemon handed us, with the
 * ids, dumpable owner and executable it had then: the daemon's own
 * per-transfer check (common/proc_id.c), made here.  A FIN must name a send
 * we announced and have not seen finished.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mxl.h"

void mxl_pair_proc_take(struct mx_endpoint *ep, struct mxl_pair *p, const struct mxn_pair_open *o,
			int pidfd, int procfd)
{
	p->peer_id.pidfd = pidfd;
	p->peer_id.procfd = procfd;
	/* We read only if we copy large messages ourselves at all
	 * (pull_direct.c: MYRIXEN_SINGLE_COPY, Yama). */
	if (!ep->pull_direct || pidfd < 0 || procfd < 0 || mxc_proc_id_take(&p->peer_id)) {
		mxc_proc_id_close(&p->peer_id);
		return;
	}
	p->proc = true;
	p->peer_pid = (pid_t)o->peer_pid;
	/* Before the peer's first large send, which reads it.  relaxed: the
	 * flag orders nothing, it only picks the path of the peer's sends. */
	atomic_store_explicit(MXN_ATOMIC(&p->rx.ctl->flags), MXN_RINGF_PAIR_RNDV,
			      memory_order_relaxed);
}

/* A synchronous send is a rendezvous at any size (classify.c), and a
 * rendezvous completes only once the receiver matched and read it: what
 * mx_issend promises.  One large by its size goes here like any other; a
 * small one keeps the daemon's path (its read would cost more than its
 * bytes). */
static bool large_by_size(const struct mx_endpoint *ep, const struct mxl_req *r)
{
	return mxl_classify(r->total, ep->medium_max, false) == MXL_CLASS_LARGE;
}

bool mxl_pair_rndv_wanted(const struct mx_endpoint *ep, const struct mxl_lpeer *lp,
			  const struct mxl_req *r)
{
	const struct mxl_pair *p = lp->pair;

	/* relaxed: the peer's flag only picks this send's path (see above) */
	return p && !p->broken && !p->tx_off && !p->attached && r->kind == MXL_REQ_SEND &&
	       r->cls == MXL_CLASS_LARGE && (!r->sync || large_by_size(ep, r)) && r->total &&
	       r->total <= MXN_LARGE_MAX &&
	       r->niov <= MXN_MAX_SEGMENTS &&
	       (atomic_load_explicit(MXN_ATOMIC(&p->tx.ctl->flags), memory_order_relaxed) &
		MXN_RINGF_PAIR_RNDV);
}

int mxl_pair_rndv_send(struct mx_endpoint *ep, struct mxl_lpeer *lp, struct mxl_req *r)
{
	struct mxn_vaddr_seg segs[MXN_MAX_SEGMENTS];
	struct mxl_pair *p = lp->pair;
	struct mxn_pair_rndv a = { .handle = p->rndv_next };
	struct mxn_pair_slot s;
	int err;

	for (uint32_t i = 0; i < r->niov; i++)
		if (r->iov[i].len) /* a region's segments are never empty */
			segs[a.nsegs++] = (struct mxn_vaddr_seg){ (uintptr_t)r->iov[i].base,
								  r->iov[i].len };
	memset(&s, 0, sizeof(s));
	s.type = MXN_PAIR_RNDV;
	s.length = (uint32_t)r->total;
	s.match_info = r->status.match_info;
	s.dcount = lp->tx_d;
	mxl_req_send_seq(ep, r);
	s.send_seq = r->seq;
	memcpy(s.tiny, &a, sizeof(a));
	err = mxl_pair_put(ep, p, &s, segs, a.nsegs * (uint32_t)sizeof(segs[0]), true, false);
	if (err)
		return err;
	p->rndv_next++;
	lp->tx_p++;
	r->rndv_handle = a.handle;
	r->rndv_at = mxl_now_ns();
	r->state |= MXL_RS_PAIR_RNDV;
	mxl_list_add_tail(&p->rndv_out, &r->link);
	ep->counters[MXL_CNT_PAIR_RNDV_SENT]++;
	return 0;
}

void mxl_pair_rndv_arrival(struct mx_endpoint *ep, const struct mxl_pair *p,
			   const struct mxn_pair_slot *s, const struct mxn_evt *e,
			   const uint8_t *segs)
{
	struct mxl_prndv pr;
	struct mxn_pair_rndv a;

	memcpy(&a, s->tiny, sizeof(a));
	pr.peer_ep = p->peer_ep;
	pr.pair_id = p->id;
	pr.handle = a.handle;
	pr.nsegs = a.nsegs; /* bounded by slot_ok (pair.c) */
	/* Once: the peer may rewrite its queue at any time. */
	memcpy(pr.segs, segs, a.nsegs * sizeof(pr.segs[0]));
	mxl_arrival_pair(ep, e, &pr);
}

bool mxl_pair_rndv_fin(struct mx_endpoint *ep, struct mxl_pair *p, const struct mxn_pair_slot *s)
{
	struct mxl_list *pos;
	struct mxn_pair_fin f;

	(void)ep; /* the request knows its endpoint */
	memcpy(&f, s->tiny, sizeof(f));
	for (pos = p->rndv_out.next; pos != &p->rndv_out; pos = pos->next) {
		struct mxl_req *r = mxl_container_of(pos, struct mxl_req, link);

		if (r->rndv_handle != f.handle)
			continue;
		mxl_pair_nap_fin(p, r, f.done_ns);
		r->status.xfer_length = f.status != MXN_ST_OK ? 0
					: f.xfer_length < r->total ? f.xfer_length
								   : (uint32_t)r->total;
		/* A FIN's word on the status only ends this send (a lie about
		 * AWAY or MOVED moves nothing here: it reads as closed). */
		mxl_req_complete(r, mxl_status_from_mxn(f.status)); /* off rndv_out */
		return true;
	}
	return false;
}

static int put_fin(struct mx_endpoint *ep, struct mxl_pair *p, const struct mxn_pair_fin *f)
{
	struct mxn_pair_slot s;

	memset(&s, 0, sizeof(s));
	s.type = MXN_PAIR_FIN;
	memcpy(s.tiny, f, sizeof(*f));
	/* pushed now: the sender's next announcement waits for it */
	return mxl_pair_put(ep, p, &s, NULL, 0, false, true);
}

/* Answer a rendezvous; in order behind the FINs that wait for room. */
static void fin(struct mx_endpoint *ep, struct mxl_pair *p, uint32_t handle, uint8_t st,
		uint32_t moved)
{
	/* done_ns: when the sender's next FIN is due (pair_nap.c) */
	struct mxn_pair_fin f = { .handle = handle, .xfer_length = moved, .status = st,
				  .done_ns = mxl_now_ns() };

	if (!p->nfin_wait && put_fin(ep, p, &f) != -EAGAIN)
		return; /* sent, or the channel broke: its sender hears PAIR_CLOSED */
	if (p->nfin_wait == p->fin_cap) {
		uint32_t cap = p->fin_cap ? 2 * p->fin_cap : 8;
		struct mxn_pair_fin *w = realloc(p->fin_wait, cap * sizeof(*w));

		if (!w) {
			ep->counters[MXL_CNT_PAIR_RNDV_FAILED]++; /* the send waits for the close */
			return;
		}
		p->fin_wait = w;
		p->fin_cap = cap;
	}
	p->fin_wait[p->nfin_wait++] = f;
}

void mxl_pair_rndv_flush(struct mx_endpoint *ep, struct mxl_pair *p)
{
	uint32_t n = 0;

	while (n < p->nfin_wait && !put_fin(ep, p, &p->fin_wait[n]))
		n++;
	memmove(p->fin_wait, p->fin_wait + n, (p->nfin_wait - n) * sizeof(*p->fin_wait));
	p->nfin_wait -= n;
}

/* The read, then the daemon's check of the sender (see the top). */
static uint8_t pair_read(struct mxl_pair *p, struct mxl_req *r, const struct mxl_prndv *pr,
			 uint32_t *moved)
{
	uint8_t st = mxl_read_segs(r, p->peer_pid, pr->segs, pr->nsegs, r->pull_len, moved);
	int err;

	if (st != MXN_ST_OK)
		return st;
	err = mxc_proc_id_check(&p->peer_id);
	if (err)
		return err == -ESRCH ? MXN_ST_CLOSED : MXN_ST_BAD_REQUEST;
	return MXN_ST_OK;
}

void mxl_pair_rndv_pull(struct mx_endpoint *ep, struct mxl_req *r, const struct mxl_prndv *pr)
{
	struct mxl_pair *p = mxl_pair_find(ep, pr->peer_ep, pr->pair_id);
	uint8_t st = MXN_ST_CLOSED;
	uint32_t moved = 0;

	/* The channel is ours, not the daemon's: nothing to wait for after a
	 * re-attach (mxl_pull_later looks at seq). */
	r->seq = 0;
	if (p && p->proc && r->kind == MXL_REQ_RECV && r->pull_len)
		st = pair_read(p, r, pr, &moved);
	else if (p)
		st = MXN_ST_OK; /* discarded, or an empty receive: nothing to read */
	if (p)
		fin(ep, p, pr->handle, st, moved);
	if (st != MXN_ST_OK)
		ep->counters[MXL_CNT_PAIR_RNDV_FAILED]++;
	else if (moved)
		ep->counters[MXL_CNT_PAIR_RNDV_COPIED]++;
	if (r->kind == MXL_REQ_DISCARD) {
		mxl_req_complete(r, MX_STATUS_SUCCESS); /* frees it */
		return;
	}
	mxl_pull_complete(ep, r, st, moved);
}

void mxl_pair_rndv_free(struct mx_endpoint *ep, struct mxl_pair *p)
{
	if (!p->rndv_out.next)
		return; /* never mapped (mxl_pair_map sets all of it) */
	/* The receiver never answered: its channel is gone with it. */
	while (!mxl_list_empty(&p->rndv_out)) {
		struct mxl_req *r = mxl_container_of(p->rndv_out.next, struct mxl_req, link);

		r->status.xfer_length = 0;
		ep->counters[MXL_CNT_PAIR_RNDV_FAILED]++;
		mxl_req_complete(r, MX_STATUS_ENDPOINT_CLOSED); /* off rndv_out */
	}
	free(p->fin_wait);
	p->fin_wait = NULL;
	p->nfin_wait = p->fin_cap = 0;
	mxc_proc_id_close(&p->peer_id);
	p->proc = false;
}
