/* SPDX-License-Identifier: MIT */
/*
 * Large messages: the sender announces a rendezvous (RNDV, sequenced like
 * any message) naming an rdma window (id + generation); the receiver pulls
 * it in blocks of up to 32 PULL_REPLY frames, several blocks in flight,
 * asking again for a block that stalls; at the end it sends NOTIFY
 * (sequenced), which completes the send.
 *
 * Block geometry follows Open-MX: with R the pull-reply payload and o the
 * window offset, block 0 starts at message offset 0 with a first frame of
 * R - o bytes; block k >= 1 starts at 32kR - o.  Frame j of a block sits at
 * start + (j ? R - ffo + (j - 1) R : 0).  Both ends must use the same R,
 * i.e. the same MTU, exactly as two native Open-MX hosts must.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <myrixen/abi.h>
#include "mxoe_int.h"

/*
 * One staging buffer per pull block that may be in flight (there are
 * pull_blocks_total of them; none without that cap: frames are then
 * written one by one).  Pages are touched only when used.
 */
static int stage_init(struct mxw_proto *pr)
{
	size_t blk = (size_t)MXW_PULL_REPLY_PER_BLOCK * pr->reply_max;
	uint32_t n = pr->p.pull_blocks_total;

	if (!n)
		return 0;
	pr->stage_mem = malloc(blk * n);
	pr->stage_free = calloc(n, sizeof(*pr->stage_free));
	if (!pr->stage_mem || !pr->stage_free)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		pr->stage_free[pr->nstage_free++] = pr->stage_mem + blk * i;
	return 0;
}

int mxw_large_init(struct mxw_proto *pr)
{
	pr->rndv_in = calloc(MXW_RNDV_IN_MAX, sizeof(*pr->rndv_in));
	pr->pulls = calloc(MXW_PULLS_MAX, sizeof(*pr->pulls));
	pr->blkbuf = malloc((size_t)MXW_PULL_REPLY_PER_BLOCK * pr->reply_max);
	if (!pr->rndv_in || !pr->pulls || !pr->blkbuf)
		return -ENOMEM;
	pr->pull_magic = 0x5a17c0deu ^ (uint32_t)pr->nic_id;
	return stage_init(pr);
}

void mxw_large_free(struct mxw_proto *pr)
{
	for (unsigned i = 0; i < 256; i++)
		free(pr->rdma[i]);
	free(pr->rndv_in);
	free(pr->pulls);
	free(pr->blkbuf);
	free(pr->stage_mem);
	free(pr->stage_free);
}

/* ---- sender side ---- */

int mxw_proto_send_rndv(struct mxw_proto *pr, struct mxw_ep from, uint16_t peer,
			uint8_t endpoint, uint32_t session, uint64_t match_info, uint32_t len,
			uint32_t send_handle, uint16_t mxn_seq)
{
	struct mxw_partner *pt;
	struct mxw_rdma_slot *slots;
	struct mxw_send *s;
	unsigned id;
	int err;

	pt = mxw_partner_for_send(pr, from, peer, endpoint, session, &err);
	if (!pt)
		return err;
	if (!pr->rdma[from.index]) {
		pr->rdma[from.index] = calloc(MXW_RDMA_IDS, sizeof(struct mxw_rdma_slot));
		if (!pr->rdma[from.index])
			return -ENOMEM;
		/* A window of ours outlives us in a puller's memory: after a
		 * restart, a late PULL of our predecessor's must not find a
		 * window of ours under the same id and seqnum (it would be
		 * served another message).  Each life starts elsewhere. */
		for (id = 0; id < MXW_RDMA_IDS; id++)
			pr->rdma[from.index][id].seqnum = (uint8_t)(pr->incarnation >> 8);
	}
	slots = pr->rdma[from.index];
	for (id = 0; id < MXW_RDMA_IDS && slots[id].used; id++)
		;
	if (id == MXW_RDMA_IDS)
		return -ENOBUFS;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	slots[id].used = true;
	slots[id].seqnum++;
	slots[id].lsession = from.session;
	slots[id].send_handle = send_handle;
	slots[id].length = len;
	slots[id].peer = peer;
	slots[id].rep = endpoint;
	slots[id].match = match_info;
	slots[id].mxn_seq = mxn_seq;
	slots[id].announcing = true;
	slots[id].reannounced = false;
	if (pr->peers[peer].rndv_waiting++ == 0 && !pr->peers[peer].pending) {
		mxw_peer_heard(pr, peer);   /* the probe clock starts now */
		mxw_liveness_arm(pr, peer);
	}
	s->kind = MXW_SK_RNDV;
	s->match = match_info;
	s->length = len;
	s->send_handle = send_handle;
	s->mxn_seq = mxn_seq;
	s->rdma_id = (uint8_t)id;
	s->rdma_seqnum = slots[id].seqnum;
	return mxw_queue_send(pr, pt, s);
}

static void rdma_finish(struct mxw_proto *pr, uint8_t lep, unsigned id, uint8_t status,
			uint32_t xfer)
{
	struct mxw_rdma_slot *sl = &pr->rdma[lep][id];
	struct mxw_ep ep = { .index = lep, .session = sl->lsession };

	sl->used = false;
	pr->peers[sl->peer].rndv_waiting--;
	if (pr->cb.rndv_done)
		pr->cb.rndv_done(pr->cb.ctx, ep, sl->send_handle, status, xfer);
}

/* The window a RNDV send announces, NULL once its send ended. */
static struct mxw_rdma_slot *send_slot(struct mxw_proto *pr, const struct mxw_send *s)
{
	struct mxw_rdma_slot *sl = pr->rdma[s->pt->lep] ? &pr->rdma[s->pt->lep][s->rdma_id] : NULL;

	return sl && sl->used && sl->seqnum == s->rdma_seqnum ? sl : NULL;
}

void mxw_rndv_send_failed(struct mxw_proto *pr, struct mxw_send *s, uint8_t status)
{
	if (send_slot(pr, s))
		rdma_finish(pr, s->pt->lep, s->rdma_id, status, 0);
}

void mxw_rndv_announced(struct mxw_proto *pr, const struct mxw_send *s)
{
	struct mxw_rdma_slot *sl = send_slot(pr, s);

	if (sl)
		sl->announcing = false;
}

/*
 * An announcement still in flight (not acked) goes again to a receiver
 * that lost its partner state (partner_requeue).  Its old daemon may have
 * delivered it, and its library pulled it all, before the ack and the
 * NOTIFY could leave (killed within the ack delay): that library releases
 * the copy with a pull of nothing, which mxw_rx_notify must not report.
 */
void mxw_rndv_requeued(struct mxw_proto *pr, const struct mxw_send *s)
{
	struct mxw_rdma_slot *sl = send_slot(pr, s);

	if (sl)
		sl->reannounced = true;
}

/* Whether send number a came before b (numbers skip 0, cycle of 65535). */
static bool mxn_seq_before(uint16_t a, uint16_t b)
{
	uint32_t ahead = ((uint32_t)b + 65535u - a) % 65535u;

	return ahead && ahead < 32768u;
}

/*
 * The receiving daemon of pt restarted: what its predecessor took of our
 * announcements (acked RNDVs) died with it, pulled or not.  Each goes
 * again, same window, same send number, in the order first sent and
 * before what was in flight (already at the head of pt->throttled): its
 * library pulls again a receive that was pulling, drops one it had
 * completed (releasing our send with a pull of nothing), and takes one it
 * never saw (its event died with the daemon) in its place in the order.
 */
static void reannounce(struct mxw_proto *pr, struct mxw_partner *pt)
{
	struct mxw_rdma_slot *slots = pr->rdma[pt->lep];
	uint8_t ids[MXW_RDMA_IDS];
	unsigned n = 0, i, j;

	for (i = 0; slots && i < MXW_RDMA_IDS; i++) {
		struct mxw_rdma_slot *sl = &slots[i];

		if (!sl->used || sl->announcing || !sl->mxn_seq || sl->peer != pt->peer ||
		    sl->rep != pt->rep || sl->lsession != pt->lsession)
			continue;
		for (j = n++; j > 0 && mxn_seq_before(sl->mxn_seq, slots[ids[j - 1]].mxn_seq); j--)
			ids[j] = ids[j - 1];
		ids[j] = (uint8_t)i;
	}
	while (n--) {
		struct mxw_rdma_slot *sl = &slots[ids[n]];
		struct mxw_send *s = calloc(1, sizeof(*s));

		if (!s)
			continue;   /* its receiver's pull waits, then fails */
		s->kind = MXW_SK_RNDV;
		s->pt = pt;
		s->match = sl->match;
		s->length = sl->length;
		s->send_handle = sl->send_handle;
		s->mxn_seq = sl->mxn_seq;
		s->rdma_id = ids[n];
		s->rdma_seqnum = sl->seqnum;
		sl->announcing = true;
		sl->reannounced = true;
		TAILQ_INSERT_HEAD(&pt->throttled, s, plink);
		pr->st.reannounced++;
	}
}

void mxw_rx_notify(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f)
{
	struct mxw_rdma_slot *sl;
	uint32_t xfer;

	if (!pr->rdma[pt->lep])
		goto stale;
	sl = &pr->rdma[pt->lep][f->u.notify.rdma_id];
	if (!sl->used || sl->seqnum != f->u.notify.rdma_seqnum || sl->peer != pt->peer ||
	    sl->rep != pt->rep)
		goto stale;
	xfer = MXW_MIN(f->u.notify.total_length, sl->length);
	/* Announced again to a restarted receiver whose library had taken it
	 * all (the NOTIFY died with its daemon, and maybe the RNDV's ack): it
	 * releases this copy with a pull of nothing.  What it took is not known here; the whole message
	 * is reported, as the library does for a rendezvous it sent again
	 * itself (lib/progress.c), never the 0 of the release. */
	if (sl->reannounced && xfer == 0)
		xfer = sl->length;
	rdma_finish(pr, pt->lep, f->u.notify.rdma_id, MXN_ST_OK, xfer);
	return;
stale:
	/* consumed anyway: the seqnum is acked so the sender moves on */
	pr->st.drops++;
}

static void tx_nack_mcp(struct mxw_proto *pr, int peer, const struct mxw_frame *f, uint8_t type)
{
	struct mxw_frame n;

	memset(&n, 0, sizeof(n));
	n.type = MXW_PKT_NACK_MCP;
	mxw_head_for(pr, &n, (uint16_t)peer);
	n.u.nack_mcp.src_ep = f->u.pull.dst_ep;
	n.u.nack_mcp.nack_type = type;
	n.u.nack_mcp.src_pull_handle = f->u.pull.src_pull_handle;
	n.u.nack_mcp.src_magic = f->u.pull.src_magic;
	if (mxw_tx_frame(pr, &n, (uint16_t)peer) == 0) {
		pr->st.nacks_tx++;
		pr->peers[peer].st.nacks_tx++;
	}
}

/* Serve one PULL: send the replies of the block it names, read from the
 * sender's memory in one go (one copy call per block, not per frame). */
void mxw_rx_pull(struct mxw_proto *pr, int peer, const struct mxw_frame *f)
{
	const uint32_t R = pr->reply_max;
	uint32_t session, key, start, end, off, ffo = f->u.pull.first_frame_offset;
	struct mxw_rdma_slot *sl;
	struct mxw_ep ep;
	struct mxw_frame r;
	uint64_t base;
	int err;

	err = pr->cb.ep_info(pr->cb.ctx, f->u.pull.dst_ep, &session, &key);
	if (err || session != f->u.pull.session) {
		if (mxw_quiet_drop(pr, peer, f->u.pull.dst_ep))
			return;     /* the puller waits for the re-announce */
		tx_nack_mcp(pr, peer, f, err == -EINVAL ? MXW_NACK_BAD_ENDPT :
					 err ? MXW_NACK_ENDPT_CLOSED : MXW_NACK_BAD_SESSION);
		return;
	}
	sl = pr->rdma[f->u.pull.dst_ep] && f->u.pull.rdma_id < MXW_RDMA_IDS ?
	     &pr->rdma[f->u.pull.dst_ep][f->u.pull.rdma_id] : NULL;
	/* the window must exist, belong to this puller, and hold the block */
	base = (uint64_t)f->u.pull.frame_index * R + ffo;
	if (!sl || !sl->used || sl->seqnum != f->u.pull.rdma_seqnum) {
		/* a window that ended (a late duplicate) or never existed, or
		 * one of our predecessor's (we restarted): its sender's library
		 * announces it again, its puller must not fail meanwhile */
		if (mxw_quiet_drop(pr, peer, f->u.pull.dst_ep))
			return;
		pr->st.drops++;
		tx_nack_mcp(pr, peer, f, MXW_NACK_BAD_RDMAWIN);
		return;
	}
	if (sl->lsession != session || sl->peer != peer || sl->rep != f->u.pull.src_ep ||
	    f->u.pull.rdma_offset != 0 ||
	    ffo >= R || f->u.pull.block_length == 0 ||
	    f->u.pull.block_length > MXW_PULL_REPLY_PER_BLOCK * R ||
	    f->u.pull.total_length > sl->length ||
	    base + f->u.pull.block_length > f->u.pull.total_length) {
		pr->st.bad_rdmawin++;
		mxw_bad_frame(pr, peer);
		tx_nack_mcp(pr, peer, f, MXW_NACK_BAD_RDMAWIN);
		return;
	}
	ep.index = f->u.pull.dst_ep;
	ep.session = session;
	start = (uint32_t)base;
	end = start + f->u.pull.block_length;
	memset(&r, 0, sizeof(r));
	r.type = MXW_PKT_PULL_REPLY;
	mxw_head_for(pr, &r, (uint16_t)peer);
	r.u.pull_reply.dst_pull_handle = f->u.pull.src_pull_handle;
	r.u.pull_reply.dst_magic = f->u.pull.src_magic;
	if (pr->cb.rndv_read(pr->cb.ctx, ep, sl->send_handle, start, pr->blkbuf, end - start)) {
		pr->st.drops++;
		return;     /* the send went away; the puller times out */
	}
	off = start;
	for (uint32_t j = 0; off < end; j++) {
		uint32_t len = MXW_MIN(j ? R : R - ffo, end - off);

		r.u.pull_reply.frame_seqnum = (uint8_t)(f->u.pull.frame_index + j);
		r.u.pull_reply.msg_offset = off;
		r.payload = pr->blkbuf + (off - start);
		r.payload_len = len;
		(void)mxw_tx_frame(pr, &r, (uint16_t)peer);
		off += len;
	}
}

/* ---- receiver side ---- */

static void pull_fill_blocks(struct mxw_proto *pr, struct mxw_pull *pl, uint64_t now);
static void pull_finish(struct mxw_proto *pr, struct mxw_pull *pl, uint8_t status);

static bool same_partner(const struct mxw_partner *pt, struct mxw_ep to, uint16_t peer,
			 uint8_t rep)
{
	return to.index == pt->lep && to.session == pt->lsession && peer == pt->peer &&
	       rep == pt->rep;
}

/* A parked pull goes on from the window its sender announced again:
 * from the start (what came before lands again, the same bytes: the
 * sender's buffer is the application's until the send completes). */
static void pull_retarget(struct mxw_proto *pr, struct mxw_pull *pl, struct mxw_partner *pt,
			  const struct mxw_frame *f)
{
	pl->rdma_id = f->u.rndv.rdma_id;
	pl->rdma_seqnum = f->u.rndv.rdma_seqnum;
	pl->rdma_offset = f->u.rndv.rdma_offset;
	pl->rsession = pt->rsession;
	pl->total = MXW_MIN(pl->total, f->u.rndv.msg_length);
	pl->parked = false;
	mxw_tq_cancel(&pr->tq, &pl->timer);
	pr->st.pulls_retargeted++;
	if (pl->rdma_offset >= pr->reply_max)
		pull_finish(pr, pl, MXN_ST_BAD_REQUEST);
	else if (pl->total == 0)
		pull_finish(pr, pl, MXN_ST_OK);
	else
		pull_fill_blocks(pr, pl, mxw_now(pr));
}

/*
 * A rendezvous the restarted sender's library announced again (its number
 * is that of a pull we parked, or of an announcement our receiver has
 * not pulled yet): it replaces the dead window, and our receiver never
 * hears of it again.  True when f was that.
 */
static bool rndv_reannounced(struct mxw_proto *pr, struct mxw_partner *pt,
			     const struct mxw_frame *f)
{
	uint16_t seq = f->u.rndv.msg.mxn_seq;
	struct mxw_pull *pl;

	if (!pt->mxn_seq || !seq || mxw_now(pr) >= pt->reborn_until)
		return false;
	TAILQ_FOREACH(pl, &pr->active_pulls, link)
		if (pl->parked && pl->mxn_seq == seq && same_partner(pt, pl->to, pl->peer, pl->rep)) {
			pull_retarget(pr, pl, pt, f);
			return true;
		}
	for (unsigned i = 0; i < MXW_RNDV_IN_MAX; i++) {
		struct mxw_rndv_in *ri = &pr->rndv_in[i];

		if (!ri->used || !ri->stale || ri->mxn_seq != seq ||
		    !same_partner(pt, ri->to, ri->peer, ri->rep))
			continue;
		ri->stale = false;
		ri->rdma_id = f->u.rndv.rdma_id;
		ri->rdma_seqnum = f->u.rndv.rdma_seqnum;
		ri->rdma_offset = f->u.rndv.rdma_offset;
		ri->msg_length = MXW_MIN(ri->msg_length, f->u.rndv.msg_length);
		pr->st.pulls_retargeted++;
		return true;
	}
	return false;
}

void mxw_rx_rndv(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f, int *ret)
{
	struct mxw_delivery d;
	struct mxw_rndv_in *ri = NULL;
	unsigned i, idx = 0;

	*ret = 0;
	if (rndv_reannounced(pr, pt, f))
		return;

	for (i = 0; i < MXW_RNDV_IN_MAX; i++) {
		idx = (pr->rndv_in_hint + i) % MXW_RNDV_IN_MAX;
		if (!pr->rndv_in[idx].used) {
			ri = &pr->rndv_in[idx];
			break;
		}
	}
	if (!ri) {
		*ret = -EAGAIN;
		return;
	}
	pr->rndv_in_hint = idx + 1;
	memset(ri, 0, sizeof(*ri));
	ri->gen = ++pr->rndv_gen;
	ri->to.index = pt->lep;
	ri->to.session = pt->lsession;
	ri->peer = pt->peer;
	ri->rep = pt->rep;
	ri->msg_length = f->u.rndv.msg_length;
	ri->rdma_id = f->u.rndv.rdma_id;
	ri->rdma_seqnum = f->u.rndv.rdma_seqnum;
	ri->rdma_offset = f->u.rndv.rdma_offset;
	ri->mxn_seq = pt->mxn_seq ? f->u.rndv.msg.mxn_seq : 0;
	memset(&d, 0, sizeof(d));
	d.kind = MXW_DELIVER_RNDV;
	d.to = ri->to;
	d.src.peer = pt->peer;
	d.src.endpoint = pt->rep;
	d.src.session = pt->rsession;
	d.src.nic_id = pr->peers[pt->peer].nic_id;
	mxw_native_src(pt, &d.src, f->u.rndv.msg.mxn_seq, f->u.rndv.msg.seqnum);
	if (d.src.wire_seq) { /* what the library quotes in MXN_CMD_PULL_WIRE */
		d.src.rdma_id = ri->rdma_id;
		d.src.rdma_seqnum = ri->rdma_seqnum;
		d.src.rdma_offset = ri->rdma_offset;
	}
	d.match_info = f->u.rndv.msg.match_info;
	d.length = ri->msg_length;
	d.remote_ref = (uint64_t)ri->gen << 32 | idx;
	*ret = pr->cb.deliver(pr->cb.ctx, &d);
	ri->used = *ret == 0;
	if (ri->used)
		pr->peers[ri->peer].rndv_in++;
}

static void blk_setup(struct mxw_proto *pr, struct mxw_pull *pl, struct mxw_pull_blk *b)
{
	const uint32_t R = pr->reply_max;
	bool first = pl->next_frame_index == 0;
	uint32_t cap = MXW_PULL_REPLY_PER_BLOCK * R - (first ? pl->rdma_offset : 0);
	uint32_t flen;

	memset(b, 0, sizeof(*b));
	b->active = true;
	pr->pull_blocks_active++;
	b->stage = pr->nstage_free ? pr->stage_free[--pr->nstage_free] : NULL;
	b->frame_index = pl->next_frame_index;
	b->first_frame_offset = first ? pl->rdma_offset : 0;
	b->start = pl->next_start;
	b->block_length = MXW_MIN(cap, pl->total - pl->next_start);
	flen = MXW_MIN(R - b->first_frame_offset, b->block_length);
	b->nframes = 1 + (b->block_length - flen + R - 1) / R;
	pl->next_start += b->block_length;
	pl->next_frame_index += MXW_PULL_REPLY_PER_BLOCK;
}

/* Message offset and length of frame j of block b. */
static uint32_t blk_frame_off(const struct mxw_proto *pr, const struct mxw_pull_blk *b, uint32_t j)
{
	const uint32_t R = pr->reply_max;

	return b->start + (j ? R - b->first_frame_offset + (j - 1) * R : 0);
}

static uint32_t blk_frame_len(const struct mxw_proto *pr, const struct mxw_pull_blk *b, uint32_t j)
{
	const uint32_t R = pr->reply_max;

	return MXW_MIN(j ? R : R - b->first_frame_offset,
		       b->start + b->block_length - blk_frame_off(pr, b, j));
}

/* When block b asks again: the timeout doubles while it stalls (a
 * congested path gets fewer bursts), back to the short one on progress. */
static uint64_t blk_due(const struct mxw_proto *pr, const struct mxw_pull_blk *b)
{
	uint32_t shift = MXW_MIN(b->resends, pr->p.pull_backoff_max);

	return b->last_tx + ((uint64_t)pr->p.pull_resend_us << shift);
}

/*
 * Ask for the frames of b still missing: from the first missing one to the
 * last.  Asking for the whole block again would put the missing frames at
 * the tail of a burst of already-received ones, which is exactly where a
 * full queue (a busy receiver, a starved forwarder) drops them, every time.
 * The sub-range is a valid Open-MX pull: frame_index is that of its first
 * frame and every reply carries its own frame seqnum and message offset.
 */
static void tx_pull(struct mxw_proto *pr, struct mxw_pull *pl, struct mxw_pull_blk *b, uint64_t now)
{
	uint32_t first = 0, last = b->nframes - 1, off;
	struct mxw_frame f;

	while (first < last && (b->bits[0] & (1ull << first)))
		first++;
	while (last > first && (b->bits[0] & (1ull << last)))
		last--;
	off = blk_frame_off(pr, b, first);

	memset(&f, 0, sizeof(f));
	f.type = MXW_PKT_PULL;
	mxw_head_for(pr, &f, pl->peer);
	f.u.pull.dst_ep = pl->rep;
	f.u.pull.src_ep = pl->to.index;
	f.u.pull.session = pl->rsession;
	f.u.pull.total_length = pl->total;
	f.u.pull.rdma_id = pl->rdma_id;
	f.u.pull.rdma_seqnum = pl->rdma_seqnum;
	f.u.pull.rdma_offset = pl->rdma_offset;
	f.u.pull.src_pull_handle = (uint32_t)(pl - pr->pulls);
	f.u.pull.src_magic = pl->magic;
	f.u.pull.first_frame_offset = first ? 0 : b->first_frame_offset;
	f.u.pull.block_length = blk_frame_off(pr, b, last) + blk_frame_len(pr, b, last) - off;
	f.u.pull.frame_index = b->frame_index + first;
	b->last_tx = now;
	mxw_timer_earlier(pr, &pl->timer, blk_due(pr, b));
	(void)mxw_tx_frame(pr, &f, pl->peer);
}

static bool pull_room(const struct mxw_proto *pr)
{
	return !pr->p.pull_blocks_total || pr->pull_blocks_active < pr->p.pull_blocks_total;
}

static void pull_fill_blocks(struct mxw_proto *pr, struct mxw_pull *pl, uint64_t now)
{
	for (unsigned i = 0; !pl->parked && i < pr->p.pull_blocks && pl->next_start < pl->total &&
	     pull_room(pr); i++) {
		if (pl->blk[i].active)
			continue;
		blk_setup(pr, pl, &pl->blk[i]);
		tx_pull(pr, pl, &pl->blk[i], now);
	}
}

/* Block room came free: the oldest pulls ask first. */
static void pulls_refill(struct mxw_proto *pr)
{
	struct mxw_pull *pl;
	uint64_t now;

	if (!pull_room(pr))
		return;
	now = mxw_now(pr);
	TAILQ_FOREACH(pl, &pr->active_pulls, link) {
		if (!pull_room(pr))
			break;
		pull_fill_blocks(pr, pl, now);
	}
}

static void blk_retire(struct mxw_proto *pr, struct mxw_pull_blk *b)
{
	b->active = false;
	pr->pull_blocks_active--;
	if (b->stage)
		pr->stage_free[pr->nstage_free++] = b->stage;
	b->stage = NULL;
}

/* pl's window died with its sender's daemon: no PULL until the sender's
 * library announces it again (rndv_reannounced), at most pull_park_us. */
static void pull_park(struct mxw_proto *pr, struct mxw_pull *pl, uint64_t now)
{
	for (unsigned i = 0; i < pr->p.pull_blocks; i++)
		if (pl->blk[i].active)
			blk_retire(pr, &pl->blk[i]);
	pl->next_start = pl->next_frame_index = pl->done_bytes = 0;
	pl->magic = pr->pull_magic = pr->pull_magic * 1103515245u + 12345u; /* late replies */
	pl->parked = true;
	pl->parked_until = now + pr->p.pull_park_us;
	mxw_tq_cancel(&pr->tq, &pl->timer);
	mxw_timer_earlier(pr, &pl->timer, pl->parked_until);
	pr->st.pulls_parked++;
}

static void pull_release(struct mxw_proto *pr, struct mxw_pull *pl)
{
	for (unsigned i = 0; i < pr->p.pull_blocks; i++)
		if (pl->blk[i].active)
			blk_retire(pr, &pl->blk[i]);
	TAILQ_REMOVE(&pr->active_pulls, pl, link);
	mxw_tq_cancel(&pr->tq, &pl->timer);
	pl->used = false;
	if (!pl->done_wait)     /* a waiting one owes nothing any more */
		mxw_peer_paid(pr, pl->peer);
}

static void tx_notify(struct mxw_proto *pr, const struct mxw_pull *pl)
{
	struct mxw_partner *pt = mxw_partner_find(pr, pl->to.index, pl->peer, pl->rep);
	struct mxw_send *s;

	if (!pt || !pt->send_ready || pl->no_notify)
		return;
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->kind = MXW_SK_NOTIFY;
	s->length = pl->total;
	s->rdma_id = (uint8_t)pl->rdma_id;
	s->rdma_seqnum = pl->rdma_seqnum;
	(void)mxw_queue_send(pr, pt, s);
}

/*
 * Every byte landed but the receiver could not take the completion: the
 * pull stays (no block, no PULL) until it can, asked again on the room
 * signal or a resend period later.  Its peer owes us nothing now.
 */
static void pull_done_wait(struct mxw_proto *pr, struct mxw_pull *pl)
{
	if (!pl->done_wait) {
		pl->done_wait = true;
		mxw_peer_paid(pr, pl->peer);
		pr->st.pull_done_waits++;
	}
	mxw_tq_cancel(&pr->tq, &pl->timer);
	mxw_timer_earlier(pr, &pl->timer, mxw_now(pr) + pr->p.resend_us);
}

/*
 * The NOTIFY releases the sender's buffer, so it leaves only once the
 * receiver has the completion where it outlives this daemon: a daemon
 * killed in between would otherwise leave a receive its library waits
 * for (it pulls again from the rendezvous announced again, which never
 * comes: the sender completed) until its re-attach window ends, and then
 * fails it although every byte had arrived.
 */
static void pull_finish(struct mxw_proto *pr, struct mxw_pull *pl, uint8_t status)
{
	uint32_t xfer = status == MXN_ST_OK ? pl->total : 0;
	int err = 0;

	if (pr->cb.pull_done)
		err = pr->cb.pull_done(pr->cb.ctx, pl->to, pl->pull_handle, status, xfer);
	if (status == MXN_ST_OK && (err == -EAGAIN || err == -EBUSY)) {
		pull_done_wait(pr, pl);
		return;
	}
	if (status == MXN_ST_OK)
		tx_notify(pr, pl);
	pull_release(pr, pl);
	pulls_refill(pr);
}

/* A pull whose completion waits: nobody fails it any more (every byte is
 * in place); what changed is only whether a NOTIFY is owed. */
static bool pull_waits_done(struct mxw_pull *pl)
{
	if (pl->done_wait)
		pl->no_notify = true;
	return pl->done_wait;
}

void mxw_large_room(struct mxw_proto *pr, struct mxw_ep ep)
{
	struct mxw_pull *pl, *next;

	for (pl = TAILQ_FIRST(&pr->active_pulls); pl; pl = next) {
		next = TAILQ_NEXT(pl, link);
		if (pl->done_wait && pl->to.index == ep.index && pl->to.session == ep.session)
			pull_finish(pr, pl, MXN_ST_OK);
	}
}

static struct mxw_pull *pull_slot(struct mxw_proto *pr)
{
	for (unsigned i = 0; i < MXW_PULLS_MAX; i++)
		if (!pr->pulls[i].used)
			return &pr->pulls[i];
	return NULL;
}

/* Pull (into pl, a free slot) what ri describes from pt's sender into 'to'. */
static void pull_start(struct mxw_proto *pr, struct mxw_pull *pl, struct mxw_ep to,
		       const struct mxw_partner *pt, const struct mxw_rndv_in *ri,
		       uint32_t pull_handle, uint32_t len)
{
	memset(pl, 0, sizeof(*pl));
	pl->timer.kind = MXW_T_PULL;
	pl->used = true;
	pl->magic = pr->pull_magic = pr->pull_magic * 1103515245u + 12345u;
	pl->to = to;
	pl->pull_handle = pull_handle;
	pl->peer = ri->peer;
	pl->rep = ri->rep;
	pl->rsession = pt->rsession;
	pl->rdma_id = ri->rdma_id;
	pl->rdma_seqnum = ri->rdma_seqnum;
	pl->rdma_offset = ri->rdma_offset;
	pl->total = MXW_MIN(len, ri->msg_length);
	pl->mxn_seq = ri->mxn_seq;
	TAILQ_INSERT_TAIL(&pr->active_pulls, pl, link);
	mxw_peer_owes(pr, pl->peer);
	if (ri->stale)
		pull_park(pr, pl, mxw_now(pr));
	else if (pl->rdma_offset >= pr->reply_max)
		pull_finish(pr, pl, MXN_ST_BAD_REQUEST);
	else if (pl->total == 0)
		pull_finish(pr, pl, MXN_ST_OK);
	else
		pull_fill_blocks(pr, pl, mxw_now(pr));
}

int mxw_proto_pull(struct mxw_proto *pr, struct mxw_ep to, uint64_t remote_ref,
		   uint32_t pull_handle, uint32_t len)
{
	uint32_t idx = (uint32_t)remote_ref, gen = (uint32_t)(remote_ref >> 32);
	struct mxw_rndv_in *ri, copy;
	struct mxw_partner *pt;
	struct mxw_pull *pl;

	if (idx >= MXW_RNDV_IN_MAX)
		return -ENOENT;
	ri = &pr->rndv_in[idx];
	if (!ri->used || ri->gen != gen || ri->to.index != to.index || ri->to.session != to.session)
		return -ENOENT;
	pt = mxw_partner_find(pr, to.index, ri->peer, ri->rep);
	if (!pt || !pt->rsession_known)
		return -ENOTCONN;
	pl = pull_slot(pr);
	if (!pl)
		return -ENOBUFS;
	copy = *ri;
	ri->used = false;
	pr->peers[ri->peer].rndv_in--;
	pull_start(pr, pl, to, pt, &copy, pull_handle, len);
	return 0;
}

/*
 * A native Open-MX rendezvous an earlier daemon announced to 'to' (abi.h
 * MXN_CMD_PULL_WIRE, w): pulled again from its start.  Open-MX serves a
 * pull of any window its endpoint still has registered, checking only the
 * endpoint's session (omx_pull.c), and keeps a rendezvous's window until
 * its NOTIFY, which it matches by window id and seqnum (libopen-mx
 * omx_large.c): so the pull and the NOTIFY are those the old daemon would
 * have made.  Only along a connection 'to' has with that sender now (its
 * key was right, the handshake told its session), and only to a native
 * node: a myrixen sender announces again (rndv_reannounced).
 */
int mxw_proto_pull_wire(struct mxw_proto *pr, struct mxw_ep to, uint64_t nic_id, uint8_t rep,
			uint32_t rsession, const struct mxw_wire_rndv *w, uint32_t pull_handle,
			uint32_t len)
{
	struct mxw_rndv_in ri = { .to = to, .rep = rep, .msg_length = w->msg_length,
				  .rdma_id = w->rdma_id, .rdma_seqnum = w->rdma_seqnum,
				  .rdma_offset = w->rdma_offset };
	struct mxw_partner *pt;
	struct mxw_pull *pl;
	int peer = mxw_proto_peer_by_nic(pr, nic_id);

	if (peer < 0)
		return -ENOTCONN;
	pt = mxw_partner_find(pr, to.index, (uint16_t)peer, rep);
	if (!pt || pt->lsession != to.session || !pt->rsession_known || !pt->send_ready ||
	    pt->rsession != rsession)
		return -ENOTCONN;   /* not connected again yet, or never */
	if (pt->mxn_seq)
		return -EPERM;
	if (w->rdma_offset >= pr->reply_max)
		return -EINVAL;
	pl = pull_slot(pr);
	if (!pl)
		return -ENOBUFS;
	ri.peer = (uint16_t)peer;
	pr->st.native_repulls++;
	pr->peers[peer].st.native_repulls++;
	pull_start(pr, pl, to, pt, &ri, pull_handle, len);
	return 0;
}

static struct mxw_pull *pull_lookup(struct mxw_proto *pr, uint32_t handle, uint32_t magic, int peer)
{
	struct mxw_pull *pl;

	if (handle >= MXW_PULLS_MAX)
		return NULL;
	pl = &pr->pulls[handle];
	if (!pl->used || pl->magic != magic || pl->peer != peer)
		return NULL;
	return pl;
}

/*
 * The receiver's memory did not take a write in time (pull_write -EAGAIN:
 * the core's copies of a client's memory are bounded, copy_bounded.h, and a
 * loaded host can miss the bound with nothing wrong).  What did not land is
 * dropped as if lost and asked for again later, backing off while the
 * memory stays slow: the pull goes on, as it does for a sender whose memory
 * stalls; ending it failed made a good receive fail (Rejected).
 */
static void blk_write_stalled(struct mxw_proto *pr, struct mxw_pull *pl, struct mxw_pull_blk *b)
{
	b->write_stalls++;
	b->resends = b->write_stalls;
	b->last_tx = mxw_now(pr);
	pr->st.pull_write_stalls++;
	mxw_timer_earlier(pr, &pl->timer, blk_due(pr, b));
}

void mxw_rx_pull_reply(struct mxw_proto *pr, int peer, const struct mxw_frame *f)
{
	struct mxw_pull *pl;
	struct mxw_pull_blk *b = NULL;
	uint32_t j = 0, off = 0, len = 0;
	int err = 0;

	pl = pull_lookup(pr, f->u.pull_reply.dst_pull_handle, f->u.pull_reply.dst_magic, peer);
	if (!pl) {
		pr->st.drops++;     /* late reply of a finished pull */
		return;
	}
	/* frame seqnums are 8 bits: blocks 8 apart share them, so the block
	 * is the one whose seqnum range and message offset both fit */
	for (unsigned i = 0; i < pr->p.pull_blocks && !b; i++) {
		struct mxw_pull_blk *c = &pl->blk[i];

		j = (uint8_t)(f->u.pull_reply.frame_seqnum - (uint8_t)c->frame_index);
		if (!c->active || j >= c->nframes)
			continue;
		off = blk_frame_off(pr, c, j);
		len = blk_frame_len(pr, c, j);
		if (f->u.pull_reply.msg_offset == off && f->payload_len == len)
			b = c;
	}
	if (!b) {
		/* a late duplicate of a finished block, or impossible geometry */
		if ((uint64_t)f->u.pull_reply.msg_offset + f->payload_len > pl->total)
			mxw_bad_frame(pr, peer);
		else
			pr->st.dups++;
		return;
	}
	if (b->bits[0] & (1ull << j)) {
		pr->st.dups++;
		return;
	}
	/* staged: the whole block goes to the receiver's memory in one call */
	if (b->stage)
		memcpy(b->stage + (off - b->start), f->payload, len);
	else
		err = pr->cb.pull_write(pr->cb.ctx, pl->to, pl->pull_handle, off, f->payload, len);
	if (err == -EAGAIN) {
		blk_write_stalled(pr, pl, b);
		return;
	}
	b->bits[0] |= 1ull << j;
	b->resends = 0;     /* progress: the next stall starts from the short timeout */
	if (!err && ++b->got == b->nframes && b->stage)
		err = pr->cb.pull_write(pr->cb.ctx, pl->to, pl->pull_handle, b->start, b->stage,
					b->block_length);
	if (err == -EAGAIN) {
		b->bits[0] = 0;     /* the staged block is asked for again, whole */
		b->got = 0;
		blk_write_stalled(pr, pl, b);
		return;
	}
	if (err) {
		pull_finish(pr, pl, err == -EFAULT ? MXN_ST_BAD_REQUEST : MXN_ST_CLOSED);
		return;
	}
	if (b->got < b->nframes)
		return;
	blk_retire(pr, b);
	pl->done_bytes += b->block_length;
	if (pl->done_bytes == pl->total) {
		pull_finish(pr, pl, MXN_ST_OK);
		return;
	}
	pulls_refill(pr);
}

void mxw_rx_nack_mcp(struct mxw_proto *pr, int peer, const struct mxw_frame *f)
{
	struct mxw_pull *pl;
	uint8_t status;

	pr->st.nacks_rx++;
	pr->peers[peer].st.nacks_rx++;
	pl = pull_lookup(pr, f->u.nack_mcp.src_pull_handle, f->u.nack_mcp.src_magic, peer);
	if (!pl || pl->done_wait)
		return;     /* nothing to fail: every byte is in place */
	status = f->u.nack_mcp.nack_type == MXW_NACK_BAD_RDMAWIN ? MXN_ST_BAD_REQUEST :
		 mxw_nack_status(f->u.nack_mcp.nack_type);
	pull_finish(pr, pl, status);
}

/* ---- cleanup and timers ---- */

void mxw_large_endpoint_closed(struct mxw_proto *pr, struct mxw_ep ep)
{
	struct mxw_pull *pl, *next;

	for (unsigned id = 0; pr->rdma[ep.index] && id < MXW_RDMA_IDS; id++)
		if (pr->rdma[ep.index][id].used)
			pr->peers[pr->rdma[ep.index][id].peer].rndv_waiting--;
	free(pr->rdma[ep.index]);
	pr->rdma[ep.index] = NULL;
	for (unsigned i = 0; i < MXW_RNDV_IN_MAX; i++)
		if (pr->rndv_in[i].used && pr->rndv_in[i].to.index == ep.index) {
			pr->rndv_in[i].used = false;
			pr->peers[pr->rndv_in[i].peer].rndv_in--;
		}
	for (pl = TAILQ_FIRST(&pr->active_pulls); pl; pl = next) {
		next = TAILQ_NEXT(pl, link);
		if (pl->to.index == ep.index)
			pull_release(pr, pl);
	}
	pulls_refill(pr);
}

void mxw_large_partner_failed(struct mxw_proto *pr, struct mxw_partner *pt, uint8_t status)
{
	struct mxw_rdma_slot *slots = pr->rdma[pt->lep];
	struct mxw_pull *pl, *next;

	/* announced sends waiting for a NOTIFY that cannot come any more */
	for (unsigned id = 0; slots && id < MXW_RDMA_IDS; id++)
		if (slots[id].used && slots[id].peer == pt->peer && slots[id].rep == pt->rep)
			rdma_finish(pr, pt->lep, id, status, 0);
	for (pl = TAILQ_FIRST(&pr->active_pulls); pl; pl = next) {
		next = TAILQ_NEXT(pl, link);
		if (pl->to.index == pt->lep && pl->peer == pt->peer && pl->rep == pt->rep &&
		    !pull_waits_done(pl))
			pull_finish(pr, pl, status);
	}
}


void mxw_large_partner_reborn(struct mxw_proto *pr, struct mxw_partner *pt)
{
	uint64_t now = mxw_now(pr);
	struct mxw_pull *pl;

	pt->reborn_until = now + pr->p.pull_park_us;
	reannounce(pr, pt);
	/* a pull whose completion waits owes the dead window no NOTIFY: its
	 * library releases the rendezvous announced again (a pull of nothing) */
	TAILQ_FOREACH(pl, &pr->active_pulls, link)
		if (pl->mxn_seq && !pl->parked && same_partner(pt, pl->to, pl->peer, pl->rep) &&
		    !pull_waits_done(pl))
			pull_park(pr, pl, now);
	for (unsigned i = 0; i < MXW_RNDV_IN_MAX; i++) {
		struct mxw_rndv_in *ri = &pr->rndv_in[i];

		if (ri->used && ri->mxn_seq && same_partner(pt, ri->to, ri->peer, ri->rep))
			ri->stale = true;
	}
	pulls_refill(pr);
}

/*
 * A stalled block is asked for again, for as long as it takes: a pull
 * never gives up by itself.  Only the peer's silence ends it (liveness
 * probes, mxw_liveness_progress -> mxw_peer_failed), since a peer that
 * keeps answering will serve the block once the path clears.
 */
void mxw_large_peer_failed(struct mxw_proto *pr, uint16_t peer, uint8_t status)
{
	struct mxw_pull *pl, *next;

	/* what no partner holds any more (its endpoint was reopened) still
	 * ends: the peer is gone, and it would be probed forever otherwise */
	for (unsigned lep = 0; lep < 256; lep++)
		for (unsigned id = 0; pr->rdma[lep] && id < MXW_RDMA_IDS; id++)
			if (pr->rdma[lep][id].used && pr->rdma[lep][id].peer == peer)
				rdma_finish(pr, (uint8_t)lep, id, status, 0);
	for (pl = TAILQ_FIRST(&pr->active_pulls); pl; pl = next) {
		next = TAILQ_NEXT(pl, link);
		if (pl->peer == peer && !pull_waits_done(pl))
			pull_finish(pr, pl, status);
	}
}

uint64_t mxw_pull_progress(struct mxw_proto *pr, struct mxw_pull *pl, uint64_t now)
{
	uint64_t deadline = MXW_NO_DEADLINE;

	if (pl->used && pl->done_wait) {
		pull_finish(pr, pl, MXN_ST_OK);     /* re-arms while it still waits */
		return pl->used ? mxw_now(pr) + pr->p.resend_us : MXW_NO_DEADLINE;
	}
	if (pl->used && pl->parked) {
		if (now < pl->parked_until)
			return pl->parked_until;
		pr->st.timeouts++;  /* its sender's library never came back */
		pull_finish(pr, pl, MXN_ST_CLOSED);
		return MXW_NO_DEADLINE;
	}

	for (unsigned i = 0; pl->used && i < pr->p.pull_blocks; i++) {
		struct mxw_pull_blk *b = &pl->blk[i];

		if (!b->active)
			continue;
		if (blk_due(pr, b) <= now) {
			b->resends++;
			pr->st.pull_resends++;
			pr->peers[pl->peer].st.resends++;
			tx_pull(pr, pl, b, now);
		}
		deadline = MXW_MIN(deadline, blk_due(pr, b));
	}
	return deadline;
}
