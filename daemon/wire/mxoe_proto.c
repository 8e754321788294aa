/* SPDX-License-Identifier: MIT */
/*
 * MXoE engine: partners, sequence numbers, acks, resends, connect, NACKs,
 * medium reassembly and the receive dispatch.  Large messages live in
 * mxoe_large.c, the peer table and lookups in mxoe_peers.c.
 *
 * Ordering model (as Open-MX): a receiver accepts only the next expected
 * sequence number of a partner; an early frame is dropped (the sender
 * resends it), a late one is a duplicate that triggers an immediate ack.
 * So delivery is in order and exactly once without a reorder buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <myrixen/abi.h>
#include "mxoe_int.h"

void mxw_proto_params_default(struct mxw_proto_params *p)
{
	memset(p, 0, sizeof(*p));
	p->mtu = 1500;
	p->resend_us = 20000;
	p->resends_max = 250;
	p->ack_delay_us = 2000;
	p->ack_every = 8;
	p->window = 128;
	p->window_bytes = 512u << 10;
	p->pull_blocks = 4;
	p->pull_blocks_total = 16;
	p->pull_resend_us = 50000;
	p->pull_backoff_max = 3;
	p->query_resend_us = 100000;
	p->query_resends_max = 20;
	p->keepalive_us = 1000000;
	p->keepalive_probes = 5;
	p->peer_timeout_us = MXW_PEER_TIMEOUT_MS_DEFAULT * 1000u;
	p->evict_idle_us = 2000000;
	p->reasm_timeout_us = 1000000;
	p->pull_park_us = 65000000;
}

uint64_t mxw_now(struct mxw_proto *pr)
{
	return pr->cb.now_us(pr->cb.ctx);
}

uint32_t mxw_proto_frag_max(const struct mxw_proto *pr)
{
	return pr->frag_max;
}

void mxw_proto_get_counters(const struct mxw_proto *pr, struct mxw_counters *out)
{
	*out = pr->st;
}

void mxw_bad_frame(struct mxw_proto *pr, int peer)
{
	pr->st.bad_frames++;
	if (peer > 0)
		pr->peers[peer].st.bad_frames++;
}

uint8_t mxw_nack_status(uint8_t nack_type)
{
	switch (nack_type) {
	case MXW_NACK_BAD_ENDPT: return MXN_ST_BAD_ENDPOINT;
	case MXW_NACK_ENDPT_CLOSED: return MXN_ST_CLOSED;
	case MXW_NACK_BAD_SESSION: return MXN_ST_BAD_SESSION;
	default: return MXN_ST_BAD_REQUEST;
	}
}

int mxw_proto_new(const struct mxw_proto_params *p, const struct mxw_proto_cb *cb,
		  struct mxw_proto **out)
{
	struct mxw_proto *pr;
	int err = -EINVAL;

	*out = NULL;
	if (!cb->now_us || !cb->tx || !cb->ep_info || !cb->deliver)
		return -EINVAL;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	pr->p = *p;
	pr->cb = *cb;
	pr->incarnation = p->incarnation;
	if (!pr->incarnation) {
		uint64_t t = cb->now_us(cb->ctx) * 0x9e3779b97f4a7c15ull;

		pr->incarnation = (uint32_t)(t >> 32) ^ (uint32_t)t;
	}
	pr->incarnation |= 1u;  /* never 0 */
	pr->next_cseq = (uint8_t)pr->incarnation;
	TAILQ_INIT(&pr->ack_list);
	TAILQ_INIT(&pr->resend_list);
	TAILQ_INIT(&pr->connects);
	TAILQ_INIT(&pr->active_pulls);
	TAILQ_INIT(&pr->lookups);
	TAILQ_INIT(&pr->lru);
	TAILQ_INIT(&pr->reasm);
	TAILQ_INIT(&pr->held);
	for (unsigned i = 0; i < MXW_PARTNER_BUCKETS; i++)
		LIST_INIT(&pr->buckets[i]);
	if (pr->p.window == 0 || pr->p.window > 4096)
		pr->p.window = 512;
	if (pr->p.pull_blocks == 0 || pr->p.pull_blocks > MXW_PULL_BLOCKS_MAX)
		pr->p.pull_blocks = MXW_PULL_BLOCKS_MAX;
	pr->frag_max = mxw_medium_frag_max(p->mtu);
	pr->reply_max = mxw_pull_reply_max(p->mtu);
	/* below ~256 bytes of room a medium would need more than 256 frags */
	if (pr->frag_max < 512 || p->mtu > MXW_TXBUF)
		goto out;
	pr->nic_id = mxw_mac_to_u64(p->mac);
	err = mxw_tq_init(&pr->tq, MXW_TIMERS_MAX);
	if (err)
		goto out;
	pr->t_ack.kind = MXW_T_ACK;
	pr->t_resend.kind = MXW_T_RESEND;
	pr->t_connect.kind = MXW_T_CONNECT;
	pr->t_lookup.kind = MXW_T_LOOKUP;
	pr->t_reasm.kind = MXW_T_REASM;
	pr->t_held.kind = MXW_T_HELD;
	pr->t_announce.kind = MXW_T_ANNOUNCE;
	/* peer 0 is this host */
	pr->peers[0].used = true;
	memcpy(pr->peers[0].mac, p->mac, 6);
	pr->peers[0].nic_id = pr->nic_id;
	pr->peers[0].named = p->hostname[0] != '\0';
	pr->peers[0].name_fixed = true;
	memcpy(pr->peers[0].hostname, p->hostname, sizeof(pr->peers[0].hostname));
	mxw_board_name_set(pr, p->hostname);
	pr->peers[0].reverse_index = MXW_PEER_INDEX_UNKNOWN;
	pr->peers[0].configured = true;
	LIST_INIT(&pr->peers[0].partners);
	pr->npeers = 1;
	pr->peers_used = 1;
	err = mxw_large_init(pr);
	if (err)
		goto out;
	mxw_announce_arm(pr);
	*out = pr;
	return 0;
out:
	mxw_proto_free(pr);
	return err;
}

static void send_free(struct mxw_send *s)
{
	free(s->data);
	free(s);
}

/*
 * The resend and ack lists are FIFOs in deadline order: their timer is the
 * head's due.  Taking the head off moves it (later) or cancels it, so an
 * acked message never wakes the loop for nothing.
 */
static void resend_unlink(struct mxw_proto *pr, struct mxw_send *s)
{
	bool head = s == TAILQ_FIRST(&pr->resend_list);
	struct mxw_send *next;

	TAILQ_REMOVE(&pr->resend_list, s, rlink);
	s->on_resend_list = false;
	if (!head)
		return;
	next = TAILQ_FIRST(&pr->resend_list);
	if (!next)
		mxw_tq_cancel(&pr->tq, &pr->t_resend);
	else if (mxw_tq_armed(&pr->t_resend))
		(void)mxw_tq_set(&pr->tq, &pr->t_resend, next->last_tx + pr->p.resend_us);
}

static void ack_unlink(struct mxw_proto *pr, struct mxw_partner *pt)
{
	bool head = pt == TAILQ_FIRST(&pr->ack_list);
	struct mxw_partner *next;

	TAILQ_REMOVE(&pr->ack_list, pt, alink);
	pt->ack_pending = false;
	if (!head)
		return;
	next = TAILQ_FIRST(&pr->ack_list);
	if (!next)
		mxw_tq_cancel(&pr->tq, &pr->t_ack);
	else if (mxw_tq_armed(&pr->t_ack))
		(void)mxw_tq_set(&pr->tq, &pr->t_ack, next->ack_since + pr->p.ack_delay_us);
}

void mxw_partner_free(struct mxw_proto *pr, struct mxw_partner *pt)
{
	struct mxw_send *s;

	while ((s = TAILQ_FIRST(&pt->unacked))) {
		TAILQ_REMOVE(&pt->unacked, s, plink);
		if (s->on_resend_list)
			resend_unlink(pr, s);
		mxw_peer_paid(pr, pt->peer);
		send_free(s);
	}
	while ((s = TAILQ_FIRST(&pt->throttled))) {
		TAILQ_REMOVE(&pt->throttled, s, plink);
		send_free(s);
	}
	if (pt->ack_pending)
		ack_unlink(pr, pt);
	LIST_REMOVE(pt, hlink);
	mxw_reasm_put(pr, pt);
	mxw_held_free(pr, pt, false);
	mxw_partner_unlinked(pr, pt);
	free(pt);
}

void mxw_proto_free(struct mxw_proto *pr)
{
	struct mxw_conn_req *cr;

	if (!pr)
		return;
	for (unsigned i = 0; i < MXW_PARTNER_BUCKETS; i++)
		while (!LIST_EMPTY(&pr->buckets[i]))
			mxw_partner_free(pr, LIST_FIRST(&pr->buckets[i]));
	while ((cr = TAILQ_FIRST(&pr->connects))) {
		TAILQ_REMOVE(&pr->connects, cr, link);
		free(cr);
	}
	mxw_large_free(pr);
	mxw_lookups_free(pr);
	mxw_tq_free(&pr->tq);
	free(pr);
}

/* ---- transmit ---- */

void mxw_head_for(struct mxw_proto *pr, struct mxw_frame *f, uint16_t peer)
{
	memcpy(f->dst_mac, pr->peers[peer].mac, 6);
	memcpy(f->src_mac, pr->p.mac, 6);
	f->peer_index = pr->peers[peer].reverse_index;
}

/* Encode f straight into the transmitter's buffer when it lends one. */
static int tx_encoded(struct mxw_proto *pr, const struct mxw_frame *f, int *len)
{
	size_t cap = 0;
	uint8_t *buf = pr->cb.tx_buf && pr->cb.tx_commit ? pr->cb.tx_buf(pr->cb.ctx, &cap) : NULL;

	if (buf && cap >= MXW_TXBUF) {
		*len = mxw_encode_frame(buf, MXW_TXBUF, f);
		return *len < 0 ? *len : pr->cb.tx_commit(pr->cb.ctx, (size_t)*len);
	}
	*len = mxw_encode_frame(pr->txbuf, sizeof(pr->txbuf), f);
	return *len < 0 ? *len : pr->cb.tx(pr->cb.ctx, pr->txbuf, (size_t)*len);
}

int mxw_tx_frame(struct mxw_proto *pr, const struct mxw_frame *f, uint16_t peer)
{
	int len, err;

	err = tx_encoded(pr, f, &len);
	if (err) {
		pr->st.tx_errors++;
		return err;
	}
	pr->st.tx_frames++;
	pr->st.tx_bytes += (uint64_t)len;
	if (peer > 0 && peer < MXW_PEERS_MAX) {
		pr->peers[peer].st.tx_frames++;
		pr->peers[peer].st.tx_bytes += (uint64_t)len;
	}
	return 0;
}

/* ---- partners ---- */

static unsigned partner_hash(uint8_t lep, uint16_t peer, uint8_t rep)
{
	return ((unsigned)lep * 131u + (unsigned)peer * 31u + rep) % MXW_PARTNER_BUCKETS;
}

struct mxw_partner *mxw_partner_find(struct mxw_proto *pr, uint8_t lep, uint16_t peer, uint8_t rep)
{
	struct mxw_partner *pt;

	LIST_FOREACH(pt, &pr->buckets[partner_hash(lep, peer, rep)], hlink)
		if (pt->lep == lep && pt->peer == peer && pt->rep == rep)
			return pt;
	return NULL;
}

static struct mxw_partner *partner_get(struct mxw_proto *pr, struct mxw_ep ep, uint16_t peer,
				       uint8_t rep)
{
	struct mxw_partner *pt = mxw_partner_find(pr, ep.index, peer, rep);

	if (pt)
		return pt;
	if (mxw_partner_room(pr, peer))
		return NULL;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return NULL;
	pt->lep = ep.index;
	pt->lsession = ep.session;
	pt->peer = peer;
	pt->rep = rep;
	TAILQ_INIT(&pt->unacked);
	TAILQ_INIT(&pt->throttled);
	TAILQ_INIT(&pt->held);
	LIST_INSERT_HEAD(&pr->buckets[partner_hash(ep.index, peer, rep)], pt, hlink);
	mxw_partner_linked(pr, pt);
	return pt;
}

static void ack_mark(struct mxw_proto *pr, struct mxw_partner *pt, uint64_t now)
{
	pt->recv_unacked++;
	if (!pt->ack_pending) {
		pt->ack_pending = true;
		pt->ack_since = now;
		TAILQ_INSERT_TAIL(&pr->ack_list, pt, alink);
		mxw_timer_earlier(pr, &pr->t_ack, now + pr->p.ack_delay_us);
	}
}

static void ack_clear(struct mxw_proto *pr, struct mxw_partner *pt)
{
	if (pt->ack_pending)
		ack_unlink(pr, pt);
	pt->recv_unacked = 0;
}

void mxw_send_ack(struct mxw_proto *pr, struct mxw_partner *pt)
{
	struct mxw_frame f;

	memset(&f, 0, sizeof(f));
	f.type = MXW_PKT_TRUC;
	mxw_head_for(pr, &f, pt->peer);
	f.u.truc.dst_ep = pt->rep;
	f.u.truc.src_ep = pt->lep;
	f.u.truc.session = pt->rsession;
	f.u.truc.data_type = MXW_TRUC_TYPE_ACK;
	f.u.truc.ack_before = mxw_ack_point(pt);
	f.u.truc.session_id = pt->rsession;
	f.u.truc.acknum = ++pt->last_send_acknum;
	/* what we took, held messages included (Open-MX ignores this field
	 * and sets it to its ack): the sender holds back its resends of what
	 * lies between (rx_truc) */
	f.u.truc.send_seq = pt->next_recv;
	if (mxw_tx_frame(pr, &f, pt->peer) == 0) {
		pr->st.acks_tx++;
		ack_clear(pr, pt);
	}
}

/* ---- sending messages ---- */

static int tx_send(struct mxw_proto *pr, struct mxw_send *s)
{
	struct mxw_partner *pt = s->pt;
	struct mxw_msg_fields m = {
		.dst_ep = pt->rep, .src_ep = pt->lep, .length = s->length,
		.seqnum = s->seqnum, .piggyack = mxw_ack_point(pt), .session = pt->rsession,
		.match_info = s->match, .mxn_seq = pt->mxn_seq ? s->mxn_seq : 0,
	};
	struct mxw_frame f;
	int err = 0;

	memset(&f, 0, sizeof(f));
	mxw_head_for(pr, &f, pt->peer);
	switch (s->kind) {
	case MXW_SK_TINY:
	case MXW_SK_SMALL:
		f.type = s->kind == MXW_SK_TINY ? MXW_PKT_TINY : MXW_PKT_SMALL;
		f.u.msg = m;
		f.payload = s->data;
		f.payload_len = s->length;
		err = mxw_tx_frame(pr, &f, pt->peer);
		break;
	case MXW_SK_MEDIUM: {
		uint32_t nfrags = (s->length + pr->frag_max - 1) / pr->frag_max;

		f.type = MXW_PKT_MEDIUM;
		f.u.medium.msg = m;
		for (uint32_t i = 0; i < nfrags; i++) {
			uint32_t off = i * pr->frag_max;

			f.u.medium.frag_seqnum = (uint8_t)i;
			f.payload = s->data + off;
			f.payload_len = MXW_MIN(pr->frag_max, s->length - off);
			err = mxw_tx_frame(pr, &f, pt->peer);
			if (err)
				break;
		}
		break;
	}
	case MXW_SK_RNDV:
		f.type = MXW_PKT_RNDV;
		f.u.rndv.msg = m;
		f.u.rndv.msg_length = s->length;
		f.u.rndv.rdma_id = s->rdma_id;
		f.u.rndv.rdma_seqnum = s->rdma_seqnum;
		f.u.rndv.rdma_offset = 0;
		err = mxw_tx_frame(pr, &f, pt->peer);
		break;
	case MXW_SK_NOTIFY:
		f.type = MXW_PKT_NOTIFY;
		f.u.notify.dst_ep = pt->rep;
		f.u.notify.src_ep = pt->lep;
		f.u.notify.session = pt->rsession;
		f.u.notify.total_length = s->length;
		f.u.notify.rdma_id = s->rdma_id;
		f.u.notify.rdma_seqnum = s->rdma_seqnum;
		f.u.notify.seqnum = s->seqnum;
		f.u.notify.piggyack = mxw_ack_point(pt);
		err = mxw_tx_frame(pr, &f, pt->peer);
		break;
	}
	/* the frame carried our ack: no explicit one needed */
	if (!err)
		ack_clear(pr, pt);
	return err;
}

static void resend_list_touch(struct mxw_proto *pr, struct mxw_send *s, uint64_t now)
{
	if (s->on_resend_list)
		resend_unlink(pr, s);
	s->last_tx = now;
	s->on_resend_list = true;
	TAILQ_INSERT_TAIL(&pr->resend_list, s, rlink);
	mxw_timer_earlier(pr, &pr->t_resend, now + pr->p.resend_us);
}

/* What a message puts in flight: rendezvous data goes by pulls instead. */
static uint32_t payload_bytes(const struct mxw_send *s)
{
	return s->kind == MXW_SK_RNDV || s->kind == MXW_SK_NOTIFY ? 0 : s->length;
}

/* Room in pt's window for s: a count, and bytes (a lone message always fits). */
static bool window_room(const struct mxw_proto *pr, const struct mxw_partner *pt,
			const struct mxw_send *s)
{
	return pt->inflight < pr->p.window &&
	       (!pr->p.window_bytes || !pt->inflight_bytes ||
		pt->inflight_bytes + (uint64_t)payload_bytes(s) <= pr->p.window_bytes);
}

static void launch(struct mxw_proto *pr, struct mxw_partner *pt, struct mxw_send *s)
{
	s->seqnum = pt->next_send;
	pt->next_send = mxw_seq_add(pt->next_send, 1);
	mxw_native_told(pr, s); /* before the frame leaves */
	pt->inflight++;
	pt->inflight_bytes += payload_bytes(s);
	mxw_peer_owes(pr, pt->peer);
	TAILQ_INSERT_TAIL(&pt->unacked, s, plink);
	resend_list_touch(pr, s, mxw_now(pr));
	/* a failed transmit is retried by the resend timer */
	(void)tx_send(pr, s);
}

static void launch_throttled(struct mxw_proto *pr, struct mxw_partner *pt)
{
	struct mxw_send *s;

	while (pt->send_ready && (s = TAILQ_FIRST(&pt->throttled)) && window_room(pr, pt, s)) {
		TAILQ_REMOVE(&pt->throttled, s, plink);
		launch(pr, pt, s);
	}
}

int mxw_queue_send(struct mxw_proto *pr, struct mxw_partner *pt, struct mxw_send *s)
{
	s->pt = pt;
	mxw_partner_touch(pr, pt);
	if (!pt->send_ready || !window_room(pr, pt, s) || !TAILQ_EMPTY(&pt->throttled))
		TAILQ_INSERT_TAIL(&pt->throttled, s, plink);
	else
		launch(pr, pt, s);
	return 0;
}

/* Complete a send (acked, nacked or failed) and free it. */
static void send_complete(struct mxw_proto *pr, struct mxw_send *s, uint8_t status)
{
	struct mxw_partner *pt = s->pt;
	struct mxw_ep ep = { .index = pt->lep, .session = pt->lsession };

	switch (s->kind) {
	case MXW_SK_RNDV:
		/* success waits for NOTIFY; a failure ends the send now */
		if (status != MXN_ST_OK)
			mxw_rndv_send_failed(pr, s, status);
		else
			mxw_rndv_announced(pr, s);
		break;
	case MXW_SK_NOTIFY:
		break;
	default:
		if (pr->cb.send_done)
			pr->cb.send_done(pr->cb.ctx, ep, s->cookie, status,
					 status == MXN_ST_OK ? s->length : 0, s->quiet);
		break;
	}
	send_free(s);
}

static void unlink_unacked(struct mxw_proto *pr, struct mxw_send *s)
{
	TAILQ_REMOVE(&s->pt->unacked, s, plink);
	if (s->on_resend_list)
		resend_unlink(pr, s);
	s->pt->inflight--;
	s->pt->inflight_bytes -= payload_bytes(s);
	mxw_peer_paid(pr, s->pt->peer);
}

/* Everything before 'ack_before' arrived. */
static void handle_ack(struct mxw_proto *pr, struct mxw_partner *pt, uint16_t ack_before)
{
	uint16_t missing = mxw_seq_diff(pt->next_send, pt->next_acked);
	uint16_t fresh = mxw_seq_diff(ack_before, pt->next_acked);
	struct mxw_send *s;

	if (!pt->send_ready || ((ack_before ^ pt->next_send) & MXW_SESNUM_MASK))
		return;
	if (fresh == 0 || fresh > missing)
		return;
	while ((s = TAILQ_FIRST(&pt->unacked)) && mxw_seq_diff(s->seqnum, pt->next_acked) < fresh) {
		unlink_unacked(pr, s);
		send_complete(pr, s, MXN_ST_OK);
	}
	pt->next_acked = ack_before;
	/* the partner is moving: the resend counts (shown in the partner
	 * failure note) start again */
	TAILQ_FOREACH(s, &pt->unacked, plink)
		s->resends = 0;
	launch_throttled(pr, pt);
}

/* A partner stopped answering or vanished: fail all it holds.  The partner
 * needs a new handshake before it carries messages again. */
void mxw_partner_fail(struct mxw_proto *pr, struct mxw_partner *pt, uint8_t status)
{
	struct mxw_send *s = TAILQ_FIRST(&pt->unacked);

	if (pr->cb.note) {
		char line[200];

		snprintf(line, sizeof(line), "partner ep %u -> peer %u ep %u failed (status %u): "
			 "next_send %04x acked %04x next_recv %04x inflight %u oldest %s seq %04x "
			 "resends %u", pt->lep, pt->peer, pt->rep, status, pt->next_send,
			 pt->next_acked, pt->next_recv, pt->inflight,
			 s ? (s->kind == MXW_SK_NOTIFY ? "notify" : s->kind == MXW_SK_RNDV ? "rndv" :
			      "msg") : "none", s ? s->seqnum : 0, s ? s->resends : 0);
		pr->cb.note(pr->cb.ctx, line);
	}

	while ((s = TAILQ_FIRST(&pt->unacked))) {
		unlink_unacked(pr, s);
		send_complete(pr, s, status);
	}
	while ((s = TAILQ_FIRST(&pt->throttled))) {
		TAILQ_REMOVE(&pt->throttled, s, plink);
		send_complete(pr, s, status);
	}
	mxw_large_partner_failed(pr, pt, status);
	pt->send_ready = false;
	pt->next_acked = pt->next_send;
}

int mxw_proto_send(struct mxw_proto *pr, struct mxw_ep from, uint16_t peer, uint8_t endpoint,
		   uint32_t session, uint64_t match_info, const void *data, uint32_t len,
		   uint64_t cookie, bool quiet)
{
	struct mxw_partner *pt;
	struct mxw_send *s;

	int err;

	if (len > MXW_MEDIUM_MAX || len > pr->frag_max * 256u)
		return -EMSGSIZE;
	if (len && !data)
		return -EINVAL;
	pt = mxw_partner_for_send(pr, from, peer, endpoint, session, &err);
	if (!pt)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->kind = len <= MXW_TINY_MAX ? MXW_SK_TINY : len <= MXW_SMALL_MAX ? MXW_SK_SMALL :
		  MXW_SK_MEDIUM;
	s->cookie = cookie;
	s->quiet = quiet;
	s->mxn_seq = (uint16_t)(cookie >> MXN_SEQ_SHIFT);
	s->match = match_info;
	s->length = len;
	if (len) {
		s->data = malloc(len);
		if (!s->data) {
			free(s);
			return -ENOMEM;
		}
		memcpy(s->data, data, len);
	}
	return mxw_queue_send(pr, pt, s);
}

struct mxw_partner *mxw_partner_for_send(struct mxw_proto *pr, struct mxw_ep from, uint16_t peer,
					 uint8_t endpoint, uint32_t session, int *err)
{
	struct mxw_partner *pt;

	*err = -EINVAL;
	if (peer == 0 || peer >= MXW_PEERS_MAX || !pr->peers[peer].used)
		return NULL;
	pt = mxw_partner_find(pr, from.index, peer, endpoint);
	*err = -ENOTCONN;
	if (!pt || pt->lsession != from.session || !pt->rsession_known)
		return NULL;
	*err = -ESTALE;
	if (pt->rsession != session)
		return NULL;
	*err = -EHOSTUNREACH;
	if (pt->moved)
		return NULL; /* MXN_ST_MOVED: the library sends it where it went */
	*err = -ETIMEDOUT;
	if (!pt->send_ready)
		return NULL;
	*err = 0;
	return pt;
}

/* ---- connect ---- */

static void tx_connect_request(struct mxw_proto *pr, struct mxw_conn_req *cr)
{
	struct mxw_partner *pt = mxw_partner_find(pr, cr->from.index, cr->peer, cr->rep);
	struct mxw_frame f;

	memset(&f, 0, sizeof(f));
	f.type = MXW_PKT_CONNECT;
	mxw_head_for(pr, &f, cr->peer);
	f.u.connect.dst_ep = cr->rep;
	f.u.connect.src_ep = cr->from.index;
	f.u.connect.src_dst_peer_index = cr->peer;
	f.u.connect.src_session = cr->from.session;
	f.u.connect.app_key = cr->key;
	f.u.connect.target_recv_seqnum_start = pt ? pt->next_recv : 0;
	f.u.connect.connect_seqnum = cr->cseq;
	f.u.connect.mxn_seq = true;
	f.u.connect.incarnation = pr->incarnation;
	f.u.connect.moved_from = cr->moved_from;
	f.u.connect.moved_proof = cr->proof;
	cr->last_tx = mxw_now(pr);
	mxw_timer_earlier(pr, &pr->t_connect, cr->last_tx + pr->p.resend_us);
	(void)mxw_tx_frame(pr, &f, cr->peer);
}

/* A connect request of ours; moved_from/proof: struct mxw_connect_moved
 * (0: none). */
static int connect_start(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie, uint16_t peer,
			 uint8_t endpoint, uint32_t key, uint32_t timeout_ms, bool internal,
			 uint64_t moved_from, uint32_t proof)
{
	struct mxw_conn_req *cr = calloc(1, sizeof(*cr));

	if (!cr)
		return -ENOMEM;
	cr->from = from;
	cr->cookie = cookie;
	cr->internal = internal;
	cr->peer = peer;
	cr->rep = endpoint;
	cr->key = key;
	cr->cseq = pr->next_cseq++;
	cr->moved_from = moved_from;
	cr->proof = proof;
	cr->resends_max = pr->p.resends_max;
	if (timeout_ms && pr->p.resend_us) {
		uint64_t n = (uint64_t)timeout_ms * 1000u / pr->p.resend_us;

		cr->resends_max = n ? (uint32_t)MXW_MIN(n, 1000000u) : 1;
	}
	TAILQ_INSERT_TAIL(&pr->connects, cr, link);
	pr->peers[peer].connecting++;
	tx_connect_request(pr, cr);
	return 0;
}

int mxw_connect_start(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie, uint16_t peer,
		      uint8_t endpoint, uint32_t key, uint32_t timeout_ms, bool internal)
{
	return connect_start(pr, from, cookie, peer, endpoint, key, timeout_ms, internal, 0, 0);
}

int mxw_proto_connect_moved(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie,
			    uint64_t nic_id, uint8_t endpoint, uint32_t key, uint32_t timeout_ms,
			    uint64_t moved_from, uint32_t proof)
{
	struct mxw_partner *pt;
	int peer;

	if (nic_id == 0 || nic_id == pr->nic_id || nic_id >> 48 || moved_from >> 48)
		return -EINVAL;
	peer = mxw_peer_add_dynamic(pr, nic_id);
	if (peer < 0)
		return peer;
	/* the partner exists from now on so both directions share one state */
	pt = partner_get(pr, from, (uint16_t)peer, endpoint);
	if (!pt)
		return -ENOMEM;
	if (pt->lsession != from.session)
		return -ESRCH;
	return connect_start(pr, from, cookie, (uint16_t)peer, endpoint, key, timeout_ms, false,
			     moved_from, proof);
}

int mxw_proto_connect(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie,
		      uint64_t nic_id, uint8_t endpoint, uint32_t key, uint32_t timeout_ms)
{
	return mxw_proto_connect_moved(pr, from, cookie, nic_id, endpoint, key, timeout_ms, 0, 0);
}

static void connect_finish(struct mxw_proto *pr, struct mxw_conn_req *cr, uint8_t status,
			   uint32_t rsession)
{
	TAILQ_REMOVE(&pr->connects, cr, link);
	pr->peers[cr->peer].connecting--;
	if (pr->cb.connect_done && !cr->internal)
		pr->cb.connect_done(pr->cb.ctx, cr->from, cr->cookie, status,
				    pr->peers[cr->peer].nic_id, cr->peer, cr->rep, rsession);
	free(cr);
}

static void nack_lib_frame(struct mxw_frame *f, uint16_t peer, uint8_t lep, uint8_t rep,
			   uint8_t type, uint16_t seqnum)
{
	f->type = MXW_PKT_NACK_LIB;
	f->u.nack_lib.src_ep = lep;
	f->u.nack_lib.dst_ep = rep;
	f->u.nack_lib.nack_type = type;
	f->u.nack_lib.src_dst_peer_index = peer;
	f->u.nack_lib.seqnum = seqnum;
}

static void tx_nack_lib(struct mxw_proto *pr, uint16_t peer, uint8_t lep, uint8_t rep,
			uint8_t type, uint16_t seqnum)
{
	struct mxw_frame f;

	memset(&f, 0, sizeof(f));
	mxw_head_for(pr, &f, peer);
	nack_lib_frame(&f, peer, lep, rep, type, seqnum);
	if (mxw_tx_frame(pr, &f, peer) == 0) {
		pr->st.nacks_tx++;
		pr->peers[peer].st.nacks_tx++;
	}
}

/* A frame for local endpoint lep that we cannot take: refuse it, unless
 * that endpoint is coming back (ep_quiet): then drop it in silence.  peer
 * is -1 for a sender outside the peer table. */
bool mxw_quiet_drop(struct mxw_proto *pr, int peer, uint8_t lep)
{
	if (!pr->cb.ep_quiet || !pr->cb.ep_quiet(pr->cb.ctx, lep))
		return false;
	pr->st.quiet_drops++;
	if (peer >= 0)
		pr->peers[peer].st.quiet_drops++;
	return true;
}

/*
 * A sequenced frame from a MAC outside the peer table that quotes the
 * session of one of our open endpoints: a peer evicted while idle (see
 * mxoe_bounds.c) still talking to us.  It is told its session is over,
 * without taking a table entry; dropping it would have it resend forever.
 */
static void rx_unknown_sender(struct mxw_proto *pr, const struct mxw_frame *f)
{
	bool notify = f->type == MXW_PKT_NOTIFY;
	uint8_t lep = notify ? f->u.notify.dst_ep : f->u.msg.dst_ep;
	uint8_t rep = notify ? f->u.notify.src_ep : f->u.msg.src_ep;
	uint32_t want = notify ? f->u.notify.session : f->u.msg.session, session, key;
	struct mxw_frame n;

	pr->st.drops++;
	if (f->type < MXW_PKT_TINY || f->type > MXW_PKT_NOTIFY || f->type == MXW_PKT_PULL ||
	    f->type == MXW_PKT_PULL_REPLY)
		return;
	if (pr->cb.ep_info(pr->cb.ctx, lep, &session, &key) || session != want)
		return;
	if (mxw_quiet_drop(pr, -1, lep))
		return;     /* a restarted daemon: the peer comes back with a handshake */
	memset(&n, 0, sizeof(n));
	memcpy(n.dst_mac, f->src_mac, 6);
	memcpy(n.src_mac, pr->p.mac, 6);
	n.peer_index = MXW_PEER_INDEX_UNKNOWN;
	nack_lib_frame(&n, MXW_PEER_INDEX_UNKNOWN, lep, rep, MXW_NACK_BAD_SESSION,
		       notify ? f->u.notify.seqnum : f->u.msg.seqnum);
	if (mxw_tx_frame(pr, &n, 0) == 0)
		pr->st.nacks_tx++;
}

/*
 * The remote endpoint of pt now has session 'rsession'.  If that changed,
 * the old conversation is over: fail what was in flight and wait for a new
 * send start.  Only the side answering a request moves its receive side to
 * a new partner-session number (it reports it in the reply); the
 * requester's receive start already travelled in its request.
 */
static void partner_resync(struct mxw_proto *pr, struct mxw_partner *pt, uint32_t rsession,
			   bool new_recv_session)
{
	if (pt->rsession_known && pt->rsession == rsession)
		return;
	if (pt->rsession_known) {
		mxw_partner_fail(pr, pt, MXN_ST_BAD_SESSION);
		mxw_held_free(pr, pt, true);
		if (new_recv_session)
			pt->next_recv = (uint16_t)((pt->next_recv & MXW_SESNUM_MASK) +
						   MXW_SESNUM_ONE);
		mxw_reasm_put(pr, pt);
	}
	pt->rsession = rsession;
	pt->rsession_known = true;
	pt->send_ready = false;
	pt->last_recv_acknum = 0;
}

/*
 * The other side lost its partner state but its endpoint is the same one
 * (same session: its daemon restarted and the endpoint re-attached, or it
 * evicted us while idle), and it numbers its send: every message in flight
 * goes again, first, from the start it gave.  Some may have reached its
 * library before; that library drops those by their send number.
 */
static void partner_requeue(struct mxw_proto *pr, struct mxw_partner *pt, bool reborn)
{
	struct mxw_send *s, *next;

	while ((s = TAILQ_LAST(&pt->unacked, mxw_send_q))) {
		unlink_unacked(pr, s);
		s->resends = 0;
		if (s->kind == MXW_SK_RNDV)
			mxw_rndv_requeued(pr, s);
		TAILQ_INSERT_HEAD(&pt->throttled, s, plink);
		pr->st.requeued++;
		pr->peers[pt->peer].st.requeued++;
	}
	/* A NOTIFY names a window of the old daemon: the new one would drop
	 * it, or take it for a window of its own that happens to have the
	 * same id and seqnum and complete the wrong send.  The sender's
	 * library announces that rendezvous again; its receiver, who has it
	 * all, releases it then (a pull of nothing). */
	for (s = TAILQ_FIRST(&pt->throttled); reborn && s; s = next) {
		next = TAILQ_NEXT(s, plink);
		if (s->kind == MXW_SK_NOTIFY) {
			TAILQ_REMOVE(&pt->throttled, s, plink);
			send_free(s);
		}
	}
	pt->send_ready = false;
}

/*
 * A handshake tells us where the other side expects our next message.  A
 * start outside what we have in flight (next_acked..next_send) means it
 * lost its partner state (evicted while idle, see mxoe_bounds.c, or its
 * daemon restarted): what was in flight fails, or goes again if the other
 * side drops duplicates by send number, and we start where it expects.
 */
static void partner_lost_state(struct mxw_proto *pr, struct mxw_partner *pt, bool reborn)
{
	if (pt->mxn_seq)
		partner_requeue(pr, pt, reborn);
	else
		mxw_partner_fail(pr, pt, MXN_ST_BAD_SESSION);
}

static void partner_send_start(struct mxw_proto *pr, struct mxw_partner *pt, uint16_t start)
{
	if (pt->send_ready &&
	    (((start ^ pt->next_send) & MXW_SESNUM_MASK) ||
	     mxw_seq_diff(start, pt->next_acked) > mxw_seq_diff(pt->next_send, pt->next_acked)))
		partner_lost_state(pr, pt, false);
	if (!pt->send_ready) {
		pt->next_send = pt->next_acked = pt->send_start = start;
		pt->send_ready = true;
		launch_throttled(pr, pt);
	}
}

/*
 * A request from the life of the requester we already talk to: the same
 * incarnation of its daemon (not restarted), the same session (endpoint
 * not reopened), within evict_idle_us of the last request taken (so it
 * cannot have evicted us while idle since).  It holds its partner state:
 * whatever receive start the request carries is no sign of lost state.
 * The wire duplicates and delays frames, so a copy of an old request may
 * come after a later one (a connect retried after a timeout) and after
 * acks: taken as new, its stale start had every send in flight requeued
 * and renumbered from there, numbers the requester had already delivered.
 */
static bool connect_req_same_life(struct mxw_proto *pr, const struct mxw_partner *pt,
				  const struct mxw_frame *f)
{
	return pt->req_seen && pt->req_session == f->u.connect.src_session &&
	       pt->rsession_known && pt->rsession == f->u.connect.src_session &&
	       f->u.connect.incarnation && pt->req_inc == f->u.connect.incarnation &&
	       mxw_now(pr) - pt->req_at < pr->p.evict_idle_us;
}

/* A copy of the very request taken last (any peer, also native Open-MX). */
static bool connect_req_copy(const struct mxw_partner *pt, const struct mxw_frame *f)
{
	return pt->req_seen && pt->req_cseq == f->u.connect.connect_seqnum &&
	       pt->req_session == f->u.connect.src_session && pt->rsession_known &&
	       pt->rsession == f->u.connect.src_session;
}

/* Whether a frame of incarnation 'inc' comes from another life of the
 * other engine than the last one we took a connect frame from (its daemon
 * restarted).  Requests carry 32 bits, replies 24: the low 24 count. */
bool mxw_partner_reborn(const struct mxw_partner *pt, uint32_t inc)
{
	inc &= MXW_INC_REPLY_MASK;
	return inc && pt->life && pt->life != inc;
}

static void partner_life_take(struct mxw_proto *pr, struct mxw_partner *pt, uint32_t inc)
{
	if (inc & MXW_INC_REPLY_MASK) {
		pt->life = inc & MXW_INC_REPLY_MASK;
		pt->life_at = mxw_now(pr);
	}
}

static void connect_req_take(struct mxw_proto *pr, struct mxw_partner *pt,
			     const struct mxw_frame *f)
{
	pt->req_seen = true;
	pt->req_cseq = f->u.connect.connect_seqnum;
	pt->req_session = f->u.connect.src_session;
	pt->req_inc = f->u.connect.incarnation;
	pt->req_at = mxw_now(pr);
	partner_life_take(pr, pt, f->u.connect.incarnation);
}

static void rx_connect_request(struct mxw_proto *pr, int peer, const struct mxw_frame *f)
{
	struct mxw_frame r;
	struct mxw_partner *pt;
	struct mxw_ep ep;
	uint32_t session, key;
	uint8_t ahead;
	bool reborn, copy;
	int err;

	err = pr->cb.ep_info(pr->cb.ctx, f->u.connect.dst_ep, &session, &key);
	/* A mover's connect is refused at once: the endpoint it names may have
	 * moved along with it and be back on its new host (docs/migration.md). */
	if (err && !f->u.connect.moved_from && mxw_quiet_drop(pr, peer, f->u.connect.dst_ep))
		return;     /* the connecter retries until the endpoint is back */
	if (err) {
		tx_nack_lib(pr, (uint16_t)peer, f->u.connect.dst_ep, f->u.connect.src_ep,
			    err == -EINVAL ? MXW_NACK_BAD_ENDPT : MXW_NACK_ENDPT_CLOSED, 0);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.type = MXW_PKT_CONNECT;
	r.u.connect.dst_ep = f->u.connect.src_ep;
	r.u.connect.src_ep = f->u.connect.dst_ep;
	r.u.connect.src_dst_peer_index = (uint16_t)peer;
	r.u.connect.src_session = f->u.connect.src_session;
	r.u.connect.target_session = session;
	r.u.connect.is_reply = 1;
	r.u.connect.connect_seqnum = f->u.connect.connect_seqnum;
	r.u.connect.mxn_seq = true;
	if (f->u.connect.mxn_seq)   /* a native requester sees zeros there */
		r.u.connect.incarnation = pr->incarnation & MXW_INC_REPLY_MASK;
	ep.index = f->u.connect.dst_ep;
	ep.session = session;
	if (key != f->u.connect.app_key && !mxw_moved_key_ok(pr, peer, ep, f)) {
		r.u.connect.status_code = MXW_CONNECT_STATUS_BAD_KEY;
		goto reply;
	}
	pt = partner_get(pr, ep, (uint16_t)peer, f->u.connect.src_ep);
	if (!pt)
		return; /* no memory: the connecter retries */
	if (pt->lsession != session) {
		/* our endpoint was reopened: a stale partner from its last life */
		mxw_partner_free(pr, pt);
		pt = partner_get(pr, ep, (uint16_t)peer, f->u.connect.src_ep);
		if (!pt)
			return;
	}
	reborn = mxw_partner_reborn(pt, f->u.connect.incarnation);
	ahead = (uint8_t)(f->u.connect.connect_seqnum - pt->req_cseq);
	copy = !reborn && connect_req_copy(pt, f);
	if (copy) {
		/* only our reply again */
	} else if (connect_req_same_life(pr, pt, f)) {
		/* a newer one is taken (it opens the window again), an older copy not */
		if (ahead < 128)
			connect_req_take(pr, pt, f);
		if (!pt->send_ready)
			partner_send_start(pr, pt, f->u.connect.target_recv_seqnum_start);
	} else {
		pt->mxn_seq = f->u.connect.mxn_seq;
		partner_resync(pr, pt, f->u.connect.src_session, true);
		if (reborn && pt->send_ready)
			partner_lost_state(pr, pt, true);
		if (reborn && pt->mxn_seq)
			mxw_large_partner_reborn(pr, pt);
		partner_send_start(pr, pt, f->u.connect.target_recv_seqnum_start);
		connect_req_take(pr, pt, f);
	}
	pt->moved = false; /* it is here: a connect from where it went (or came back) */
	if (f->u.connect.moved_from && !copy) /* a copy was judged with the first */
		mxw_follow_moved(pr, peer, ep, f);
	r.u.connect.target_recv_seqnum_start = pt->next_recv;
reply:
	mxw_head_for(pr, &r, (uint16_t)peer);
	(void)mxw_tx_frame(pr, &r, (uint16_t)peer);
}

/*
 * A reply from the life of the replier our send start already came from:
 * the same incarnation of its daemon, the same session, within
 * evict_idle_us of that reply (it cannot have evicted us while idle since).
 * Its receive start is no sign of lost state: the wire reorders, so the
 * reply to an earlier request (two connects in flight, a retried one) may
 * come after acks of later messages; taken as new, its stale start had
 * every send in flight requeued and renumbered from there, numbers the
 * replier had already delivered, so it dropped them as duplicates.
 */
static bool connect_reply_same_life(struct mxw_proto *pr, const struct mxw_partner *pt,
				    const struct mxw_frame *f)
{
	return f->u.connect.incarnation && pt->life == f->u.connect.incarnation &&
	       pt->rsession_known && pt->rsession == f->u.connect.target_session &&
	       mxw_now(pr) - pt->life_at < pr->p.evict_idle_us;
}

static void rx_connect_reply(struct mxw_proto *pr, int peer, const struct mxw_frame *f)
{
	struct mxw_conn_req *cr;
	struct mxw_partner *pt;
	bool reborn;

	TAILQ_FOREACH(cr, &pr->connects, link)
		if (cr->peer == peer && cr->from.index == f->u.connect.dst_ep &&
		    cr->rep == f->u.connect.src_ep && cr->cseq == f->u.connect.connect_seqnum &&
		    cr->from.session == f->u.connect.src_session)
			break;
	if (!cr) {
		pr->st.drops++;     /* a duplicate reply or a stale one */
		return;
	}
	if (f->u.connect.status_code == MXW_CONNECT_STATUS_BAD_KEY) {
		connect_finish(pr, cr, MXN_ST_BAD_KEY, 0);
		return;
	}
	if (f->u.connect.status_code != MXW_CONNECT_STATUS_SUCCESS) {
		connect_finish(pr, cr, MXN_ST_BAD_ENDPOINT, 0);
		return;
	}
	pt = partner_get(pr, cr->from, cr->peer, cr->rep);
	if (!pt)
		return;
	pt->moved = false; /* it answered from where it is */
	if (connect_reply_same_life(pr, pt, f)) {
		if (!pt->send_ready)
			partner_send_start(pr, pt, f->u.connect.target_recv_seqnum_start);
	} else {
		pt->mxn_seq = f->u.connect.mxn_seq;
		partner_resync(pr, pt, f->u.connect.target_session, false);
		reborn = mxw_partner_reborn(pt, f->u.connect.incarnation);
		if (reborn && pt->send_ready)
			partner_lost_state(pr, pt, true);
		if (reborn && pt->mxn_seq)
			mxw_large_partner_reborn(pr, pt);
		partner_send_start(pr, pt, f->u.connect.target_recv_seqnum_start);
		partner_life_take(pr, pt, f->u.connect.incarnation);
	}
	/* the key was right: we may connect again if its daemon restarts */
	pt->key = cr->key;
	pt->key_known = true;
	connect_finish(pr, cr, MXN_ST_OK, f->u.connect.target_session);
}

/* ---- receiving messages ---- */

static void deliver_src(struct mxw_proto *pr, const struct mxw_partner *pt, struct mxw_delivery *d)
{
	d->to.index = pt->lep;
	d->to.session = pt->lsession;
	d->src.peer = pt->peer;
	d->src.endpoint = pt->rep;
	d->src.session = pt->rsession;
	d->src.nic_id = pr->peers[pt->peer].nic_id;
}

/* Returns 0 when the message was consumed (seqnum advances). */
static int rx_deliver_msg(struct mxw_proto *pr, struct mxw_partner *pt, uint8_t kind,
			  uint64_t match, const void *data, uint32_t len, uint16_t mxn_seq,
			  uint16_t wire_seq)
{
	struct mxw_delivery d;

	memset(&d, 0, sizeof(d));
	d.kind = kind;
	deliver_src(pr, pt, &d);
	mxw_native_src(pt, &d.src, mxn_seq, wire_seq);
	d.match_info = match;
	d.data = data;
	d.length = len;
	return pr->cb.deliver(pr->cb.ctx, &d);
}

/*
 * A peer whose mediums come in fragments of another size has another MTU:
 * its mediums are understood, but pulls count frames in units of the reply
 * size, so large messages with it will stall.  Said once per peer.
 */
static void note_geometry(struct mxw_proto *pr, int peer, uint32_t frag_size, uint32_t len)
{
	char line[200];

	if (frag_size >= len || frag_size == pr->frag_max || pr->peers[peer].geometry_noted)
		return;
	pr->peers[peer].geometry_noted = true;
	if (!pr->cb.note)
		return;
	snprintf(line, sizeof(line), "peer %d sends medium fragments of %u bytes, ours are %u: "
		 "its MTU differs (wire_mtu), large messages with it cannot be pulled", peer,
		 frag_size, pr->frag_max);
	pr->cb.note(pr->cb.ctx, line);
}

/* Medium fragment of the expected seqnum: 1 complete (the message is in
 * pt->med_buf), 0 more to come, <0 dropped.  The fragment goes where the sender's
 * geometry puts it (mxw_medium_frag_offset), whatever our own MTU. */
static int rx_medium_frag(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f,
			  int peer)
{
	uint32_t len = f->u.medium.msg.length, idx = f->u.medium.frag_seqnum;
	uint32_t frag_size;
	int64_t off;

	if (len > MXW_MEDIUM_MAX) {
		mxw_bad_frame(pr, peer);
		return -EBADMSG;
	}
	if (pt->med_active && (pt->med_seq != f->u.medium.msg.seqnum || pt->med_len != len ||
			       pt->med_match != f->u.medium.msg.match_info))
		mxw_reasm_put(pr, pt);
	frag_size = pt->med_active ? pt->med_frag : 0;
	off = mxw_medium_frag_offset(len, (uint8_t)idx, f->payload_len, &frag_size);
	if (off == -EAGAIN)
		return -EAGAIN;     /* not placeable before fragment 0: comes again */
	if (off < 0) {
		mxw_bad_frame(pr, peer);
		return -EBADMSG;
	}
	if (!pt->med_active) {
		int err2 = mxw_reasm_get(pr, pt, len);

		if (err2)
			return err2;    /* over budget: the sender resends */
		pt->med_active = true;
		pt->med_seq = f->u.medium.msg.seqnum;
		pt->med_len = len;
		pt->med_got = 0;
		pt->med_match = f->u.medium.msg.match_info;
		memset(pt->med_bits, 0, sizeof(pt->med_bits));
	}
	pt->med_frag = frag_size;
	note_geometry(pr, peer, frag_size, len);
	if (pt->med_bits[idx / 64] & (1ull << (idx % 64))) {
		pr->st.dups++;
		return 0;
	}
	pt->med_bits[idx / 64] |= 1ull << (idx % 64);
	memcpy(pt->med_buf + off, f->payload, f->payload_len);
	mxw_reasm_touch(pr, pt);
	pt->med_got += f->payload_len;
	return pt->med_got < len ? 0 : 1;
}

/* Common checks of a sequenced frame; returns the partner or NULL. */
static struct mxw_partner *rx_seq_partner(struct mxw_proto *pr, int peer, uint8_t lep, uint8_t rep,
					  uint32_t session, uint16_t seqnum, uint16_t piggyack)
{
	struct mxw_partner *pt;
	uint32_t my_session, key;
	int err;

	err = pr->cb.ep_info(pr->cb.ctx, lep, &my_session, &key);
	if (err && mxw_quiet_drop(pr, peer, lep))
		return NULL;
	if (err) {
		tx_nack_lib(pr, (uint16_t)peer, lep, rep,
			    err == -EINVAL ? MXW_NACK_BAD_ENDPT : MXW_NACK_ENDPT_CLOSED, seqnum);
		return NULL;
	}
	if (session != my_session) {
		tx_nack_lib(pr, (uint16_t)peer, lep, rep, MXW_NACK_BAD_SESSION, seqnum);
		return NULL;
	}
	pt = mxw_partner_find(pr, lep, (uint16_t)peer, rep);
	if (!pt && mxw_quiet_drop(pr, peer, lep))
		return NULL;    /* our endpoint is reconnecting: it comes with a handshake */
	if (!pt) {
		/* it knows our session but we hold no partner: evicted while
		 * idle (or never connected).  A NACK ends its conversation;
		 * dropping would have it resend forever to a live peer. */
		pr->st.drops++;
		tx_nack_lib(pr, (uint16_t)peer, lep, rep, MXW_NACK_BAD_SESSION, seqnum);
		return NULL;
	}
	if (pt->lsession != my_session || !pt->rsession_known) {
		/* no handshake seen from this sender: nothing to order against */
		pr->st.drops++;
		return NULL;
	}
	mxw_partner_touch(pr, pt);
	handle_ack(pr, pt, piggyack);
	return pt;
}

/* Where seqnum stands against the expected one: 0 expected, 1 early, -1 dup. */
static int seq_position(const struct mxw_partner *pt, uint16_t seqnum)
{
	uint16_t d;

	if ((seqnum ^ pt->next_recv) & MXW_SESNUM_MASK)
		return 2;           /* another partner session: stale */
	d = mxw_seq_diff(seqnum, pt->next_recv);
	if (d == 0)
		return 0;
	return d < (MXW_SEQNUM_MASK + 1) / 2 ? 1 : -1;
}

int mxw_rx_take(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f,
		const uint8_t *data)
{
	int ret = 0;

	switch (f->type) {
	case MXW_PKT_TINY:
		return rx_deliver_msg(pr, pt, MXW_DELIVER_TINY, f->u.msg.match_info, data,
				      f->u.msg.length, f->u.msg.mxn_seq, f->u.msg.seqnum);
	case MXW_PKT_SMALL:
		return rx_deliver_msg(pr, pt, MXW_DELIVER_QUEUED, f->u.msg.match_info, data,
				      f->u.msg.length, f->u.msg.mxn_seq, f->u.msg.seqnum);
	case MXW_PKT_MEDIUM:
		/* every fragment carries the number: f may be any of them */
		return rx_deliver_msg(pr, pt, MXW_DELIVER_QUEUED, f->u.medium.msg.match_info, data,
				      f->u.medium.msg.length, f->u.medium.msg.mxn_seq,
				      f->u.medium.msg.seqnum);
	case MXW_PKT_RNDV:
		mxw_rx_rndv(pr, pt, f, &ret);
		return ret;
	case MXW_PKT_NOTIFY:
		mxw_rx_notify(pr, pt, f);
		return 0;
	}
	return -EINVAL;
}

/* A medium that fits in its first fragment. */
static bool medium_whole(const struct mxw_frame *f)
{
	return f->u.medium.frag_seqnum == 0 && f->u.medium.msg.length &&
	       f->payload_len == f->u.medium.msg.length &&
	       f->u.medium.msg.length <= MXW_MEDIUM_MAX;
}

/*
 * The expected message of pt: deliver it, or hold it when its endpoint has
 * no room (or when earlier ones wait: order).  1 when nothing more is to
 * be done now (a medium's fragment, or held: next_recv moved, unacked),
 * else what mxw_rx_take says.
 */
static int rx_taken(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f,
		    int peer)
{
	const uint8_t *data = f->payload;
	int ret;

	if (f->type == MXW_PKT_MEDIUM && medium_whole(f)) {
		/* one frame: delivered from the ring, no reassembly copy */
		mxw_reasm_put(pr, pt);
	} else if (f->type == MXW_PKT_MEDIUM) {
		ret = rx_medium_frag(pr, pt, f, peer);
		if (ret <= 0)
			return ret ? ret : 1;
		data = pt->med_buf;
	}
	ret = pt->nheld ? -EAGAIN : mxw_rx_take(pr, pt, f, data);
	if (ret == -EAGAIN && mxw_held_add(pr, pt, f, data) == 0) {
		pt->next_recv = mxw_seq_add(pt->next_recv, 1);
		return 1;
	}
	/* delivered, refused, or not held: a medium is resent whole */
	if (f->type == MXW_PKT_MEDIUM)
		mxw_reasm_put(pr, pt);
	return ret;
}

static void rx_sequenced(struct mxw_proto *pr, int peer, const struct mxw_frame *f)
{
	const struct mxw_msg_fields *m = &f->u.msg;  /* shared prefix of msg kinds */
	struct mxw_partner *pt;
	uint8_t lep, rep;
	uint16_t seq, piggy;
	uint32_t session;
	uint64_t now = mxw_now(pr);
	int pos, ret = 0;

	if (f->type == MXW_PKT_NOTIFY) {
		lep = f->u.notify.dst_ep;
		rep = f->u.notify.src_ep;
		session = f->u.notify.session;
		seq = f->u.notify.seqnum;
		piggy = f->u.notify.piggyack;
	} else {
		lep = m->dst_ep;
		rep = m->src_ep;
		session = m->session;
		seq = m->seqnum;
		piggy = m->piggyack;
	}
	pt = rx_seq_partner(pr, peer, lep, rep, session, seq, piggy);
	if (!pt || mxw_native_learn(pr, pt, seq))
		return;
	/* room may have come without a signal reaching us */
	if (pt->nheld)
		mxw_held_release(pr, pt);
	pos = seq_position(pt, seq);
	if (pos == -1) {
		pr->st.dups++;
		pr->peers[peer].st.dups++;
		/* the sender missed our ack: resend it right away (unless we
		 * hold that message undelivered: its ack waits for room) */
		if (mxw_seq_diff(pt->next_recv, seq) > pt->nheld) {
			mxw_native_dup(pt);
			mxw_send_ack(pr, pt);
		}
		return;
	}
	if (pos != 0) {
		pr->st.drops++;
		pr->peers[peer].st.drops++;
		return;
	}
	pt->recv_taken = true;
	ret = rx_taken(pr, pt, f, peer);
	if (ret == 1)
		return;             /* more fragments to come, or held */
	if (ret == -ESRCH) {
		tx_nack_lib(pr, (uint16_t)peer, lep, rep, MXW_NACK_ENDPT_CLOSED, seq);
		return;
	}
	if (ret == -EINVAL) {
		/* the local side cannot ever take it (e.g. above its medium
		 * limit): consume and count it rather than let it retry */
		pr->st.drops++;
		pr->peers[peer].st.drops++;
	} else if (ret) {
		pr->st.drops++;
		pr->peers[peer].st.drops++;
		return;
	}
	pt->next_recv = mxw_seq_add(pt->next_recv, 1);
	ack_mark(pr, pt, now);
	if (pt->recv_unacked >= pr->p.ack_every)
		mxw_send_ack(pr, pt);
}

/*
 * The receiver took our messages before 'taken' but holds them until its
 * application makes room (mxoe_held.c): they are not lost, so their resend
 * timers start again now.  It says so every resend_us / 4 while it holds
 * them, so a slow application costs no resend at all.  (Open-MX puts its
 * ack there: nothing is held back.)
 */
static void held_noticed(struct mxw_proto *pr, struct mxw_partner *pt, uint16_t taken)
{
	uint16_t held = mxw_seq_diff(taken, pt->next_acked);
	uint64_t now;
	struct mxw_send *s;

	if (!pt->send_ready || ((taken ^ pt->next_send) & MXW_SESNUM_MASK) || held == 0 ||
	    held > mxw_seq_diff(pt->next_send, pt->next_acked))
		return;
	now = mxw_now(pr);
	TAILQ_FOREACH(s, &pt->unacked, plink) {
		if (mxw_seq_diff(s->seqnum, pt->next_acked) >= held)
			break;
		if (s->on_resend_list)
			resend_list_touch(pr, s, now);
	}
}

static void rx_truc(struct mxw_proto *pr, int peer, const struct mxw_frame *f)
{
	struct mxw_partner *pt;

	if (f->u.truc.data_type != MXW_TRUC_TYPE_ACK) {
		mxw_bad_frame(pr, peer);
		return;
	}
	pt = mxw_partner_find(pr, f->u.truc.dst_ep, (uint16_t)peer, f->u.truc.src_ep);
	if (!pt || pt->lsession != f->u.truc.session) {
		pr->st.drops++;
		return;
	}
	pr->st.acks_rx++;
	if (f->u.truc.acknum <= pt->last_recv_acknum)
		return;             /* older than one already applied */
	pt->last_recv_acknum = f->u.truc.acknum;
	handle_ack(pr, pt, f->u.truc.ack_before);
	held_noticed(pr, pt, f->u.truc.send_seq);
}

static void rx_nack_lib(struct mxw_proto *pr, int peer, const struct mxw_frame *f)
{
	uint8_t status = mxw_nack_status(f->u.nack_lib.nack_type);
	struct mxw_partner *pt;
	struct mxw_conn_req *cr;
	struct mxw_send *s;

	pr->st.nacks_rx++;
	pr->peers[peer].st.nacks_rx++;
	pt = mxw_partner_find(pr, f->u.nack_lib.dst_ep, (uint16_t)peer, f->u.nack_lib.src_ep);
	if (pt && pt->send_ready && !((f->u.nack_lib.seqnum ^ pt->next_send) & MXW_SESNUM_MASK)) {
		TAILQ_FOREACH(s, &pt->unacked, plink)
			if (s->seqnum == f->u.nack_lib.seqnum)
				break;
		if (s) {
			/* the conversation cannot go on past a refused message */
			mxw_partner_fail(pr, pt, status);
			return;
		}
	}
	/* MX nacks a connect with seqnum 0: the oldest matching request */
	TAILQ_FOREACH(cr, &pr->connects, link)
		if (cr->peer == peer && cr->from.index == f->u.nack_lib.dst_ep &&
		    cr->rep == f->u.nack_lib.src_ep)
			break;
	if (cr)
		connect_finish(pr, cr, status == MXN_ST_CLOSED ? MXN_ST_BAD_ENDPOINT : status, 0);
}

void mxw_proto_rx(struct mxw_proto *pr, const uint8_t *frame, size_t len)
{
	struct mxw_frame f;
	int peer;

	if (mxw_decode(frame, len, &f) < 0) {
		mxw_bad_frame(pr, -1);
		return;
	}
	pr->st.rx_frames++;
	pr->st.rx_bytes += len;
	if (f.type == MXW_PKT_HOST_QUERY) {
		mxw_rx_host_query(pr, &f);
		return;
	}
	if (f.type == MXW_PKT_HOST_REPLY) {
		mxw_rx_host_reply(pr, &f);
		return;
	}
	if (memcmp(f.dst_mac, pr->p.mac, 6) != 0) {
		pr->st.drops++;     /* not for us (a bridge flooding) */
		return;
	}
	peer = mxw_peer_by_mac(pr, f.src_mac);
	if (peer < 0 && f.type == MXW_PKT_CONNECT && !f.u.connect.is_reply)
		peer = mxw_peer_add_dynamic(pr, mxw_mac_to_u64(f.src_mac));
	if (peer == -ENOENT) {
		rx_unknown_sender(pr, &f);
		return;
	}
	if (peer <= 0) {
		pr->st.drops++;     /* refused (table full), or our own MAC */
		return;
	}
	pr->peers[peer].st.rx_frames++;
	pr->peers[peer].st.rx_bytes += len;
	mxw_peer_heard(pr, peer);

	switch (f.type) {
	case MXW_PKT_CONNECT:
		if (f.u.connect.src_dst_peer_index != MXW_PEER_INDEX_UNKNOWN)
			pr->peers[peer].reverse_index = f.u.connect.src_dst_peer_index;
		if (f.u.connect.is_reply)
			rx_connect_reply(pr, peer, &f);
		else
			rx_connect_request(pr, peer, &f);
		break;
	case MXW_PKT_TINY:
	case MXW_PKT_SMALL:
	case MXW_PKT_MEDIUM:
	case MXW_PKT_RNDV:
	case MXW_PKT_NOTIFY:
		rx_sequenced(pr, peer, &f);
		break;
	case MXW_PKT_TRUC: rx_truc(pr, peer, &f); break;
	case MXW_PKT_NACK_LIB: rx_nack_lib(pr, peer, &f); break;
	case MXW_PKT_PULL: mxw_rx_pull(pr, peer, &f); break;
	case MXW_PKT_PULL_REPLY: mxw_rx_pull_reply(pr, peer, &f); break;
	case MXW_PKT_NACK_MCP: mxw_rx_nack_mcp(pr, peer, &f); break;
	default: mxw_bad_frame(pr, peer); break;
	}
}

/* ---- endpoint close ---- */

void mxw_proto_endpoint_closed(struct mxw_proto *pr, struct mxw_ep ep)
{
	struct mxw_conn_req *cr, *crn;

	for (unsigned i = 0; i < MXW_PARTNER_BUCKETS; i++) {
		struct mxw_partner *pt = LIST_FIRST(&pr->buckets[i]), *next;

		for (; pt; pt = next) {
			next = LIST_NEXT(pt, hlink);
			if (pt->lep != ep.index)
				continue;
			/* what reached the endpoint was delivered: say so before
			 * forgetting, or the sender would see it refused */
			if (pt->ack_pending)
				mxw_send_ack(pr, pt);
			mxw_partner_free(pr, pt);
		}
	}
	for (cr = TAILQ_FIRST(&pr->connects); cr; cr = crn) {
		crn = TAILQ_NEXT(cr, link);
		if (cr->from.index == ep.index) {
			TAILQ_REMOVE(&pr->connects, cr, link);
			pr->peers[cr->peer].connecting--;
			free(cr);
		}
	}
	mxw_large_endpoint_closed(pr, ep);
}

void mxw_peer_failed(struct mxw_proto *pr, uint16_t peer, uint8_t status)
{
	struct mxw_partner *pt;

	LIST_FOREACH(pt, &pr->peers[peer].partners, peer_link)
		mxw_partner_fail(pr, pt, status);
	mxw_large_peer_failed(pr, peer, status);
}

/* ---- timers ---- */

/*
 * Unacked messages go out again every resend_us, for as long as it takes:
 * a peer that keeps sending frames (acks of others, pull replies, probe
 * answers) is alive and will take them once the path or its receiver
 * clears.  Giving up is the liveness probes' call (peer silence), never a
 * count of retries, which a loaded host can burn through in seconds.
 * A peer that left a probe unanswered (silent for keepalive_us) gets each
 * message once per keepalive_us only, as the probes: a daemon killed and
 * started again may take peer_timeout_us, and a window of mediums every
 * resend_us all that time would flood the link for nothing
 * (`resends_held`).  Its answer (any frame) makes the next round go out,
 * within resend_us.  Not none at all: a peer that ignores our probes (an
 * Open-MX node we are not listed on) still gets what it lost.
 */
static uint64_t resend_progress(struct mxw_proto *pr, uint64_t now)
{
	struct mxw_send *s;

	while ((s = TAILQ_FIRST(&pr->resend_list)) && s->last_tx + pr->p.resend_us <= now) {
		struct mxw_partner *pt = s->pt;

		resend_list_touch(pr, s, now);
		if (pr->peers[pt->peer].probes &&
		    (uint64_t)++s->held_rounds * pr->p.resend_us < pr->p.keepalive_us) {
			pr->st.resends_held++;
			pr->peers[pt->peer].st.resends_held++;
			continue;
		}
		s->held_rounds = 0;
		s->resends++;
		pr->st.resends++;
		pr->peers[pt->peer].st.resends++;
		(void)tx_send(pr, s);
	}
	return s ? s->last_tx + pr->p.resend_us : MXW_NO_DEADLINE;
}

static uint64_t connect_progress(struct mxw_proto *pr, uint64_t now)
{
	struct mxw_conn_req *cr, *next;
	uint64_t deadline = MXW_NO_DEADLINE;

	for (cr = TAILQ_FIRST(&pr->connects); cr; cr = next) {
		next = TAILQ_NEXT(cr, link);
		if (cr->last_tx + pr->p.resend_us <= now) {
			if (cr->resends >= cr->resends_max) {
				pr->st.timeouts++;
				connect_finish(pr, cr, MXN_ST_TIMEOUT, 0);
				continue;
			}
			cr->resends++;
			pr->st.resends++;
			tx_connect_request(pr, cr);
		}
		deadline = MXW_MIN(deadline, cr->last_tx + pr->p.resend_us);
	}
	return deadline;
}

static uint64_t ack_progress(struct mxw_proto *pr, uint64_t now)
{
	struct mxw_partner *pt;

	while ((pt = TAILQ_FIRST(&pr->ack_list)) && pt->ack_since + pr->p.ack_delay_us <= now) {
		mxw_send_ack(pr, pt);
		if (pt->ack_pending) {
			/* transmit failed: try again next round, not now */
			ack_unlink(pr, pt);
			pt->ack_pending = true;
			pt->ack_since = now;
			TAILQ_INSERT_TAIL(&pr->ack_list, pt, alink);
			break;
		}
	}
	pt = TAILQ_FIRST(&pr->ack_list);
	return pt ? pt->ack_since + pr->p.ack_delay_us : MXW_NO_DEADLINE;
}

void mxw_timer_earlier(struct mxw_proto *pr, struct mxw_timer *t, uint64_t due)
{
	/* the heap holds every peer, pull and list timer: it cannot be full */
	(void)mxw_tq_set_earlier(&pr->tq, t, due);
}

static uint64_t timer_fire(struct mxw_proto *pr, struct mxw_timer *t, uint64_t now)
{
	switch (t->kind) {
	case MXW_T_ACK: return ack_progress(pr, now);
	case MXW_T_RESEND: return resend_progress(pr, now);
	case MXW_T_CONNECT: return connect_progress(pr, now);
	case MXW_T_LOOKUP: return mxw_lookup_progress(pr, now);
	case MXW_T_REASM: return mxw_reasm_progress(pr, now);
	case MXW_T_HELD: return mxw_held_progress(pr, now);
	case MXW_T_ANNOUNCE: return mxw_announce_progress(pr, now);
	case MXW_T_PEER:
		return mxw_liveness_progress(pr, (uint16_t)((struct mxw_peer *)(void *)t - pr->peers),
					     now);
	case MXW_T_PULL:
		return mxw_pull_progress(pr, (struct mxw_pull *)(void *)t, now);
	}
	return MXW_NO_DEADLINE;
}

/*
 * Only what is due runs: each timer popped runs its owner (a list, a
 * peer, a pull), which returns its own next deadline, and is re-armed
 * there.  A frame that changes no deadline costs one look at the heap top.
 */
uint64_t mxw_proto_progress(struct mxw_proto *pr)
{
	uint64_t now = mxw_now(pr), d;
	struct mxw_timer *t;

	while ((t = mxw_tq_pop_due(&pr->tq, now))) {
		d = timer_fire(pr, t, now);
		if (d != MXW_NO_DEADLINE)
			mxw_timer_earlier(pr, t, d);
	}
	return mxw_tq_next(&pr->tq);
}
