/* SPDX-License-Identifier: MIT */
/*
 * Wire engine glue: one ev_io on the receive ring, one on the link watch,
 * one ev_timer for the protocol's next deadline, and an ev_prepare that
 * runs due timers and flushes the transmit batch once per loop iteration.
 */
#include <errno.h>
#include <ev.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "core.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "loop.h"
#include "remote.h"

#define RX_BUDGET 512u

struct mxw_engine {
	struct mxd_core *core;
	struct ev_loop *ev;
	struct mxw_link_info link;
	uint32_t wire_mtu;          /* Open-MX's MTU in use: sets the geometry */
	char why[128];
	uint64_t link_changes;
	struct mxw_pio *pio;
	struct mxw_link_watch *watch;
	struct mxw_proto *pr;
	ev_io rx_io, nl_io;
	ev_timer timer;
	uint64_t armed;             /* the deadline the loop timer is set for */
	uint64_t timer_arms;        /* times it was (re-)armed: bench/ counts them */
	ev_prepare prepare;
	/* what was last reported in the log, so only news is (rate-limited) */
	uint64_t seen_timeouts, seen_bad;
	struct mxd_ratelimit rl_timeouts, rl_bad;
};

static struct mxd_epref ref_of(struct mxw_ep e)
{
	return (struct mxd_epref){ .index = e.index, .session = e.session };
}

static struct mxw_ep ep_of(struct mxd_epref r)
{
	return (struct mxw_ep){ .index = r.index, .session = r.session };
}

/* ---- protocol callbacks (wire -> core) ---- */

static uint64_t cb_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * A full batch goes out before the next frame joins it, in the middle of
 * a pass: what the core staged is published first, as tx_flush does at
 * the end of one (the batch may hold acks and NOTIFYs that count on it).
 */
static void tx_batch_room(struct mxw_engine *e)
{
	if (mxw_pio_tx_full(e->pio))
		mxd_core_publish(e->core);
}

static int cb_tx(void *ctx, const uint8_t *frame, size_t len)
{
	struct mxw_engine *e = ctx;

	if (e->link.state != MXW_LINK_OK)
		return -ENETDOWN;
	tx_batch_room(e);
	return mxw_pio_tx(e->pio, frame, len);
}

/* Frames are encoded straight into the transmit batch (no staging copy). */
static uint8_t *cb_tx_buf(void *ctx, size_t *cap)
{
	struct mxw_engine *e = ctx;

	/* link down: cb_tx refuses and counts it */
	if (e->link.state != MXW_LINK_OK)
		return NULL;
	tx_batch_room(e);
	return mxw_pio_tx_slot(e->pio, cap);
}

static int cb_tx_commit(void *ctx, size_t len)
{
	struct mxw_engine *e = ctx;

	return mxw_pio_tx_commit(e->pio, len);
}

static int cb_ep_info(void *ctx, uint8_t index, uint32_t *session, uint32_t *key)
{
	struct mxw_engine *e = ctx;
	struct mxd_endpoint *ep = mxd_endpoint_lookup(e->core, index);

	if (!ep || ep->fault || ep->closing)
		return -ENOENT;
	*session = ep->session;
	*key = ep->key;
	return 0;
}

static bool cb_ep_quiet(void *ctx, uint8_t index)
{
	struct mxw_engine *e = ctx;

	return mxd_core_is_quiet(e->core, index);
}

static int cb_deliver(void *ctx, const struct mxw_delivery *d)
{
	struct mxw_engine *e = ctx;
	struct mxd_src src = { .peer = d->src.peer, .endpoint = d->src.endpoint,
			       .session = d->src.session, .nic_id = d->src.nic_id,
			       .seq = d->src.mxn_seq, .wire_seq = d->src.wire_seq,
			       .wire_rdma = { .id = d->src.rdma_id, .seqnum = d->src.rdma_seqnum,
					      .offset = d->src.rdma_offset } };

	switch (d->kind) {
	case MXW_DELIVER_TINY:
		return mxd_remote_deliver_tiny(e->core, ref_of(d->to), &src, d->match_info, d->data,
					       d->length);
	case MXW_DELIVER_QUEUED:
		return mxd_remote_deliver_queued(e->core, ref_of(d->to), &src, d->match_info,
						 d->data, d->length);
	case MXW_DELIVER_RNDV:
		return mxd_remote_deliver_rndv(e->core, ref_of(d->to), &src, d->match_info,
					       d->length, 0, d->remote_ref);
	}
	return -EINVAL;
}

static void cb_connect_done(void *ctx, struct mxw_ep ep, uint64_t cookie, uint8_t status,
			    uint64_t nic_id, uint16_t peer, uint8_t endpoint, uint32_t session)
{
	struct mxw_engine *e = ctx;

	(void)mxd_remote_connect_done(e->core, ref_of(ep), cookie, status, nic_id, peer, endpoint,
				      session);
}

static int cb_wire_seq(void *ctx, struct mxw_ep ep, uint64_t cookie, uint16_t seq)
{
	struct mxw_engine *e = ctx;

	return mxd_remote_wire_seq(e->core, ref_of(ep), cookie, seq);
}

static void cb_send_done(void *ctx, struct mxw_ep ep, uint64_t cookie, uint8_t status,
			 uint32_t xfer, bool quiet)
{
	struct mxw_engine *e = ctx;

	(void)mxd_remote_send_done(e->core, ref_of(ep), cookie, status, xfer, quiet);
}

static int cb_rndv_read(void *ctx, struct mxw_ep ep, uint32_t handle, uint64_t off, void *buf,
			size_t len)
{
	struct mxw_engine *e = ctx;

	return mxd_remote_rndv_read(e->core, ref_of(ep), handle, off, buf, len);
}

static void cb_rndv_done(void *ctx, struct mxw_ep ep, uint32_t handle, uint8_t status,
			 uint32_t xfer)
{
	struct mxw_engine *e = ctx;

	(void)mxd_remote_rndv_done(e->core, ref_of(ep), handle, status, xfer);
}

static int cb_pull_write(void *ctx, struct mxw_ep ep, uint32_t handle, uint64_t off,
			 const void *buf, size_t len)
{
	struct mxw_engine *e = ctx;

	return mxd_remote_pull_write(e->core, ref_of(ep), handle, off, buf, len);
}

static int cb_pull_done(void *ctx, struct mxw_ep ep, uint32_t handle, uint8_t status,
			uint32_t xfer)
{
	struct mxw_engine *e = ctx;

	return mxd_remote_pull_done(e->core, ref_of(ep), handle, status, xfer);
}

static void cb_lookup_done(void *ctx, struct mxw_ep ep, uint64_t cookie, uint8_t status,
			   uint64_t nic_id, uint16_t peer, const char *name, uint32_t name_len)
{
	struct mxw_engine *e = ctx;

	(void)mxd_remote_lookup_done(e->core, ref_of(ep), cookie, status, nic_id, peer, name,
				     name_len);
}

static int cb_moved(void *ctx, struct mxw_ep ep, uint64_t old_nic, uint64_t new_nic,
		    uint16_t new_peer, uint8_t rep, uint32_t rsession)
{
	struct mxw_engine *e = ctx;
	struct mxd_src now = { .peer = new_peer, .endpoint = rep, .session = rsession,
			       .nic_id = new_nic };

	return mxd_remote_moved(e->core, ref_of(ep), old_nic, &now);
}

static int cb_moved_key(void *ctx, struct mxw_ep ep, uint8_t rep, uint32_t rsession, uint32_t key)
{
	struct mxw_engine *e = ctx;

	return mxd_remote_moved_key(e->core, ref_of(ep), rep, rsession, key);
}

static void cb_note(void *ctx, const char *line)
{
	struct mxw_engine *e = ctx;

	mxd_log_rl(&e->rl_timeouts, MXD_LOG_WARNING, "wire: %s", line);
}

/* ---- remote ops (core -> wire) ---- */

static void engine_kick(struct mxw_engine *e);

static int op_connect(void *priv, struct mxd_epref from, uint64_t cookie,
		      const struct mxn_cmd_connect *req)
{
	struct mxw_engine *e = priv;
	int err = mxw_proto_connect_moved(e->pr, ep_of(from), cookie, req->nic_id, req->endpoint,
					  req->key, req->timeout_ms, req->moved_from, req->proof);

	engine_kick(e);
	return err;
}

static int op_send_msg(void *priv, struct mxd_epref from, const struct mxn_cmd *c,
		       const void *payload, uint32_t len)
{
	struct mxw_engine *e = priv;
	bool quiet = c->flags & MXN_CMDF_QUIET;
	int err;

	if ((c->flags & MXN_CMDF_WIRE_SEQ) &&
	    mxw_proto_native_taken(e->pr, ep_of(from), c->dest_peer, c->dest_endpoint,
				   c->dest_session, c->pair_seq)) {
		/* the node took it from the daemon before us (mxoe_native.c) */
		(void)mxd_remote_send_done(e->core, from, c->cookie, MXN_ST_OK, len, quiet);
		return 0;
	}
	err = mxw_proto_send(e->pr, ep_of(from), c->dest_peer, c->dest_endpoint,
			     c->dest_session, c->match_info, payload, len, c->cookie, quiet);
	if (err == -ESTALE) {
		/* the remote endpoint has a newer session than the one quoted */
		(void)mxd_remote_send_done(e->core, from, c->cookie, MXN_ST_BAD_SESSION, 0, quiet);
		err = 0;
	}
	engine_kick(e);
	return err;
}

static int op_send_rndv(void *priv, struct mxd_epref from, const struct mxn_cmd *c,
			uint32_t send_handle)
{
	struct mxw_engine *e = priv;
	int err = mxw_proto_send_rndv(e->pr, ep_of(from), c->dest_peer, c->dest_endpoint,
				      c->dest_session, c->match_info, c->length, send_handle,
				      mxn_cmd_seq(c));

	if (err == -ESTALE) {
		(void)mxd_remote_rndv_done(e->core, from, send_handle, MXN_ST_BAD_SESSION, 0);
		err = 0;
	}
	engine_kick(e);
	return err;
}

static int op_pull(void *priv, struct mxd_epref to, uint64_t remote_ref, uint32_t pull_handle,
		   uint32_t len)
{
	struct mxw_engine *e = priv;
	int err = mxw_proto_pull(e->pr, ep_of(to), remote_ref, pull_handle, len);

	engine_kick(e);
	return err;
}

static int op_pull_wire(void *priv, struct mxd_epref to, const struct mxn_cmd *c,
			uint32_t pull_handle, uint32_t len)
{
	struct mxw_engine *e = priv;
	struct mxw_wire_rndv w = { .msg_length = c->u.wpull.msg_length,
				   .rdma_id = c->u.wpull.rdma_id,
				   .rdma_seqnum = c->u.wpull.rdma_seqnum,
				   .rdma_offset = c->u.wpull.rdma_offset };
	int err = mxw_proto_pull_wire(e->pr, ep_of(to), c->u.wpull.nic_id, c->dest_endpoint,
				      c->dest_session, &w, pull_handle, len);

	engine_kick(e);
	return err;
}

static int op_lookup(void *priv, struct mxd_epref from, uint64_t cookie, uint64_t nic_id,
		     const char *name, uint32_t name_len)
{
	struct mxw_engine *e = priv;
	int err = mxw_proto_lookup(e->pr, ep_of(from), cookie, nic_id, name, name_len);

	engine_kick(e);
	return err;
}

static void op_endpoint_closed(void *priv, struct mxd_epref ep)
{
	struct mxw_engine *e = priv;

	mxw_proto_endpoint_closed(e->pr, ep_of(ep));
}

static void op_room(void *priv, struct mxd_epref ep)
{
	struct mxw_engine *e = priv;

	mxw_proto_room(e->pr, ep_of(ep));
	engine_kick(e);
}

static int op_moved_here(void *priv, struct mxd_epref to, uint64_t old_nic, uint8_t rep,
			 uint32_t rsession, uint32_t key, bool commit)
{
	struct mxw_engine *e = priv;
	int ret = mxw_proto_moved_here(e->pr, ep_of(to), old_nic, rep, rsession, key, commit);

	if (commit)
		engine_kick(e);
	return ret;
}

static const struct mxd_remote_ops wire_ops = {
	.connect = op_connect,
	.send_msg = op_send_msg,
	.send_rndv = op_send_rndv,
	.pull = op_pull,
	.pull_wire = op_pull_wire,
	.lookup = op_lookup,
	.endpoint_closed = op_endpoint_closed,
	.moved_here = op_moved_here,
	.room = op_room,
};

/* ---- loop watchers ---- */

/* Peers that stopped answering and hostile frames are counted by the
 * engine; the log hears about them too, but never faster than the limiter. */
static void report_news(struct mxw_engine *e)
{
	struct mxw_counters c;

	mxw_proto_get_counters(e->pr, &c);
	if (c.timeouts != e->seen_timeouts) {
		mxd_log_rl(&e->rl_timeouts, MXD_LOG_WARNING,
			   "wire: %llu more transfer(s) given up: a peer stopped answering",
			   (unsigned long long)(c.timeouts - e->seen_timeouts));
		e->seen_timeouts = c.timeouts;
	}
	if (c.bad_frames != e->seen_bad) {
		mxd_log_rl(&e->rl_bad, MXD_LOG_WARNING,
			   "wire: %llu malformed or hostile frame(s) dropped on %s",
			   (unsigned long long)(c.bad_frames - e->seen_bad), e->link.name);
		e->seen_bad = c.bad_frames;
	}
}

/*
 * Send what is batched, after publishing what the core staged: those
 * frames may acknowledge arrivals (acks) or end a sender's rendezvous
 * (NOTIFY) whose events sit staged in an endpoint's ring.  A daemon killed
 * (SIGKILL) between the two had its peers count them done while the
 * application never saw them: a receive whose pull had ended waited for a
 * re-announce that never came (wire_ns_restart_large).  Published, they
 * are in memory the application holds and survive us.
 */
static void tx_flush(struct mxw_engine *e)
{
	if (!e->pio)
		return;
	mxd_core_flush(e->core);
	(void)mxw_pio_flush(e->pio);
}

/*
 * Run due timers, send what is batched.  The loop timer is re-armed only
 * when the engine's earliest deadline (its heap top) moved earlier than
 * the one it is set for: a deadline that moved later (a message acked, a
 * peer heard) lets it fire early once, and the progress it runs re-arms it
 * at the true deadline.  A ping-pong thus re-arms it about once per resend
 * period, not once or twice per message.
 */
static void engine_kick(struct mxw_engine *e)
{
	uint64_t deadline = mxw_proto_progress(e->pr), now;

	report_news(e);
	tx_flush(e);
	if (ev_is_active(&e->timer) && deadline >= e->armed)
		return;
	ev_timer_stop(e->ev, &e->timer);
	e->armed = deadline;
	if (deadline == MXW_NO_DEADLINE)
		return;
	e->timer_arms++;
	now = cb_now(NULL);
	ev_timer_set(&e->timer, deadline > now ? (double)(deadline - now) / 1e6 : 0., 0.);
	ev_timer_start(e->ev, &e->timer);
}

static void rx_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct mxw_engine *e = arg;

	mxw_proto_rx(e->pr, frame, len);
}

static void on_rx(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mxw_engine *e = w->data;

	(void)loop;
	(void)revents;
	(void)mxw_pio_rx(e->pio, rx_frame, e, RX_BUDGET);
	engine_kick(e);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mxw_engine *e = w->data;

	(void)loop;
	(void)revents;
	/* frames that arrived while this daemon was not scheduled are heard
	 * before the timers judge the peers' silence */
	if (e->pio)
		(void)mxw_pio_rx(e->pio, rx_frame, e, RX_BUDGET);
	engine_kick(e);
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct mxw_engine *e = w->data;

	(void)loop;
	(void)revents;
	/* a ring left unread (budget spent) must not wait for a new frame */
	if (mxw_pio_rx(e->pio, rx_frame, e, RX_BUDGET) > 0)
		engine_kick(e);
	else
		tx_flush(e);
}

static void on_link(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mxw_engine *e = w->data;
	struct mxw_link_info now;
	char why[128];

	(void)loop;
	(void)revents;
	if (mxw_link_watch_drain(e->watch) <= 0)
		return;
	(void)mxw_link_query(e->link.name, &now, why, sizeof(why));
	if (now.state == e->link.state && now.mtu == e->link.mtu)
		return;
	e->link_changes++;
	if (now.state == MXW_LINK_OK && now.mtu != e->link.mtu && e->link.mtu)
		mxd_log(MXD_LOG_WARNING, "wire: %s MTU changed %u -> %u; fragment sizes stay "
			"those of MTU %u until restart", now.name, e->link.mtu, now.mtu, e->link.mtu);
	mxd_log(now.state == MXW_LINK_OK ? MXD_LOG_NOTICE : MXD_LOG_WARNING, "wire: %s", why);
	now.mtu = e->link.mtu ? e->link.mtu : now.mtu;
	e->link = now;
	snprintf(e->why, sizeof(e->why), "%s", why);
}

/* ---- start / stop ---- */

static void engine_free(struct mxw_engine *e)
{
	if (!e)
		return;
	if (e->ev) {
		ev_io_stop(e->ev, &e->rx_io);
		ev_io_stop(e->ev, &e->nl_io);
		ev_timer_stop(e->ev, &e->timer);
		ev_prepare_stop(e->ev, &e->prepare);
	}
	mxw_proto_free(e->pr);
	mxw_pio_close(e->pio);
	mxw_link_watch_close(e->watch);
	free(e);
}

/*
 * The frame size: Open-MX's MTU (OMX_MTU) bounds the whole frame, its
 * Ethernet header included, and both ends must use the same one (pulls
 * count in units of the reply size).  A default Open-MX build uses 9000 on
 * any interface that takes it, so that is the default here too, or the
 * interface MTU when smaller; wire_mtu names another build's value.
 */
static uint32_t wire_mtu(const struct mxw_engine *e, const struct mxd_config *cfg)
{
	uint32_t mtu = cfg->wire_mtu ? cfg->wire_mtu : MXW_MTU_OPEN_MX;

	if (mtu > e->link.mtu) {
		if (cfg->wire_mtu)
			mxd_log(MXD_LOG_WARNING, "wire: wire_mtu %u above %s's MTU %u: using %u",
				cfg->wire_mtu, e->link.name, e->link.mtu, e->link.mtu);
		mtu = e->link.mtu;
	}
	return mtu;
}

/*
 * Pull blocks in flight over all pulls: their replies land in our receive
 * ring together, so at most half of it (32 frames a block).  Beyond that
 * the kernel drops replies (PACKET_STATISTICS) and each loss stalls its
 * block for the pull resend timeout: 16 concurrent 1 MiB receives ran at a
 * quarter of UDP's bandwidth (bench/wire_bench.sh).
 */
static uint32_t pull_cap(const struct mxw_engine *e)
{
	uint32_t n = mxw_pio_rx_slots(e->pio) / (2u * 32u);

	return n < 2 ? 2 : n > 64 ? 64 : n;
}

static int engine_proto(struct mxw_engine *e, const struct mxd_config *cfg)
{
	struct mxw_proto_params p;
	struct mxw_proto_cb cb = {
		.ctx = e, .now_us = cb_now, .tx = cb_tx, .tx_buf = cb_tx_buf,
		.tx_commit = cb_tx_commit, .ep_info = cb_ep_info, .ep_quiet = cb_ep_quiet,
		.deliver = cb_deliver, .connect_done = cb_connect_done, .send_done = cb_send_done,
		.wire_seq = cb_wire_seq,
		.rndv_read = cb_rndv_read, .rndv_done = cb_rndv_done, .pull_write = cb_pull_write,
		.pull_done = cb_pull_done, .lookup_done = cb_lookup_done, .note = cb_note,
		.moved = cb_moved,
		.moved_key = cb_moved_key,
	};
	int err;

	mxw_proto_params_default(&p);
	/* a restarted daemon's connects are told from its predecessor's */
	if (getrandom(&p.incarnation, sizeof(p.incarnation), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(p.incarnation))
		p.incarnation = 0;
	memcpy(p.mac, e->link.mac, 6);
	snprintf(p.hostname, sizeof(p.hostname), "%s", mxd_core_hostname(e->core));
	p.mtu = e->wire_mtu = wire_mtu(e, cfg);
	p.pull_blocks_total = pull_cap(e);
	if (cfg->peer_timeout_ms)
		p.peer_timeout_us = cfg->peer_timeout_ms * 1000u;
	err = mxw_proto_new(&p, &cb, &e->pr);
	if (err)
		return err;
	for (uint32_t i = 0; i < cfg->npeers; i++) {
		if (cfg->peers[i].nic_id == mxw_mac_to_u64(e->link.mac))
			continue;   /* ourselves, listed in a shared peer file */
		err = mxw_proto_peer_add(e->pr, cfg->peers[i].nic_id, cfg->peers[i].hostname);
		if (err < 0) {
			mxd_log(MXD_LOG_ERR, "wire: peer %s: %s", cfg->peers[i].hostname,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * The receive ring: TPACKET_V2 by default, MYRIXEN_WIRE_RING=v3 for the
 * block ring.  Measured on veth (bench/wire_bench.sh): a V3 block is handed
 * over when full or when its 1 ms timer fires, so a lone small frame waits
 * ~0.5-1 ms (ping-pong ~500 us one-way) against ~20-100 us with V2's
 * per-frame hand-over; V3 only pays off for sustained bulk input.
 */
static int ring_version(void)
{
	const char *v = getenv("MYRIXEN_WIRE_RING");

	return v && !strcmp(v, "v3") ? 3 : 2;
}

/* The loop's spinning window calls this between passes: a frame its
 * status word shows is taken at once, without an epoll pass. */
static bool spin_rx(void *arg)
{
	struct mxw_engine *e = arg;

	if (!e->pio || !mxw_pio_rx_ready(e->pio))
		return false;
	(void)mxw_pio_rx(e->pio, rx_frame, e, RX_BUDGET);
	engine_kick(e);
	return true;
}

/*
 * The engine mallocs and frees a copy of every message it sends and a
 * buffer for every medium it reassembles, up to half a MiB per partner in
 * flight.  glibc gives the top of the heap back (trim) once 128 KiB of it
 * are free, and takes it again on the next burst: streaming 32 KiB
 * mediums cost 6 page faults a message and 15% of the daemon's CPU
 * (bench/wire_bench.sh).  Keeping up to 16 MiB of it avoids that churn.
 * Setting the trim threshold freezes glibc's mmap threshold at 128 KiB,
 * and a pull block's bounded-copy buffer (up to 32 replies, ~280 KiB)
 * was then mapped and unmapped for every block: 1 MiB ping-pongs took
 * 1.6x as long.  Blocks and copy chunks stay on the heap below 4 MiB.
 */
static void engine_heap(void)
{
	(void)mallopt(M_TRIM_THRESHOLD, 16 << 20);
	(void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

int mxw_engine_start(struct mxd_daemon *d)
{
	struct mxw_engine *e;
	int err;

	engine_heap();
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->core = d->core;
	e->rl_timeouts = (struct mxd_ratelimit)MXD_RATELIMIT_INIT(10000, 3);
	e->rl_bad = (struct mxd_ratelimit)MXD_RATELIMIT_INIT(10000, 3);
	err = mxw_link_query(d->cfg.interface, &e->link, e->why, sizeof(e->why));
	if (err || e->link.state == MXW_LINK_MTU_SMALL) {
		mxd_log(MXD_LOG_ERR, "wire: %s", e->why);
		err = err ? err : -EMSGSIZE;
		goto out;
	}
	if (e->link.state == MXW_LINK_DOWN)
		mxd_log(MXD_LOG_ERR, "wire: %s; waiting for it to come up", e->why);
	if (e->link.mtu < MXW_MTU_OPEN_MX && !d->cfg.wire_mtu)
		mxd_log(MXD_LOG_NOTICE, "wire: %s has MTU %u; a default native Open-MX peer needs "
			"%u (fragment sizes must match)", e->link.name, e->link.mtu,
			MXW_MTU_OPEN_MX);
	err = mxw_pio_open(e->link.ifindex, e->link.mtu, 0, ring_version(), &e->pio);
	if (err) {
		mxd_log(MXD_LOG_ERR, "wire: AF_PACKET on %s: %s", e->link.name, strerror(-err));
		goto out;
	}
	err = mxw_link_watch_open(&e->watch);
	if (err) {
		mxd_log(MXD_LOG_ERR, "wire: netlink link watch: %s", strerror(-err));
		goto out;
	}
	/* the link may have changed between the query and the subscription */
	if (e->link.state != MXW_LINK_OK) {
		struct mxw_link_info again;
		char why[128];

		if (mxw_link_query(e->link.name, &again, why, sizeof(why)) == 0 &&
		    again.state == MXW_LINK_OK && again.mtu == e->link.mtu) {
			e->link = again;
			snprintf(e->why, sizeof(e->why), "%s", why);
			mxd_log(MXD_LOG_NOTICE, "wire: %s", why);
		}
	}
	err = engine_proto(e, &d->cfg);
	if (err)
		goto out;
	e->ev = d->ev;
	ev_io_init(&e->rx_io, on_rx, mxw_pio_fd(e->pio), EV_READ);
	ev_io_init(&e->nl_io, on_link, mxw_link_watch_fd(e->watch), EV_READ);
	ev_init(&e->timer, on_timer);
	ev_prepare_init(&e->prepare, on_prepare);
	e->rx_io.data = e->nl_io.data = e->timer.data = e->prepare.data = e;
	ev_io_start(e->ev, &e->rx_io);
	ev_io_start(e->ev, &e->nl_io);
	ev_prepare_start(e->ev, &e->prepare);
	mxd_core_set_nic_id(d->core, mxw_mac_to_u64(e->link.mac));
	mxd_core_set_remote(d->core, &wire_ops, e);
	mxd_loop_set_spin_rx(d->loop, spin_rx, e);
	d->wire = e;
	mxd_log(MXD_LOG_NOTICE, "wire: MXoE on %s (ifindex %d, MTU %u, Open-MX MTU %u: medium "
		"fragment %u, pull reply %u; %u configured peers, TPACKET_V%d ring)", e->link.name,
		e->link.ifindex, e->link.mtu, e->wire_mtu, mxw_proto_frag_max(e->pr),
		mxw_pull_reply_max(e->wire_mtu), mxw_proto_npeers(e->pr) - 1,
		ring_version());
	return 0;
out:
	engine_free(e);
	return err;
}

void mxw_engine_stop(struct mxd_daemon *d)
{
	struct mxw_engine *e = d->wire;

	if (!e)
		return;
	/* our endpoints may come back to the next daemon: peers wait for
	 * them rather than give up after the usual silence (mxoe_life.c) */
	if (e->pr && e->pio) {
		mxd_core_publish(e->core);  /* before the acks of mxw_proto_leave */
		mxw_proto_leave(e->pr);
		(void)mxw_pio_flush(e->pio);
	}
	mxd_core_set_remote(d->core, NULL, NULL);
	mxd_loop_set_spin_rx(d->loop, NULL, NULL);
	engine_free(e);
	d->wire = NULL;
}

int mxw_engine_get_stats(void *wire, struct mxw_engine_stats *out)
{
	struct mxw_engine *e = wire;

	memset(out, 0, sizeof(*out));
	if (!e)
		return -ENOENT;
	out->link = e->link;
	snprintf(out->state_why, sizeof(out->state_why), "%s", e->why);
	out->nic_id = mxw_mac_to_u64(e->link.mac);
	out->frag_max = mxw_proto_frag_max(e->pr);
	out->npeers = mxw_proto_npeers(e->pr);
	mxw_proto_get_usage(e->pr, &out->usage);
	mxw_proto_get_counters(e->pr, &out->proto);
	mxw_pio_get_stats(e->pio, &out->io);
	out->link_changes = e->link_changes;
	out->timer_arms = e->timer_arms;
	return 0;
}

int mxw_engine_add_peer(void *wire, uint64_t nic_id, const char *hostname)
{
	struct mxw_engine *e = wire;

	if (!e)
		return -ENOENT;
	if (nic_id == mxw_mac_to_u64(e->link.mac))
		return 0;
	return mxw_proto_peer_add(e->pr, nic_id, hostname);
}

int mxw_engine_get_peer(void *wire, uint16_t index, struct mxw_peer_info *out)
{
	struct mxw_engine *e = wire;

	if (!e)
		return -ENOENT;
	return mxw_proto_peer_get(e->pr, index, out);
}
