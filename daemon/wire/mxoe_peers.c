/* SPDX-License-Identifier: MIT */
/*
 * The peer table (index -> MAC, hostname) and host discovery.  Index 0 is
 * this host.  Peers come from the configuration, from connects we make,
 * from connect requests we receive, and from HOST_REPLY answers to our own
 * queries (never from an unsolicited reply, so a hostile sender cannot fill
 * the table with names).  A lookup by name that the table cannot answer
 * broadcasts a HOST_QUERY; one by nic id asks that MAC directly.
 *
 * Names follow MX's "hostname:board" (myrixen/board_name.h): "omxnode"
 * and "omxnode:0" are one board.  We answer as "ourhost:0" with the NUL
 * counted, as Open-MX does.  A configured name is never replaced by what
 * a reply says (Open-MX calls itself "omxnode:0" where the file may say
 * "omxnode").  Native Open-MX answers only queries sent to its own MAC by
 * a host in its peer table, so a mixed cluster lists peers on both sides
 * (docs/interop.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <myrixen/abi.h>
#include <myrixen/board_name.h>
#include "mxoe_int.h"

static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

int mxw_peer_by_mac(const struct mxw_proto *pr, const uint8_t mac[6])
{
	for (uint32_t i = 0; i < pr->npeers; i++)
		if (pr->peers[i].used && memcmp(pr->peers[i].mac, mac, 6) == 0)
			return (int)i;
	return -ENOENT;
}

int mxw_proto_peer_by_nic(const struct mxw_proto *pr, uint64_t nic_id)
{
	for (uint32_t i = 0; i < pr->npeers; i++)
		if (pr->peers[i].used && pr->peers[i].nic_id == nic_id)
			return (int)i;
	return -ENOENT;
}

static bool name_ok(const char *name, size_t len)
{
	if (len == 0 || len > MXW_HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] >= 0x7f)
			return false;
	return true;
}

static void peer_set_name(struct mxw_peer *p, const char *name, size_t len)
{
	memcpy(p->hostname, name, len);
	p->hostname[len] = '\0';
	p->named = true;
}

static void peer_init(struct mxw_proto *pr, int idx, uint64_t nic_id)
{
	struct mxw_peer *p = &pr->peers[idx];

	mxw_tq_cancel(&pr->tq, &p->timer);     /* an evicted peer's */
	memset(p, 0, sizeof(*p));
	p->timer.kind = MXW_T_PEER;
	p->used = true;
	p->nic_id = nic_id;
	p->reverse_index = MXW_PEER_INDEX_UNKNOWN;
	LIST_INIT(&p->partners);
	mxw_u64_to_mac(nic_id, p->mac);
	pr->peers_used++;
}

/*
 * The dynamic peer silent longest with nothing in flight, if it has been
 * silent for evict_idle_us; -ENOSPC otherwise.  Only runs when the table
 * is full; 'peer_evict_after' (the oldest silence plus the idle time, a
 * lower bound since silences only get shorter) keeps a flood of new MACs
 * from rescanning the table on every frame.
 */
static int peer_victim(struct mxw_proto *pr, uint64_t now)
{
	uint64_t oldest = UINT64_MAX;
	int victim = -ENOSPC;

	if (now < pr->peer_evict_after)
		return -ENOSPC;
	for (uint32_t i = 1; i < pr->npeers; i++) {
		const struct mxw_peer *p = &pr->peers[i];

		if (!p->used || p->configured || p->last_rx_us >= oldest)
			continue;
		if (!mxw_peer_evictable(pr, (uint16_t)i))
			continue;
		oldest = p->last_rx_us;
		victim = (int)i;
	}
	if (victim > 0 && oldest + pr->p.evict_idle_us <= now)
		return victim;
	/* nothing idle long enough before then (busy peers may become idle
	 * sooner: look again after a tenth of the idle time at the latest) */
	pr->peer_evict_after = victim > 0 ? oldest + pr->p.evict_idle_us :
			       now + pr->p.evict_idle_us / 10;
	return -ENOSPC;
}

static int peer_slot(struct mxw_proto *pr, uint64_t nic_id)
{
	uint64_t now = mxw_now(pr);
	int idx;

	if (pr->npeers < MXW_PEERS_MAX) {
		idx = (int)pr->npeers++;
	} else {
		idx = peer_victim(pr, now);
		if (idx < 0) {
			pr->st.peers_refused++;
			return idx;
		}
		mxw_peer_drop_partners(pr, (uint16_t)idx);
		pr->peers_used--;
		pr->st.peers_evicted++;
	}
	peer_init(pr, idx, nic_id);
	pr->peers[idx].last_rx_us = now;
	return idx;
}

int mxw_peer_add_dynamic(struct mxw_proto *pr, uint64_t nic_id)
{
	int idx = mxw_proto_peer_by_nic(pr, nic_id);

	if (nic_id == 0 || nic_id >> 48)
		return -EINVAL;
	return idx >= 0 ? idx : peer_slot(pr, nic_id);
}

void mxw_board_name_set(struct mxw_proto *pr, const char *hostname)
{
	uint32_t len = (uint32_t)strnlen(hostname, MXW_HOST_REPLY_NAME_MAX), board;

	/* "host" is board 0 of host; say so explicitly, as MX and Open-MX do */
	if (len && mxn_board_split(hostname, len, &board) == len &&
	    len + 2 <= MXW_HOST_REPLY_NAME_MAX)
		snprintf(pr->board_name, sizeof(pr->board_name), "%.*s:0", (int)len, hostname);
	else
		snprintf(pr->board_name, sizeof(pr->board_name), "%.*s", (int)len, hostname);
}

int mxw_proto_peer_add(struct mxw_proto *pr, uint64_t nic_id, const char *name)
{
	int idx;

	if (nic_id == 0 || nic_id >> 48 || (name && !name_ok(name, strlen(name))))
		return -EINVAL;
	idx = mxw_peer_add_dynamic(pr, nic_id);
	if (idx < 0)
		return idx;
	pr->peers[idx].configured = true;
	if (name) {
		peer_set_name(&pr->peers[idx], name, strlen(name));
		pr->peers[idx].name_fixed = true;
	}
	return idx;
}

int mxw_proto_peer_get(const struct mxw_proto *pr, uint16_t peer, struct mxw_peer_info *out)
{
	const struct mxw_peer *p;

	if (peer >= pr->npeers || !pr->peers[peer].used)
		return -ENOENT;
	p = &pr->peers[peer];
	out->nic_id = p->nic_id;
	memcpy(out->hostname, p->hostname, sizeof(out->hostname));
	out->named = p->named;
	out->st = p->st;
	return 0;
}

uint32_t mxw_proto_npeers(const struct mxw_proto *pr)
{
	return pr->npeers;
}

void mxw_proto_get_usage(const struct mxw_proto *pr, struct mxw_usage *out)
{
	out->peers = pr->peers_used - 1;
	out->partners = pr->npartners;
	out->reasm_bytes = pr->reasm_bytes;
}

static int peer_by_name(const struct mxw_proto *pr, const char *name, uint32_t len)
{
	for (uint32_t i = 0; i < pr->npeers; i++)
		if (pr->peers[i].used && pr->peers[i].named &&
		    mxn_board_name_eq(pr->peers[i].hostname, (uint32_t)strlen(pr->peers[i].hostname),
				      name, len))
			return (int)i;
	return -ENOENT;
}

/* 'peer': our index of the host asked (Open-MX stores it as its reverse
 * index of us), 0 for a broadcast. */
static void tx_host_query_as(struct mxw_proto *pr, const uint8_t mac[6], uint16_t peer,
			     bool leaving)
{
	struct mxw_frame f;

	memset(&f, 0, sizeof(f));
	f.type = MXW_PKT_HOST_QUERY;
	memcpy(f.dst_mac, mac, 6);
	memcpy(f.src_mac, pr->p.mac, 6);
	f.peer_index = peer ? pr->peers[peer].reverse_index : MXW_PEER_INDEX_UNKNOWN;
	f.u.host.src_dst_peer_index = peer ? peer : MXW_PEER_INDEX_UNKNOWN;
	f.u.host.magic = MXW_HOST_QUERY_MAGIC;
	f.u.host.incarnation = pr->incarnation;     /* mxoe_life.c */
	f.u.host.leaving = leaving;
	(void)mxw_tx_frame(pr, &f, 0);
}

static void tx_host_query(struct mxw_proto *pr, const uint8_t mac[6], uint16_t peer)
{
	tx_host_query_as(pr, mac, peer, false);
}

void mxw_tx_leaving(struct mxw_proto *pr, uint16_t peer)
{
	tx_host_query_as(pr, pr->peers[peer].mac, peer, true);
}

void mxw_tx_query_all(struct mxw_proto *pr)
{
	tx_host_query(pr, broadcast_mac, 0);
}

static void lookup_send(struct mxw_proto *pr, struct mxw_lookup *lk, uint64_t now)
{
	uint8_t mac[6];
	int peer;

	lk->last_tx = now;
	mxw_timer_earlier(pr, &pr->t_lookup, now + pr->p.query_resend_us);
	if (lk->nic_id) {
		mxw_u64_to_mac(lk->nic_id, mac);
		peer = mxw_proto_peer_by_nic(pr, lk->nic_id);
		tx_host_query(pr, mac, (uint16_t)(peer > 0 ? peer : 0));
	} else {
		tx_host_query(pr, broadcast_mac, 0);
	}
}

static void lookup_finish(struct mxw_proto *pr, struct mxw_lookup *lk, uint8_t status, int peer)
{
	const struct mxw_peer *p = peer >= 0 ? &pr->peers[peer] : NULL;

	TAILQ_REMOVE(&pr->lookups, lk, link);
	if (pr->cb.lookup_done)
		pr->cb.lookup_done(pr->cb.ctx, lk->from, lk->cookie, status, p ? p->nic_id : 0,
				   p ? (uint16_t)peer : 0, p ? p->hostname : NULL,
				   p ? (uint32_t)strlen(p->hostname) : 0);
	free(lk);
}

int mxw_proto_lookup(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie,
		     uint64_t nic_id, const char *name, uint32_t name_len)
{
	struct mxw_lookup *lk;
	int peer;

	if (name_len) {
		if (!name || !name_ok(name, name_len))
			return -EINVAL;
		peer = peer_by_name(pr, name, name_len);
	} else {
		if (nic_id == 0 || nic_id >> 48)
			return -EINVAL;
		peer = mxw_proto_peer_by_nic(pr, nic_id);
		if (peer >= 0 && !pr->peers[peer].named)
			peer = -ENOENT;
	}
	lk = calloc(1, sizeof(*lk));
	if (!lk)
		return -ENOMEM;
	lk->from = from;
	lk->cookie = cookie;
	lk->nic_id = name_len ? 0 : nic_id;
	if (name_len)
		memcpy(lk->name, name, name_len);
	lk->name_len = name_len;
	TAILQ_INSERT_TAIL(&pr->lookups, lk, link);
	if (peer >= 0)
		lookup_finish(pr, lk, MXN_ST_OK, peer);
	else
		lookup_send(pr, lk, mxw_now(pr));
	return 0;
}

static void set_reverse_index(struct mxw_proto *pr, int peer, uint16_t idx)
{
	if (peer > 0 && idx != MXW_PEER_INDEX_UNKNOWN)
		pr->peers[peer].reverse_index = idx;
}

/*
 * Answer a query sent to us (or broadcast by one of ours): our board name
 * with its NUL, our index of the asker (Open-MX keeps it as its reverse
 * index of us), the asker's magic.  An unknown asker is answered too but
 * not added: it may be a new host resolving us by name.
 */
void mxw_rx_host_query(struct mxw_proto *pr, const struct mxw_frame *f)
{
	struct mxw_frame r;
	int peer;

	if (f->u.host.magic != MXW_HOST_QUERY_MAGIC) {
		mxw_bad_frame(pr, -1);
		return;
	}
	if (memcmp(f->src_mac, pr->p.mac, 6) == 0)
		return;             /* our own broadcast looping back */
	if (memcmp(f->dst_mac, pr->p.mac, 6) != 0 && memcmp(f->dst_mac, broadcast_mac, 6) != 0) {
		pr->st.drops++;     /* for another host (a bridge flooding) */
		return;
	}
	peer = mxw_peer_by_mac(pr, f->src_mac);
	if (peer > 0 && f->u.host.leaving) {
		mxw_peer_leaving(pr, (uint16_t)peer, f->u.host.incarnation);
		return;             /* it is going: nobody to answer */
	}
	if (peer > 0) {
		mxw_peer_heard(pr, peer);   /* a peer probing us is alive */
		set_reverse_index(pr, peer, f->u.host.src_dst_peer_index);
		if (f->u.host.incarnation)
			mxw_peer_life(pr, (uint16_t)peer, f->u.host.incarnation);
	}
	memset(&r, 0, sizeof(r));
	r.type = MXW_PKT_HOST_REPLY;
	memcpy(r.dst_mac, f->src_mac, 6);
	memcpy(r.src_mac, pr->p.mac, 6);
	r.peer_index = peer > 0 ? pr->peers[peer].reverse_index : MXW_PEER_INDEX_UNKNOWN;
	r.u.host.src_dst_peer_index = peer > 0 ? (uint16_t)peer : MXW_PEER_INDEX_UNKNOWN;
	r.u.host.magic = f->u.host.magic;
	if (f->u.host.incarnation)  /* a myribackd asks: our life too */
		r.u.host.incarnation = pr->incarnation;
	r.payload = (const uint8_t *)pr->board_name;
	r.payload_len = (uint32_t)strlen(pr->board_name);
	(void)mxw_tx_frame(pr, &r, 0);
}

static bool lookup_wants(const struct mxw_lookup *lk, uint64_t nic, const char *name, uint32_t len)
{
	return lk->nic_id == nic ||
	       (lk->name_len && len && mxn_board_name_eq(lk->name, lk->name_len, name, len));
}

/*
 * A reply from a known peer is a sign of life before anything else, even
 * when its name is unusable: a liveness probe is answered by the reply
 * itself.  The name then fills lookups; it names a peer only when that
 * peer was not configured.
 */
void mxw_rx_host_reply(struct mxw_proto *pr, const struct mxw_frame *f)
{
	uint64_t nic = mxw_mac_to_u64(f->src_mac);
	const char *name = (const char *)f->payload;
	uint32_t len = f->payload_len;
	struct mxw_lookup *lk, *next;
	bool wanted = false;
	int peer;

	if (f->u.host.magic != MXW_HOST_QUERY_MAGIC || memcmp(f->dst_mac, pr->p.mac, 6) != 0 ||
	    nic == pr->nic_id) {
		mxw_bad_frame(pr, -1);
		return;
	}
	peer = mxw_proto_peer_by_nic(pr, nic);
	if (peer > 0) {
		mxw_peer_heard(pr, peer);
		set_reverse_index(pr, peer, f->u.host.src_dst_peer_index);
		if (f->u.host.incarnation)
			mxw_peer_life(pr, (uint16_t)peer, f->u.host.incarnation);
	}
	if (len == 0)
		return;             /* a nameless host: only a sign of life */
	if (!name_ok(name, len)) {
		mxw_bad_frame(pr, peer);
		return;
	}
	TAILQ_FOREACH(lk, &pr->lookups, link)
		wanted |= lookup_wants(lk, nic, name, len);
	if (!wanted && peer < 0) {
		/* a myribackd answering our broadcast (an announce, or a
		 * lookup of another host) is no stray frame */
		if (!f->u.host.incarnation)
			pr->st.drops++;
		return;
	}
	if (peer < 0) {
		peer = mxw_peer_add_dynamic(pr, nic);
		if (peer < 0)
			return;
	}
	if (!pr->peers[peer].name_fixed)
		peer_set_name(&pr->peers[peer], name, len);
	for (lk = TAILQ_FIRST(&pr->lookups); lk; lk = next) {
		next = TAILQ_NEXT(lk, link);
		if (lookup_wants(lk, nic, name, len))
			lookup_finish(pr, lk, MXN_ST_OK, peer);
	}
}

uint64_t mxw_lookup_progress(struct mxw_proto *pr, uint64_t now)
{
	struct mxw_lookup *lk, *next;
	uint64_t deadline = MXW_NO_DEADLINE;

	for (lk = TAILQ_FIRST(&pr->lookups); lk; lk = next) {
		next = TAILQ_NEXT(lk, link);
		if (lk->last_tx + pr->p.query_resend_us <= now) {
			if (lk->resends >= pr->p.query_resends_max) {
				lookup_finish(pr, lk, MXN_ST_NOT_FOUND, -1);
				continue;
			}
			lk->resends++;
			lookup_send(pr, lk, now);
		}
		deadline = MXW_MIN(deadline, lk->last_tx + pr->p.query_resend_us);
	}
	return deadline;
}

void mxw_lookups_free(struct mxw_proto *pr)
{
	struct mxw_lookup *lk;

	while ((lk = TAILQ_FIRST(&pr->lookups))) {
		TAILQ_REMOVE(&pr->lookups, lk, link);
		free(lk);
	}
}

/* ---- liveness ---- */

void mxw_peer_heard(struct mxw_proto *pr, int peer)
{
	pr->peers[peer].last_rx_us = mxw_now(pr);
	pr->peers[peer].probes = 0;
}

/* When 'peer', which owes us something, is next probed or judged. */
static uint64_t liveness_due(const struct mxw_proto *pr, const struct mxw_peer *p)
{
	return (p->last_rx_us > p->last_probe_us ? p->last_rx_us : p->last_probe_us) +
	       pr->p.keepalive_us;
}

/* Hearing from the peer only moves its due later: the timer, armed
 * earlier, fires, looks and re-arms (no heap work per frame). */
void mxw_liveness_arm(struct mxw_proto *pr, uint16_t peer)
{
	if (pr->p.keepalive_us)
		mxw_timer_earlier(pr, &pr->peers[peer].timer, liveness_due(pr, &pr->peers[peer]));
}

void mxw_peer_owes(struct mxw_proto *pr, uint16_t peer)
{
	/* nothing was owed before: the silence clock starts now */
	if (pr->peers[peer].pending++ == 0 && !pr->peers[peer].rndv_waiting) {
		mxw_peer_heard(pr, peer);
		mxw_liveness_arm(pr, peer);
	}
}

void mxw_peer_paid(struct mxw_proto *pr, uint16_t peer)
{
	pr->peers[peer].pending--;
}

uint64_t mxw_liveness_progress(struct mxw_proto *pr, uint16_t i, uint64_t now)
{
	const uint64_t every = pr->p.keepalive_us;
	struct mxw_peer *p = &pr->peers[i];
	uint64_t due;

	if (!every || !p->used || (!p->rndv_waiting && !p->pending))
		return MXW_NO_DEADLINE;
	/* a probe is due 'every' after the last word or the last probe */
	due = liveness_due(pr, p);
	if (due > now)
		return due;
	/* a silent peer is probed, not given up on, for peer_timeout_us (its
	 * daemon may have been killed and come back), and one whose daemon
	 * said it stops for as long as its endpoints may take to come back
	 * (mxoe_life.c) */
	if (p->probes >= pr->p.keepalive_probes && now >= p->away_until &&
	    now - p->last_rx_us >= pr->p.peer_timeout_us) {
		if (pr->cb.note) {
			char line[160];

			snprintf(line, sizeof(line), "peer %u silent for %llu ms, %u probes "
				 "unanswered (owes %u sends/pulls, %u rendezvous): given up",
				 i, (unsigned long long)((now - p->last_rx_us) / 1000),
				 p->probes, p->pending, p->rndv_waiting);
			pr->cb.note(pr->cb.ctx, line);
		}
		pr->st.timeouts++;
		p->probes = 0;
		p->last_rx_us = now;
		mxw_peer_failed(pr, i, MXN_ST_TIMEOUT);
		return p->rndv_waiting || p->pending ? now + every : MXW_NO_DEADLINE;
	}
	p->probes++;
	p->last_probe_us = now;
	tx_host_query(pr, p->mac, i);
	return now + every;
}
