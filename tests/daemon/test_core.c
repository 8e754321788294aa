/* SPDX-License-Identifier: MIT */
/*
 * Core unit tests: endpoints live in this process (areas in plain memory,
 * region data moved by the real process_vm_readv/writev code on our own
 * pid); the test plays both guests through the raw ABI and drives
 * mxd_endpoint_poll / mxd_core_flush directly.  No sockets, no loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core.h"
#include "log.h"
#include "region_vaddr.h"
#include "remote.h"
#include "tcheck.h"
#include "tguest.h"
#include "tself_region.h"

struct tep {
	struct mxd_endpoint *ep;
	struct tguest g;
	void *area;
	int notifies;
	int destroyed;
};

static int t_notify(struct mxd_endpoint *ep)
{
	((struct tep *)ep->tp)->notifies++;
	return 0;
}

static void t_destroy(struct mxd_endpoint *ep)
{
	struct tep *t = ep->tp;

	free(t->area);
	t->area = NULL;
	t->ep = NULL;
	t->destroyed++;
}

static const struct mxd_transport_ops t_ops = {
	.name = "test", .region_kind = MXN_REGION_VADDR, .notify = t_notify,
	.region_read = tself_region_read, .region_write = tself_region_write, .destroy = t_destroy,
};

static struct mxd_core *core;
static struct mxd_config cfg;

/* Open an endpoint for process guest_id of user uid (a re-attach of
 * session when it is not 0). */
static int open_ep_full(struct tep *t, uint32_t guest_id, uint32_t uid, uint8_t index,
			uint32_t key, uint32_t session)
{
	struct mxd_endpoint_params p = { .ops = &t_ops, .tp = t, .key = key, .endpoint = index,
					 .session = session };
	struct mxd_guest *g;
	int err;

	memset(t, 0, sizeof(*t));
	CHECK_EQ(mxn_layout_compute(&p.geo, 4, 4, MXN_QUEUE_MIN, MXN_QUEUE_MIN), 0);
	t->area = aligned_alloc(MXN_PAGE_SIZE, p.geo.area_size);
	CHECK(t->area);
	memset(t->area, 0, p.geo.area_size);
	p.area = t->area;
	CHECK_EQ(mxd_guest_get_as(core, MXD_GUEST_LOCAL, guest_id, uid, "test", &g), 0);
	err = mxd_endpoint_attach(core, g, &p, &t->ep);
	mxd_guest_put(g);
	if (err) {
		free(t->area);
		return err;
	}
	tg_init(&t->g, t->area, &p.geo);
	return 0;
}

static int open_ep_as(struct tep *t, uint32_t guest_id, uint32_t uid, uint8_t index, uint32_t key)
{
	return open_ep_full(t, guest_id, uid, index, key, 0);
}

static int open_ep(struct tep *t, uint32_t guest_id, uint8_t index, uint32_t key)
{
	return open_ep_as(t, guest_id, guest_id, index, key);
}

static int poll_ep(struct tep *t)
{
	int n = mxd_endpoint_poll(t->ep, 64);

	mxd_core_flush(core);
	return n;
}

static void post(struct tep *t, const struct mxn_cmd *c)
{
	CHECK(tg_post(&t->g, c));
	tg_push(&t->g);
}

/* The next event, which must exist. */
static struct mxn_evt next(struct tep *t)
{
	struct mxn_evt e;

	CHECK(tg_next(&t->g, &e));
	return e;
}

static void release(struct tep *t)
{
	tg_release(&t->g);
}

static struct mxn_cmd cmd(uint8_t op, uint64_t cookie, const struct tep *to)
{
	struct mxn_cmd c = { .op = op, .cookie = cookie };

	if (to) {
		c.dest_peer = MXN_PEER_SELF;
		c.dest_endpoint = to->ep->index;
		c.dest_session = to->ep->session;
	}
	return c;
}

/* CONNECT from -> to with to's key; the daemon records the connection. */
static void connect_eps(struct tep *from, struct tep *to)
{
	struct mxn_cmd c = cmd(MXN_CMD_CONNECT, 99, NULL);
	struct mxn_evt e;

	c.u.connect.nic_id = mxd_core_nic_id(core);
	c.u.connect.endpoint = to->ep->index;
	c.u.connect.key = to->ep->key;
	post(from, &c);
	CHECK(poll_ep(from) >= 1);
	e = next(from);
	CHECK_EQ(e.type, MXN_EVT_CONNECT_DONE);
	CHECK_EQ(e.status, MXN_ST_OK);
	release(from);
}

static void test_connect(struct tep *a, struct tep *b)
{
	struct mxn_cmd c = cmd(MXN_CMD_CONNECT, 11, NULL);
	struct mxn_evt e;

	c.u.connect.nic_id = mxd_core_nic_id(core);
	c.u.connect.endpoint = b->ep->index;
	c.u.connect.key = 0x1234;
	post(a, &c);
	c.cookie = 12;
	c.u.connect.key = 0x9999;
	post(a, &c);
	c.cookie = 13;
	c.u.connect.key = 0x1234;
	c.u.connect.endpoint = 200;
	post(a, &c);
	c.cookie = 14;
	c.u.connect.nic_id ^= 1; /* another host, and no wire engine */
	post(a, &c);
	CHECK_EQ(poll_ep(a), 4);
	CHECK(a->notifies >= 1);
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_CONNECT_DONE);
	CHECK_EQ(e.status, MXN_ST_OK);
	CHECK_EQ(e.u.connect.cookie, 11);
	CHECK_EQ(e.u.connect.endpoint, b->ep->index);
	CHECK_EQ(e.u.connect.session, b->ep->session);
	CHECK_EQ(e.u.connect.peer, MXN_PEER_SELF);
	e = next(a);
	CHECK_EQ(e.status, MXN_ST_BAD_KEY);
	e = next(a);
	CHECK_EQ(e.status, MXN_ST_BAD_ENDPOINT);
	e = next(a);
	CHECK_EQ(e.u.connect.cookie, 14);
	CHECK_EQ(e.status, MXN_ST_BAD_ENDPOINT);
	release(a);
}

static void test_tiny_queued(struct tep *a, struct tep *b)
{
	struct mxn_cmd c = cmd(MXN_CMD_SEND_TINY, 21, b);
	uint8_t big[5000];
	struct mxn_evt e;

	memcpy(c.u.tiny, "hello, tiny", 11);
	c.length = 11;
	c.match_info = 0xabcdef;
	post(a, &c);
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	c = cmd(MXN_CMD_SEND_QUEUED, 22, b);
	c.length = sizeof(big);
	c.u.q.off = tg_sendq_put(&a->g, big, sizeof(big));
	post(a, &c);
	c = cmd(MXN_CMD_SEND_TINY, 23, b);
	c.dest_session ^= 1; /* stale session */
	post(a, &c);
	CHECK(poll_ep(a) >= 3);
	e = next(b);
	CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
	CHECK_EQ(e.length, 11);
	CHECK(!memcmp(e.u.tiny, "hello, tiny", 11));
	CHECK_EQ(e.match_info, 0xabcdef);
	CHECK_EQ(e.src_endpoint, a->ep->index);
	CHECK_EQ(e.src_session, a->ep->session);
	CHECK_EQ(e.src_nic_id, mxd_core_nic_id(core));
	e = next(b);
	CHECK_EQ(e.type, MXN_EVT_RECV_QUEUED);
	CHECK_EQ(e.length, sizeof(big));
	CHECK_EQ(e.u.q.off % MXN_QUEUE_ALIGN, 0);
	CHECK(!memcmp(b->g.recvq + e.u.q.off, big, sizeof(big)));
	CHECK(!tg_next(&b->g, &e));
	release(b);
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 21);
	CHECK_EQ(e.u.done.xfer_length, 11);
	e = next(a);
	CHECK_EQ(e.u.done.cookie, 22);
	CHECK_EQ(e.u.done.xfer_length, 5000);
	e = next(a);
	CHECK_EQ(e.u.done.cookie, 23);
	CHECK_EQ(e.status, MXN_ST_BAD_SESSION);
	release(a);
	poll_ep(b); /* the daemon sees b's cons and frees the recvq chunk */
	struct mxd_ep_stats st;
	mxd_endpoint_get_stats(b->ep, &st);
	CHECK_EQ(st.recvq_used, 0);
	CHECK_EQ(st.recv_tiny, 1);
	CHECK_EQ(st.recv_queued, 1);
}

static void quiet_tiny(struct tep *a, struct tep *b, uint64_t cookie)
{
	struct mxn_cmd c = cmd(MXN_CMD_SEND_TINY, cookie, b);
	struct mxn_evt e;

	c.flags = MXN_CMDF_QUIET;
	c.length = 4;
	memcpy(c.u.tiny, "shh!", 4);
	CHECK(!mxn_ring_arm(&a->g.evt)); /* a sleeps: its next event should ring */
	post(a, &c);
	poll_ep(a);
	e = next(b);
	CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
	CHECK_EQ(e.flags, 0);
	release(b);
	poll_ep(b);
}

/* A SEND_DONE for a send the guest completed at issue (MXN_CMDF_QUIET) only
 * gives the sendq back: no doorbell, unless the guest waits for that room
 * (MXN_RINGF_WAKE_QUIET).  A later ordinary event still rings, although the
 * quiet one already crossed prod_event (the notify was owed). */
static void test_quiet(struct tep *a, struct tep *b)
{
	struct mxn_cmd c;
	struct mxn_evt e;
	int n0 = a->notifies;

	quiet_tiny(a, b, 31);
	CHECK_EQ(a->notifies, n0);
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.flags, MXN_EVTF_QUIET);
	CHECK_EQ(e.u.done.cookie, 31);
	CHECK_EQ(e.status, MXN_ST_OK);
	c = cmd(MXN_CMD_WAKE, 32, NULL);
	post(a, &c);
	poll_ep(a);
	CHECK_EQ(a->notifies, n0 + 1);
	CHECK_EQ(next(a).u.done.cookie, 32);
	release(a);
	poll_ep(a);
	atomic_store(MXN_ATOMIC(&a->g.evt.ctl->flags), MXN_RINGF_WAKE_QUIET);
	quiet_tiny(a, b, 33);
	CHECK_EQ(a->notifies, n0 + 2);
	CHECK_EQ(next(a).u.done.cookie, 33);
	release(a);
	atomic_store(MXN_ATOMIC(&a->g.evt.ctl->flags), 0u);
	poll_ep(a);
}

/* b's event ring (16 slots) fills: the 17th send waits, nothing is lost. */
static void test_receiver_full(struct tep *a, struct tep *b)
{
	struct mxn_cmd c;
	struct mxn_evt e;
	struct mxd_ep_stats st;

	for (int i = 0; i < 15; i++) {
		c = cmd(MXN_CMD_SEND_TINY, 100 + (uint64_t)i, b);
		c.length = 1;
		c.u.tiny[0] = (uint8_t)i;
		post(a, &c);
	}
	poll_ep(a);
	for (int i = 0; i < 15; i++)
		next(a);
	release(a);
	for (int i = 15; i < 18; i++) {
		c = cmd(MXN_CMD_SEND_TINY, 100 + (uint64_t)i, b);
		c.length = 1;
		c.u.tiny[0] = (uint8_t)i;
		post(a, &c);
	}
	poll_ep(a);
	mxd_endpoint_get_stats(a->ep, &st);
	CHECK(st.stalls >= 1);
	CHECK(a->ep->has_stalled);
	CHECK_EQ(a->ep->stalled.cookie, 116);
	CHECK(next(a).u.done.cookie == 115);
	CHECK(!tg_next(&a->g, &e)); /* 116, 117 wait */
	/* b consumes everything; its release must ask for a kick (cons_event). */
	for (int i = 0; i < 16; i++) {
		e = next(b);
		CHECK_EQ(e.u.tiny[0], i);
	}
	CHECK(tg_release(&b->g));
	poll_ep(b); /* the kick: b's poll wakes the stalled sender */
	CHECK(a->ep->active);
	poll_ep(a);
	CHECK(!a->ep->has_stalled);
	e = next(b);
	CHECK_EQ(e.u.tiny[0], 16);
	e = next(b);
	CHECK_EQ(e.u.tiny[0], 17);
	release(b);
	CHECK_EQ(next(a).u.done.cookie, 116);
	CHECK_EQ(next(a).u.done.cookie, 117);
	release(a);
	poll_ep(b);
}

static void test_rndv(struct tep *a, struct tep *b, uint32_t len, uint32_t posted, bool sync)
{
	uint8_t *src = malloc(len), *dst = calloc(1, posted + 16);
	uint32_t dlen, xfer = posted < len ? posted : len;
	struct mxn_cmd c = cmd(MXN_CMD_SEND_RNDV, 31, b);
	struct mxn_evt e;

	for (uint32_t i = 0; i < len; i++)
		src[i] = (uint8_t)(i ^ (i >> 8));
	c.length = len;
	c.flags = sync ? MXN_CMDF_SYNC : 0;
	c.match_info = 77;
	c.u.rndv.desc_off = tg_put_region(&a->g, src, len, &dlen);
	c.u.rndv.desc_len = dlen;
	post(a, &c);
	CHECK(poll_ep(a) >= 1);
	CHECK(!tg_next(&a->g, &e)); /* no SEND_DONE before the pull */
	CHECK_EQ(a->ep->guest->registered_bytes, len);
	e = next(b);
	release(b);
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
	CHECK_EQ(e.length, len);
	CHECK_EQ(e.flags, sync ? MXN_EVTF_SYNC : 0);
	c = cmd(MXN_CMD_PULL, 32, NULL);
	c.u.pull.rndv_handle = e.u.rndv.rndv_handle;
	c.u.pull.pull_len = posted;
	c.u.pull.desc_off = tg_put_region(&b->g, dst, posted, &dlen);
	c.u.pull.desc_len = dlen;
	post(b, &c);
	/* A second pull of the same handle is refused cleanly. */
	c.cookie = 33;
	post(b, &c);
	poll_ep(b);
	e = next(b);
	CHECK_EQ(e.type, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.status, MXN_ST_OK);
	CHECK_EQ(e.u.done.cookie, 32);
	CHECK_EQ(e.u.done.xfer_length, xfer);
	e = next(b);
	CHECK_EQ(e.u.done.cookie, 33);
	CHECK_EQ(e.status, MXN_ST_BAD_REQUEST);
	release(b);
	CHECK(!memcmp(src, dst, xfer));
	CHECK_EQ(dst[xfer], 0); /* nothing past the pulled length */
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 31);
	CHECK_EQ(e.u.done.xfer_length, xfer);
	release(a);
	CHECK_EQ(a->ep->guest->registered_bytes, 0);
	CHECK_EQ(a->ep->nrndv_out, 0);
	free(src);
	free(dst);
}

/* A never reads its events: completions back up, then A's commands wait. */
/* REGION_NEXT: the window at off of buf (len bytes in all), or empty. */
static void next_window(struct tep *t, uint64_t cookie, const uint8_t *buf, uint32_t off,
			uint32_t give)
{
	struct mxn_cmd c = cmd(MXN_CMD_REGION_NEXT, cookie, NULL);
	uint32_t dlen;

	c.u.window.offset = off;
	c.u.window.desc_off = tg_put_region(&t->g, buf + off, give, &dlen);
	c.u.window.desc_len = dlen;
	post(t, &c);
}

/* a posts a SEND_RNDV of len bytes to b (on peer 'peer') whose region is
 * buf's first rlen. */
static void post_rndv(struct tep *a, struct tep *b, uint16_t peer, uint64_t cookie,
		      const uint8_t *buf, uint32_t len, uint32_t rlen)
{
	struct mxn_cmd c = cmd(MXN_CMD_SEND_RNDV, cookie, b);
	uint32_t dlen;

	c.dest_peer = peer;
	c.length = len;
	c.u.rndv.desc_off = tg_put_region(&a->g, buf, rlen, &dlen);
	c.u.rndv.desc_len = dlen;
	post(a, &c);
}

/* b pulls pull_len bytes of handle into a region of buf's first rlen. */
static void post_pull(struct tep *b, uint64_t cookie, uint32_t handle, uint8_t *buf,
		      uint32_t pull_len, uint32_t rlen)
{
	struct mxn_cmd c = cmd(MXN_CMD_PULL, cookie, NULL);
	uint32_t dlen;

	c.u.pull.rndv_handle = handle;
	c.u.pull.pull_len = pull_len;
	c.u.pull.desc_off = tg_put_region(&b->g, buf, rlen, &dlen);
	c.u.pull.desc_len = dlen;
	post(b, &c);
}

/* One REGION_MORE for 'cookie' at off in t's ring. */
static void window_asked(struct tep *t, uint64_t cookie, uint32_t off)
{
	struct mxn_evt e = next(t);

	CHECK_EQ(e.type, MXN_EVT_REGION_MORE);
	CHECK_EQ(e.u.done.cookie, cookie);
	CHECK_EQ(e.u.done.xfer_length, off);
	release(t);
}

/* a sends b len bytes, each side windowed or describing all of it; with
 * 'bad', the receiver's last window is one byte short (the transfer fails
 * on both sides, nobody is cut off). */
static void windowed_transfer(struct tep *a, struct tep *b, const uint8_t *src, uint8_t *dst,
			      uint32_t len, bool src_win, bool dst_win, bool bad)
{
	const uint32_t W = MXN_RNDV_WINDOW;
	uint8_t st = bad ? MXN_ST_NO_RESOURCES : MXN_ST_OK;
	struct mxn_evt e;
	uint32_t off;

	memset(dst, 0, len);
	post_rndv(a, b, MXN_PEER_SELF, 140, src, len, src_win ? W : len);
	poll_ep(a);
	e = next(b);
	release(b);
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
	post_pull(b, 141, e.u.rndv.rndv_handle, dst, len, dst_win ? W : len);
	for (off = W; off < len; off += W) {
		uint32_t give = len - off < W ? len - off : W;

		poll_ep(b);
		poll_ep(a);
		CHECK(!memcmp(src, dst, off)); /* the windows so far, in place */
		if (src_win) {
			window_asked(a, 140, off);
			next_window(a, 140, src, off, give);
		}
		if (dst_win) {
			window_asked(b, 141, off);
			next_window(b, 141, dst, off, bad && off + W >= len ? give - 1 : give);
		}
		next_window(b, 999, dst, off, give); /* nobody waits: ignored */
		poll_ep(a);
	}
	poll_ep(b);
	poll_ep(a);
	e = next(b);
	CHECK_EQ(e.type, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.status, st);
	CHECK_EQ(e.u.done.xfer_length, bad ? 0 : len);
	release(b);
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.status, st);
	CHECK_EQ(e.u.done.xfer_length, bad ? 0 : len);
	release(a);
	CHECK(!tg_next(&a->g, &e) && !tg_next(&b->g, &e));
	CHECK_EQ(a->ep->guest->registered_bytes, 0);
	CHECK_EQ(b->ep->remote_inflight, 0);
	CHECK(a->ep->fault == 0 && b->ep->fault == 0);
	if (!bad)
		CHECK(!memcmp(src, dst, len));
}

/* Windowed regions (abi.h): two windows plus 5000 bytes, both sides
 * windowed (two Xen guests), or one (a Xen guest and a local process);
 * a wrong answer fails the transfer; a windowed send to the wire is
 * refused. */
static void test_windows(struct tep *a, struct tep *b)
{
	const uint32_t W = MXN_RNDV_WINDOW, len = 2 * MXN_RNDV_WINDOW + 5000;
	uint8_t *src = malloc(len), *dst = malloc(len);
	struct mxn_evt e;

	for (uint32_t i = 0; i < len; i++)
		src[i] = (uint8_t)(i * 7 + (i >> 12));
	windowed_transfer(a, b, src, dst, len, true, true, true);
	windowed_transfer(a, b, src, dst, len, true, true, false);
	windowed_transfer(a, b, src, dst, len, true, false, false);
	windowed_transfer(a, b, src, dst, len, false, true, false);
	/* To the wire (no engine here either way): windowed is refused. */
	post_rndv(a, b, 3, 142, src, len, W);
	poll_ep(a);
	e = next(a);
	CHECK_EQ(e.u.done.cookie, 142);
	CHECK(e.status != MXN_ST_OK);
	release(a);
	free(src);
	free(dst);
}

/* x sends y a windowed message, y pulls; both are asked for window 1. */
static void window_one_moved(struct tep *x, struct tep *y, uint8_t *src, uint8_t *dst,
			     uint32_t len)
{
	struct mxn_evt e;

	post_rndv(x, y, MXN_PEER_SELF, 150, src, len, MXN_RNDV_WINDOW);
	poll_ep(x);
	e = next(y);
	release(y);
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
	post_pull(y, 151, e.u.rndv.rndv_handle, dst, len, MXN_RNDV_WINDOW);
	poll_ep(y);
	CHECK_EQ(next(x).type, MXN_EVT_REGION_MORE);
	release(x);
	CHECK_EQ(next(y).type, MXN_EVT_REGION_MORE);
	release(y);
	CHECK_EQ(y->ep->remote_inflight, 1); /* the pull is held between windows */
}

/* Either side closing between two windows ends the transfer for the other
 * (CLOSED), with nothing held; a late window answer is ignored. */
static void test_windows_close(void)
{
	const uint32_t len = MXN_RNDV_WINDOW + 100;
	uint8_t *src = calloc(1, len), *dst = calloc(1, len);
	struct tep x, y;
	struct mxn_evt e;

	CHECK_EQ(open_ep(&x, 5, MXN_ENDPOINT_ANY, 1), 0);
	CHECK_EQ(open_ep(&y, 6, MXN_ENDPOINT_ANY, 1), 0);
	connect_eps(&x, &y);
	window_one_moved(&x, &y, src, dst, len);
	mxd_endpoint_detach(x.ep); /* the sender goes */
	mxd_core_flush(core);
	e = next(&y);
	CHECK_EQ(e.type, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.u.done.cookie, 151);
	CHECK_EQ(e.status, MXN_ST_CLOSED);
	release(&y);
	CHECK_EQ(y.ep->remote_inflight, 0);
	CHECK_EQ(open_ep(&x, 5, MXN_ENDPOINT_ANY, 1), 0);
	connect_eps(&x, &y);
	window_one_moved(&x, &y, src, dst, len);
	mxd_endpoint_detach(y.ep); /* the receiver goes */
	mxd_core_flush(core);
	e = next(&x);
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 150);
	CHECK_EQ(e.status, MXN_ST_CLOSED);
	release(&x);
	CHECK_EQ(x.ep->nrndv_out, 0);
	CHECK_EQ(x.ep->guest->registered_bytes, 0);
	next_window(&x, 150, src, MXN_RNDV_WINDOW, 100); /* too late: ignored */
	poll_ep(&x);
	CHECK(!tg_next(&x.g, &e));
	CHECK_EQ(x.ep->fault, 0);
	mxd_endpoint_detach(x.ep);
	free(src);
	free(dst);
}

/* y's guest is saved (quieted, detached with its index kept quiet): x's
 * rendezvous announced to y and y's announced to x end AWAY, not CLOSED;
 * x's later send parks instead of failing, and goes once y is back with
 * its session, which may answer x with no CONNECT of its own. */
static void test_away(void)
{
	uint8_t src[64] = { 1 }, dst[64];
	struct tep x, y;
	struct mxn_cmd c;
	struct mxn_evt e;
	uint32_t session, h;
	uint8_t idx;

	CHECK_EQ(open_ep(&x, 5, MXN_ENDPOINT_ANY, 1), 0);
	CHECK_EQ(open_ep(&y, 6, MXN_ENDPOINT_ANY, 1), 0);
	connect_eps(&x, &y);
	post_rndv(&x, &y, MXN_PEER_SELF, 160, src, sizeof(src), sizeof(src));
	poll_ep(&x);
	CHECK_EQ(next(&y).type, MXN_EVT_RECV_RNDV);
	release(&y);
	post_rndv(&y, &x, MXN_PEER_SELF, 161, src, sizeof(src), sizeof(src));
	poll_ep(&y);
	e = next(&x);
	release(&x);
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
	h = e.u.rndv.rndv_handle;
	idx = y.ep->index;
	session = y.ep->session;
	mxd_core_quiet(core, idx, 60000);
	mxd_endpoint_quiesce(y.ep);
	mxd_endpoint_detach(y.ep);
	mxd_core_flush(core);
	e = next(&x);
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 160);
	CHECK_EQ(e.status, MXN_ST_AWAY);
	release(&x);
	post_pull(&x, 162, h, dst, sizeof(dst), sizeof(dst));
	poll_ep(&x);
	e = next(&x);
	CHECK_EQ(e.type, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.status, MXN_ST_AWAY);
	release(&x);
	c = cmd(MXN_CMD_SEND_TINY, 163, NULL);
	c.dest_peer = MXN_PEER_SELF;
	c.dest_endpoint = idx;
	c.dest_session = session;
	c.length = 2;
	memcpy(c.u.tiny, "hi", 2);
	post(&x, &c);
	poll_ep(&x);
	CHECK_EQ(x.ep->nparked, 1);
	CHECK_EQ(open_ep_full(&y, 6, 6, idx, 1, session), 0);
	mxd_core_park_tick(core);
	poll_ep(&x);
	CHECK_EQ(x.ep->nparked, 0);
	e = next(&x);
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 163);
	CHECK_EQ(e.status, MXN_ST_OK);
	release(&x);
	e = next(&y);
	CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
	CHECK_EQ(memcmp(e.u.tiny, "hi", 2), 0);
	release(&y);
	c = cmd(MXN_CMD_SEND_TINY, 164, &x);
	c.length = 2;
	post(&y, &c);
	poll_ep(&y);
	e = next(&x);
	CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
	release(&x);
	mxd_endpoint_detach(x.ep);
	mxd_endpoint_detach(y.ep);
}

/*
 * A peer away for a migration that re-announced itself from its new host
 * (docs/migration.md): x's send parked for its return comes back
 * MXN_ST_MOVED right after the MXN_EVT_MOVED that says where it went, so
 * x's library sends it there; a claim for a connection x never had is
 * refused and leaves the send parked.
 */
static void test_away_moved(void)
{
	const uint64_t b_nic = 0x525400120002ull;
	struct mxd_src now = { .peer = 7, .nic_id = b_nic };
	struct tep x, y;
	struct mxn_cmd c;
	struct mxn_evt e;
	uint8_t idx;

	CHECK_EQ(open_ep(&x, 5, MXN_ENDPOINT_ANY, 1), 0);
	CHECK_EQ(open_ep(&y, 6, MXN_ENDPOINT_ANY, 1), 0);
	connect_eps(&x, &y);
	idx = y.ep->index;
	now.endpoint = idx;
	now.session = y.ep->session;
	mxd_core_quiet(core, idx, 60000);
	mxd_endpoint_quiesce(y.ep);
	mxd_endpoint_detach(y.ep);
	mxd_core_flush(core);
	c = cmd(MXN_CMD_SEND_TINY, 170, NULL);
	c.dest_peer = MXN_PEER_SELF;
	c.dest_endpoint = idx;
	c.dest_session = now.session;
	c.length = 2;
	memcpy(c.u.tiny, "hi", 2);
	post(&x, &c);
	poll_ep(&x);
	CHECK_EQ(x.ep->nparked, 1);
	now.session++; /* not the session x connected to */
	CHECK_EQ(mxd_remote_moved(core, (struct mxd_epref){ x.ep->index, x.ep->session },
				  mxd_core_nic_id(core), &now), -EPERM);
	mxd_core_park_tick(core);
	poll_ep(&x);
	CHECK_EQ(x.ep->nparked, 1);
	now.session--;
	CHECK_EQ(mxd_remote_moved(core, (struct mxd_epref){ x.ep->index, x.ep->session },
				  mxd_core_nic_id(core), &now), 0);
	poll_ep(&x);
	CHECK_EQ(x.ep->nparked, 0);
	e = next(&x);
	CHECK_EQ(e.type, MXN_EVT_MOVED);
	CHECK_EQ(e.u.moved.old_nic_id, mxd_core_nic_id(core));
	CHECK_EQ(e.src_nic_id, b_nic);
	CHECK_EQ(e.src_endpoint, idx);
	release(&x);
	e = next(&x);
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 170);
	CHECK_EQ(e.status, MXN_ST_MOVED);
	release(&x);
	/* x connected to it with its key 1: a mover's connect back with that
	 * key proves it; any other key, or a session x never had, does not */
	CHECK_EQ(mxd_remote_moved_key(core, (struct mxd_epref){ x.ep->index, x.ep->session },
				      idx, now.session, 1), 0);
	CHECK_EQ(mxd_remote_moved_key(core, (struct mxd_epref){ x.ep->index, x.ep->session },
				      idx, now.session, 2), -EPERM);
	CHECK_EQ(mxd_remote_moved_key(core, (struct mxd_epref){ x.ep->index, x.ep->session },
				      idx, now.session + 1, 1), -EPERM);
	mxd_endpoint_detach(x.ep);
}

/* A wire engine that knows one thing: whether x had the mover as a wire
 * partner (remote.h moved_here), and what it was asked. */
static struct {
	int answer, checks, commits;
	struct mxd_epref to;
	uint64_t old_nic;
	uint8_t rep;
	uint32_t rsession, key;
} onto;

static int onto_moved_here(void *priv, struct mxd_epref to, uint64_t old_nic, uint8_t rep,
			   uint32_t rsession, uint32_t key, bool commit)
{
	(void)priv;
	onto.checks += !commit;
	onto.commits += commit;
	onto.to = to;
	onto.old_nic = old_nic;
	onto.rep = rep;
	onto.rsession = rsession;
	onto.key = key;
	return onto.answer;
}

static const struct mxd_remote_ops onto_engine = { .moved_here = onto_moved_here };

/* y connects to x as the endpoint that moved here from old_nic: the
 * status of its CONNECT_DONE; *moved: whether x heard MXN_EVT_MOVED. */
static uint8_t connect_moved_onto(struct tep *y, struct tep *x, uint64_t old_nic, bool *moved)
{
	struct mxn_cmd c = cmd(MXN_CMD_CONNECT, 171, NULL);
	struct mxn_evt e;
	uint8_t status;

	c.u.connect.nic_id = mxd_core_nic_id(core);
	c.u.connect.endpoint = x->ep->index;
	c.u.connect.key = y->ep->key; /* its own: x connected to it with it */
	c.u.connect.moved_from = old_nic;
	c.u.connect.proof = x->ep->session;
	post(y, &c);
	poll_ep(y);
	poll_ep(x);
	do {
		e = next(y);
		release(y);
	} while (e.type != MXN_EVT_CONNECT_DONE);
	status = e.status;
	*moved = false;
	while (tg_next(&x->g, &e)) {
		if (e.type == MXN_EVT_MOVED) {
			*moved = true;
			CHECK_EQ(e.u.moved.old_nic_id, old_nic);
			CHECK_EQ(e.src_nic_id & MXN_NIC_ID_MASK, mxd_core_nic_id(core));
			CHECK_EQ(e.src_peer, MXN_PEER_SELF);
			CHECK_EQ(e.src_endpoint, y->ep->index);
			CHECK_EQ(e.src_session, y->ep->session);
		}
		release(x);
	}
	return status;
}

/*
 * An endpoint that moved to this very host from another (docs/migration.md)
 * connects to x, which had it as a wire partner there: x hears where it
 * went (here) before the engine fails x's sends to the old place.  Its key
 * is its own, which x connected to it with, not x's: taken only when the
 * engine says x made that connection with that key.
 */
static void test_moved_onto(void)
{
	const uint64_t old_nic = 0x525400120009ull;
	struct tep x, y;
	bool moved;

	mxd_core_set_remote(core, &onto_engine, NULL);
	CHECK_EQ(open_ep(&x, 5, MXN_ENDPOINT_ANY, 0x7777), 0);
	CHECK_EQ(open_ep(&y, 6, MXN_ENDPOINT_ANY, 0x4242), 0);
	/* no such partner of x's: its key is needed, and nothing moves */
	onto.answer = -EPERM;
	CHECK_EQ(connect_moved_onto(&y, &x, old_nic, &moved), MXN_ST_BAD_KEY);
	CHECK(!moved && onto.commits == 0);
	/* a partner, but x did not connect to it with this key */
	onto.answer = 0;
	CHECK_EQ(connect_moved_onto(&y, &x, old_nic, &moved), MXN_ST_BAD_KEY);
	CHECK(!moved && onto.commits == 0);
	/* x connected to it with this key: taken, x follows it here */
	onto.answer = 1;
	CHECK_EQ(connect_moved_onto(&y, &x, old_nic, &moved), MXN_ST_OK);
	CHECK(moved && onto.commits == 1);
	CHECK(onto.to.index == x.ep->index && onto.to.session == x.ep->session);
	CHECK(onto.old_nic == old_nic && onto.rep == y.ep->index);
	CHECK(onto.rsession == y.ep->session && onto.key == 0x4242);
	/* with x's own key, a partner x only answered is enough */
	y.ep->key = 0x7777;
	onto.answer = 0;
	CHECK_EQ(connect_moved_onto(&y, &x, old_nic, &moved), MXN_ST_OK);
	CHECK(moved && onto.commits == 2);
	mxd_endpoint_detach(y.ep);
	mxd_endpoint_detach(x.ep);
	mxd_core_flush(core);
	mxd_core_set_remote(core, NULL, NULL);
}

static void test_backlog(struct tep *a)
{
	uint64_t want = 0;
	struct mxn_evt e;
	int posted = 0;
	uint64_t cmds0 = a->ep->st.cmds;

	for (int round = 0; round < 4; round++) {
		struct mxn_cmd c;

		for (int i = 0; i < 12; i++) {
			c = cmd(MXN_CMD_WAKE, 1000 + (uint64_t)posted, NULL);
			if (!tg_post(&a->g, &c))
				break;
			posted++;
		}
		tg_push(&a->g);
		poll_ep(a);
	}
	/* 16 in the ring + 16 in the backlog (soft bound): consumption stopped. */
	CHECK_EQ(a->ep->backlog.count, 16);
	CHECK(a->ep->st.cmds - cmds0 < (uint64_t)posted);
	CHECK(mxd_endpoint_poll(a->ep, 64) == 0); /* no progress while congested */
	while (want < (uint64_t)posted) {
		while (tg_next(&a->g, &e)) {
			CHECK_EQ(e.type, MXN_EVT_WAKE);
			CHECK_EQ(e.u.done.cookie, 1000 + want);
			want++;
		}
		release(a);
		CHECK(poll_ep(a) > 0 || want == (uint64_t)posted);
	}
	CHECK_EQ(a->ep->backlog.count, 0);
	CHECK_EQ(a->ep->st.backlog_peak, 16);
}

/* Closing a receiver completes what waits on it with MXN_ST_CLOSED. */
static void test_close(struct tep *a)
{
	struct tep c, d;
	uint8_t buf[256];
	uint32_t dlen;
	struct mxn_cmd m;
	struct mxn_evt e;

	CHECK_EQ(open_ep(&c, 3, MXN_ENDPOINT_ANY, 1), 0);
	CHECK_EQ(open_ep(&d, 4, MXN_ENDPOINT_ANY, 1), 0);
	connect_eps(a, &c);
	connect_eps(&d, a);
	/* a announces a rendezvous to c, and one to d; d (the sender side of
	 * another) announces one to a. */
	m = cmd(MXN_CMD_SEND_RNDV, 41, &c);
	m.length = sizeof(buf);
	m.u.rndv.desc_off = tg_put_region(&a->g, buf, sizeof(buf), &dlen);
	m.u.rndv.desc_len = dlen;
	post(a, &m);
	m = cmd(MXN_CMD_SEND_RNDV, 42, a);
	m.length = sizeof(buf);
	m.u.rndv.desc_off = tg_put_region(&d.g, buf, sizeof(buf), &dlen);
	m.u.rndv.desc_len = dlen;
	post(&d, &m);
	poll_ep(a);
	poll_ep(&d);
	CHECK_EQ(a->ep->nrndv_out, 1);
	/* c goes away before pulling: a's send completes CLOSED. */
	mxd_endpoint_detach(c.ep);
	mxd_core_flush(core);
	CHECK_EQ(c.destroyed, 1);
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV); /* d's announcement came first */
	{
		struct mxn_evt done = next(a);

		CHECK_EQ(done.type, MXN_EVT_SEND_DONE);
		CHECK_EQ(done.u.done.cookie, 41);
		CHECK_EQ(done.status, MXN_ST_CLOSED);
	}
	CHECK_EQ(a->ep->nrndv_out, 0);
	CHECK_EQ(a->ep->guest->registered_bytes, 0);
	release(a);
	/* d goes away before a pulls: the pull completes CLOSED. */
	mxd_endpoint_detach(d.ep);
	m = cmd(MXN_CMD_PULL, 43, NULL);
	m.u.pull.rndv_handle = e.u.rndv.rndv_handle;
	m.u.pull.pull_len = sizeof(buf);
	m.u.pull.desc_off = tg_put_region(&a->g, buf, sizeof(buf), &dlen);
	m.u.pull.desc_len = dlen;
	post(a, &m);
	poll_ep(a);
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.status, MXN_ST_CLOSED);
	CHECK_EQ(e.u.done.xfer_length, 0);
	release(a);
}

/* A hostile guest is cut off; its neighbour keeps working. */
static void test_hostile(struct tep *a, struct tep *b)
{
	struct mxd_core_stats before, after;
	struct tep h;
	struct mxn_cmd c;
	struct mxn_evt e;

	mxd_core_get_stats(core, &before);
	/* 1: impossible producer index. */
	CHECK_EQ(open_ep(&h, 9, MXN_ENDPOINT_ANY, 1), 0);
	h.g.cmd.ctl->prod = 1000;
	CHECK_EQ(mxd_endpoint_poll(h.ep, 64), -EPROTO);
	mxd_guest_cutoff(h.ep->guest, "test");
	CHECK_EQ(h.destroyed, 1);
	/* 2: queued offset outside the sendq. */
	CHECK_EQ(open_ep(&h, 9, MXN_ENDPOINT_ANY, 1), 0);
	c = cmd(MXN_CMD_SEND_QUEUED, 1, b);
	c.length = 100;
	c.u.q.off = MXN_QUEUE_MIN - 50;
	post(&h, &c);
	CHECK_EQ(mxd_endpoint_poll(h.ep, 64), -EPROTO);
	CHECK(mxd_core_poll_active(core, 0, 0) >= 0); /* the core cuts it off itself */
	CHECK_EQ(h.destroyed, 1);
	/* 3: event cons moved past prod. */
	CHECK_EQ(open_ep(&h, 9, MXN_ENDPOINT_ANY, 1), 0);
	h.g.evt.ctl->cons = 5;
	CHECK_EQ(mxd_endpoint_poll(h.ep, 64), -EPROTO);
	mxd_guest_cutoff(h.ep->guest, "test");
	/* 4: bad region descriptor (total_len disagrees with the length). */
	CHECK_EQ(open_ep(&h, 9, MXN_ENDPOINT_ANY, 1), 0);
	connect_eps(&h, b);
	{
		uint8_t buf[64];
		uint32_t dlen;

		c = cmd(MXN_CMD_SEND_RNDV, 2, b);
		c.length = 65;
		c.u.rndv.desc_off = tg_put_region(&h.g, buf, sizeof(buf), &dlen);
		c.u.rndv.desc_len = dlen;
		post(&h, &c);
	}
	CHECK_EQ(mxd_endpoint_poll(h.ep, 64), -EPROTO);
	mxd_guest_cutoff(h.ep->guest, "test");
	/* 5: unknown opcodes are answered (ABI rule), a flood of them is not. */
	CHECK_EQ(open_ep(&h, 9, MXN_ENDPOINT_ANY, 1), 0);
	c = cmd(MXN_CMD_OP_MAX + 3, 5, NULL);
	post(&h, &c);
	CHECK_EQ(poll_ep(&h), 1);
	e = next(&h);
	CHECK_EQ(e.status, MXN_ST_BAD_REQUEST);
	CHECK_EQ(e.u.done.cookie, 5);
	release(&h);
	int rc = 0;
	for (int i = 0; i < 200 && rc >= 0; i++) {
		if (!tg_post(&h.g, &c)) {
			tg_push(&h.g);
			while (tg_next(&h.g, &e))
				;
			release(&h);
			rc = poll_ep(&h);
			continue;
		}
	}
	CHECK_EQ(rc, -EPROTO);
	mxd_guest_cutoff(h.ep->guest, "flood");
	mxd_core_get_stats(core, &after);
	CHECK_EQ(after.guest_cutoffs - before.guest_cutoffs, 5);
	CHECK(after.ring_faults - before.ring_faults >= 2);
	CHECK(mxd_guest_find(core, MXD_GUEST_LOCAL, 9) == NULL); /* all freed */
	/* The neighbours still talk. */
	c = cmd(MXN_CMD_SEND_TINY, 51, b);
	c.length = 3;
	memcpy(c.u.tiny, "ok!", 3);
	post(a, &c);
	poll_ep(a);
	e = next(b);
	CHECK(!memcmp(e.u.tiny, "ok!", 3));
	release(b);
	CHECK_EQ(next(a).u.done.cookie, 51);
	release(a);
}

/*
 * Keyless injection: an endpoint that never passed b's key check quotes
 * b's session (as the old LCG let anyone derive it, or leaked) - tiny,
 * queued and rendezvous sends are refused BAD_SESSION, b sees nothing, and
 * it is counted.  A session of another opening of the same index, known to
 * the sender from an older connection, does not carry over either.
 */
static void test_unconnected(struct tep *a, struct tep *b)
{
	struct mxd_core_stats before, after;
	uint8_t buf[300];
	uint32_t dlen, s;
	struct tep x, v;
	struct mxn_cmd c;
	struct mxn_evt e;

	mxd_core_get_stats(core, &before);
	CHECK_EQ(open_ep(&x, 30, MXN_ENDPOINT_ANY, 0x7777), 0);
	CHECK_EQ(open_ep(&v, 31, MXN_ENDPOINT_ANY, 0x1234), 0);
	/* what the old daemon handed v: the LCG step after x's session */
	s = x.ep->session * 1103515245u + 12345u;
	c = cmd(MXN_CMD_SEND_TINY, 80, &v);
	c.dest_session = s;
	c.length = 2;
	post(&x, &c);
	c = cmd(MXN_CMD_SEND_TINY, 81, b); /* b's real session */
	c.length = 2;
	post(&x, &c);
	c = cmd(MXN_CMD_SEND_QUEUED, 82, b);
	c.length = 100;
	c.u.q.off = tg_sendq_put(&x.g, buf, 100);
	post(&x, &c);
	c = cmd(MXN_CMD_SEND_RNDV, 83, b);
	c.length = sizeof(buf);
	c.u.rndv.desc_off = tg_put_region(&x.g, buf, sizeof(buf), &dlen);
	c.u.rndv.desc_len = dlen;
	post(&x, &c);
	CHECK_EQ(poll_ep(&x), 4);
	for (uint64_t k = 80; k <= 83; k++) {
		e = next(&x);
		CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
		CHECK_EQ(e.u.done.cookie, k);
		CHECK_EQ(e.status, MXN_ST_BAD_SESSION);
	}
	release(&x);
	CHECK(!tg_next(&v.g, &e));
	CHECK(!tg_next(&b->g, &e));
	CHECK_EQ(x.ep->st.unconnected, 4);
	mxd_core_get_stats(core, &after);
	CHECK_EQ(after.sends_unconnected - before.sends_unconnected, 4);
	/* v connected to x gives x the right to answer; not to reach b. */
	connect_eps(&v, &x);
	c = cmd(MXN_CMD_SEND_TINY, 84, &v);
	c.length = 1;
	post(&x, &c);
	poll_ep(&x);
	CHECK_EQ(next(&v).type, MXN_EVT_RECV_TINY);
	release(&v);
	e = next(&x);
	CHECK_EQ(e.status, MXN_ST_OK);
	release(&x);
	CHECK(a->ep->index != x.ep->index);
	/* v reopened at the same index: x's old connection names the old
	 * opening (stale), and the new session alone is not a connection. */
	{
		uint8_t idx = v.ep->index;
		uint32_t old = v.ep->session;

		mxd_endpoint_detach(v.ep);
		CHECK_EQ(open_ep(&v, 31, idx, 0x1234), 0);
		CHECK(v.ep->session != old);
		c = cmd(MXN_CMD_SEND_TINY, 85, &v);
		post(&x, &c);
		c.dest_session = old;
		c.cookie = 86;
		post(&x, &c);
		poll_ep(&x);
		e = next(&x);
		CHECK_EQ(e.status, MXN_ST_BAD_SESSION);
		e = next(&x);
		CHECK_EQ(e.status, MXN_ST_BAD_SESSION);
		release(&x);
		CHECK(!tg_next(&v.g, &e));
		CHECK_EQ(x.ep->st.unconnected, 5);
	}
	mxd_endpoint_detach(v.ep);
	mxd_endpoint_detach(x.ep);
}

/* Reserved bytes must be zero (abi.h): a command with one set is malformed
 * and cuts its guest off; a neighbour is untouched. */
static void test_reserved(struct tep *a)
{
	struct mxd_core_stats before, after;
	struct mxn_cmd c;
	struct tep h;

	mxd_core_get_stats(core, &before);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(open_ep(&h, 40, MXN_ENDPOINT_ANY, 1), 0);
		switch (i) {
		case 0:
			c = cmd(MXN_CMD_SEND_TINY, 90, &h);
			c.length = 1;
			c.pad = 1;
			break;
		case 1:
			c = cmd(MXN_CMD_CONNECT, 91, NULL);
			c.u.connect.nic_id = mxd_core_nic_id(core);
			c.u.connect.endpoint = a->ep->index;
			c.u.connect.key = a->ep->key;
			c.u.connect.pad[2] = 0x80;
			break;
		case 2:
			c = cmd(MXN_CMD_WAKE, 92, NULL);
			c.u.tiny[5] = 1; /* WAKE has no union member: all of u is reserved */
			break;
		default:
			c = cmd(MXN_CMD_SEND_QUEUED, 93, &h);
			c.length = 100;
			c.u.q.pad1[2] = 7;
			break;
		}
		post(&h, &c);
		CHECK_EQ(mxd_endpoint_poll(h.ep, 64), -EPROTO);
		mxd_guest_cutoff(h.ep->guest, "test");
		CHECK_EQ(h.destroyed, 1);
	}
	mxd_core_get_stats(core, &after);
	CHECK_EQ(after.guest_cutoffs - before.guest_cutoffs, 4);
	CHECK_EQ(after.bad_cmds - before.bad_cmds, 4);
	c = cmd(MXN_CMD_WAKE, 94, NULL); /* all zero: fine */
	post(a, &c);
	poll_ep(a);
	CHECK_EQ(next(a).u.done.cookie, 94);
	release(a);
}

static void test_limits(struct tep *a, struct tep *b)
{
	struct tep x[3];
	struct mxn_cmd c;
	struct mxn_evt e;
	uint8_t *big = malloc(1 << 20);
	uint32_t dlen;

	/* endpoints per guest: 2 in this configuration. */
	CHECK_EQ(open_ep(&x[0], 20, MXN_ENDPOINT_ANY, 1), 0);
	CHECK_EQ(open_ep(&x[1], 20, MXN_ENDPOINT_ANY, 1), 0);
	CHECK_EQ(open_ep(&x[2], 20, MXN_ENDPOINT_ANY, 1), -EMFILE);
	/* an index already taken */
	CHECK_EQ(open_ep(&x[2], 21, a->ep->index, 1), -EBUSY);
	mxd_endpoint_detach(x[0].ep);
	mxd_endpoint_detach(x[1].ep);
	/* registered bytes in flight: 1 MiB + 1 MiB > 1.5 MiB.  The second
	 * send is parked, not refused, and a later tiny send to b waits
	 * behind it (MX order: a refusal retried by the library let later
	 * sends overtake); a LOOKUP, no send, goes on. */
	for (int i = 0; i < 2; i++) {
		c = cmd(MXN_CMD_SEND_RNDV, 60 + (uint64_t)i, b);
		c.length = 1 << 20;
		c.u.rndv.desc_off = tg_put_region(&a->g, big, 1 << 20, &dlen);
		c.u.rndv.desc_len = dlen;
		post(a, &c);
	}
	c = cmd(MXN_CMD_SEND_TINY, 65, b);
	c.length = 4;
	memcpy(c.u.tiny, "late", 4);
	post(a, &c);
	c.cookie = 68; /* to the wire (no engine here): held behind too */
	c.dest_peer = 3;
	post(a, &c);
	c = cmd(MXN_CMD_LOOKUP, 66, NULL);
	c.u.lookup.nic_id = mxd_core_nic_id(core);
	post(a, &c);
	{
		uint64_t nr = a->ep->st.no_resources, parked = a->ep->st.parked;

		poll_ep(a);
		CHECK_EQ(a->ep->st.no_resources, nr);
		CHECK_EQ(a->ep->st.parked, parked + 3);
		CHECK_EQ(a->ep->nparked, 3);
	}
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_LOOKUP_DONE); /* and no SEND_DONE */
	CHECK_EQ(e.u.done.cookie, 66);
	release(a);
	CHECK(!tg_next(&a->g, &e));
	e = next(b);
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
	release(b);
	CHECK(!tg_next(&b->g, &e)); /* 65 waits behind 61 */
	/* b pulls 60: the room comes back, a is woken, 61 then 65 go. */
	post_pull(b, 67, e.u.rndv.rndv_handle, big, 1 << 20, 1 << 20);
	poll_ep(b);
	CHECK_EQ(next(b).u.done.cookie, 67);
	release(b);
	CHECK(a->ep->active);
	poll_ep(a);
	CHECK_EQ(a->ep->nparked, 0);
	e = next(a);
	CHECK_EQ(e.u.done.cookie, 60);
	CHECK_EQ(e.status, MXN_ST_OK);
	e = next(a);
	CHECK_EQ(e.u.done.cookie, 65);
	CHECK_EQ(e.status, MXN_ST_OK);
	e = next(a);
	CHECK_EQ(e.u.done.cookie, 68);
	CHECK_EQ(e.status, MXN_ST_BAD_ENDPOINT);
	release(a);
	e = next(b);
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
	CHECK_EQ(e.length, 1u << 20);
	e = next(b);
	CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
	CHECK(!memcmp(e.u.tiny, "late", 4));
	release(b);
	/* The limits the library queues by, in the area header. */
	CHECK_EQ(((struct mxn_area_hdr *)(void *)a->ep->area)->registered_max, 3u << 19);
	CHECK_EQ(((struct mxn_area_hdr *)(void *)a->ep->area)->rndv_max, a->ep->outstanding);
	/* remote destinations without a wire engine */
	c = cmd(MXN_CMD_SEND_TINY, 62, b);
	c.dest_peer = 3;
	post(a, &c);
	c = cmd(MXN_CMD_LOOKUP, 63, NULL);
	c.u.lookup.nic_id = 0x0000aabbccddeeffull & 0xffffffffffffull;
	post(a, &c);
	c = cmd(MXN_CMD_LOOKUP, 64, NULL);
	c.u.lookup.name_len = (uint32_t)strlen(mxd_core_hostname(core));
	c.u.lookup.name_off = tg_sendq_put(&a->g, mxd_core_hostname(core), c.u.lookup.name_len);
	post(a, &c);
	poll_ep(a);
	e = next(a);
	CHECK_EQ(e.status, MXN_ST_BAD_ENDPOINT);
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_LOOKUP_DONE);
	CHECK_EQ(e.status, MXN_ST_NOT_FOUND);
	e = next(a);
	CHECK_EQ(e.type, MXN_EVT_LOOKUP_DONE);
	CHECK_EQ(e.status, MXN_ST_OK);
	CHECK_EQ(e.u.lookup.nic_id, mxd_core_nic_id(core));
	CHECK(!memcmp(a->g.recvq + e.u.lookup.name_off, mxd_core_hostname(core),
		      e.u.lookup.name_len));
	release(a);
	/* Closing b drops the unpulled announcement: a's send completes CLOSED
	 * and the registered bytes come back. */
	mxd_endpoint_detach(b->ep);
	mxd_core_flush(core);
	e = next(a);
	CHECK_EQ(e.u.done.cookie, 61);
	CHECK_EQ(e.status, MXN_ST_CLOSED);
	release(a);
	CHECK_EQ(a->ep->guest->registered_bytes, 0);
	free(big);
}

/*
 * Limits count per principal (the uid on the local transport): nine
 * processes of one user share one quota, and another user still opens.
 * With a quota as large as the host, the reserve keeps the last free
 * indices for principals that hold none.
 */
static void test_principals(void)
{
	static struct tep t[MXN_ENDPOINTS_MAX];
	struct mxd_core *saved = core;
	struct mxd_core_stats st;
	struct mxd_config c2;
	unsigned n = 0;
	static struct tep extra[3]; /* one each: the transport frees its own area */

	mxd_config_defaults(&c2); /* 32 per principal, reserve 16 */
	CHECK_EQ(mxd_core_new(&c2, &core), 0);
	for (uint32_t pid = 100; pid < 109; pid++)
		for (int i = 0; i < 32; i++)
			if (!open_ep_as(&t[n], pid, 1000, MXN_ENDPOINT_ANY, 1))
				n++;
	CHECK_EQ(n, 32);
	CHECK_EQ(open_ep_as(&extra[0], 300, 1001, MXN_ENDPOINT_ANY, 1), 0);
	mxd_core_get_stats(core, &st);
	CHECK_EQ(st.open_limited, 9 * 32 - 32);
	mxd_core_free(core);

	c2.limits.endpoints = MXN_ENDPOINTS_MAX;
	CHECK_EQ(mxd_core_new(&c2, &core), 0);
	for (n = 0; n < MXN_ENDPOINTS_MAX && !open_ep_as(&t[n], 100 + n % 9, 1000,
							 MXN_ENDPOINT_ANY, 1); n++)
		;
	CHECK_EQ(n, MXN_ENDPOINT_ANY - 16); /* 255 indices, 16 kept */
	CHECK_EQ(open_ep_as(&extra[0], 300, 1001, MXN_ENDPOINT_ANY, 1), 0);
	CHECK_EQ(open_ep_as(&extra[1], 300, 1001, MXN_ENDPOINT_ANY, 1), -EMFILE);
	CHECK_EQ(open_ep_as(&extra[1], 301, 1002, MXN_ENDPOINT_ANY, 1), 0);
	/* a domain is its own principal, apart from the local uids */
	{
		struct mxd_endpoint_params p = { .ops = &t_ops, .tp = &extra[2], .key = 1,
						 .endpoint = MXN_ENDPOINT_ANY };
		struct mxd_guest *g;

		memset(&extra[2], 0, sizeof(extra[2]));
		CHECK_EQ(mxn_layout_compute(&p.geo, 4, 4, MXN_QUEUE_MIN, MXN_QUEUE_MIN), 0);
		extra[2].area = p.area = aligned_alloc(MXN_PAGE_SIZE, p.geo.area_size);
		CHECK(p.area);
		CHECK_EQ(mxd_guest_get(core, MXD_GUEST_XEN, 1000, "dom", &g), 0);
		CHECK_EQ(mxd_endpoint_attach(core, g, &p, &extra[2].ep), 0);
		mxd_guest_put(g);
	}
	mxd_core_free(core);
	core = saved;
}

/* Indices kept for a re-attach after a restart (mxd_core_reserve): no
 * opening gets them, the session's re-attach does, expiry frees them. */
static void test_reserve(void)
{
	static struct tep t[4];
	struct mxd_core *saved = core;
	struct mxd_config c2;

	mxd_config_defaults(&c2);
	CHECK_EQ(mxd_core_new(&c2, &core), 0);
	mxd_core_reserve(core, 0, 77, mxd_now_ns() + 3600ull * 1000000000ull);
	mxd_core_reserve(core, 2, 78, mxd_now_ns() - 1);            /* expired */
	CHECK_EQ(open_ep(&t[0], 100, MXN_ENDPOINT_ANY, 1), 0);
	CHECK_EQ(t[0].ep->index, 1);                                /* 0 is kept */
	CHECK_EQ(open_ep(&t[1], 100, 0, 1), -EBUSY);
	CHECK_EQ(open_ep_full(&t[1], 100, 100, 0, 1, 76), -EBUSY);   /* not its session */
	CHECK_EQ(open_ep_full(&t[1], 100, 100, 0, 1, 77), 0);
	CHECK_EQ(t[1].ep->session, 77);
	CHECK_EQ(open_ep(&t[2], 100, 2, 1), 0);                     /* expiry freed it */
	mxd_core_free(core);
	core = saved;
}

static int wakeups;

static void on_wakeup(void *arg)
{
	(void)arg;
	wakeups++;
}

/* Anticipatory polling: an endpoint stays active for the window after its
 * last work, then arms its doorbell with a final check.  (The loop passes
 * poll_window_us, or 0 when it may not spin: myrixen/spin.h.) */
#define WINDOW_NS 1000000ull
static void test_poll_window(struct tep *a)
{
	struct mxd_config c2 = cfg;
	struct mxn_cmd c = cmd(MXN_CMD_WAKE, 70, NULL);
	uint32_t prod_event;
	uint64_t t0;

	/* Start from a quiet core: every endpoint armed and idle. */
	for (int i = 0; i < 10 && mxd_core_poll_active(core, mxd_now_ns() + 10000000000ull, 0); i++)
		;
	CHECK(!a->ep->active);
	c2.poll_window_us = 1000;
	mxd_core_reconfigure(core, &c2);
	mxd_core_set_wakeup(core, on_wakeup, NULL);
	wakeups = 0;
	mxd_endpoint_kick(a->ep);
	CHECK_EQ(wakeups, 1);
	CHECK(a->ep->active);
	/* While active the doorbell is disarmed: pushes ask for no kick. */
	CHECK(tg_post(&a->g, &c));
	CHECK(!tg_push(&a->g));
	t0 = mxd_now_ns();
	CHECK_EQ(mxd_core_poll_active(core, t0, WINDOW_NS), 1); /* did work */
	mxd_core_flush(core);
	CHECK_EQ(next(a).u.done.cookie, 70);
	release(a);
	CHECK_EQ(mxd_core_poll_active(core, t0 + 500000, WINDOW_NS), 1); /* inside the window */
	CHECK(a->ep->active);
	/* Window over, but a command raced in before the arm: still active. */
	c.cookie = 71;
	CHECK(tg_post(&a->g, &c));
	tg_push(&a->g);
	CHECK_EQ(mxd_core_poll_active(core, t0 + 2000000, WINDOW_NS), 1);
	CHECK(a->ep->active);
	mxd_core_flush(core);
	CHECK_EQ(next(a).u.done.cookie, 71);
	release(a);
	/* Quiet for a whole window: armed (prod_event = cons + 1) and idle. */
	mxd_core_poll_active(core, t0 + 4000000, WINDOW_NS); /* sees the released events */
	CHECK_EQ(mxd_core_poll_active(core, t0 + 6000000, WINDOW_NS), 0);
	CHECK(!a->ep->active);
	prod_event = a->g.cmd.ctl->prod_event;
	CHECK_EQ(prod_event, a->ep->cmd.cons_pvt + 1);
	/* Now the next command asks for a kick. */
	c.cookie = 72;
	CHECK(tg_post(&a->g, &c));
	CHECK(tg_push(&a->g));
	mxd_endpoint_kick(a->ep);
	CHECK_EQ(wakeups, 2);
	mxd_core_poll_active(core, mxd_now_ns(), WINDOW_NS);
	mxd_core_flush(core);
	CHECK_EQ(next(a).u.done.cookie, 72);
	release(a);
	mxd_core_set_wakeup(core, NULL, NULL);
	mxd_core_reconfigure(core, &cfg);
}

/* A guest the core wakes with an event answers soon: while the loop spins
 * (mxd_core_set_anticipate), its ring is polled from then on, so its
 * answer needs no doorbell; while the loop sleeps, nothing changes. */
static void woken_tiny(struct tep *a, struct tep *b, uint64_t cookie)
{
	struct mxn_cmd c = cmd(MXN_CMD_SEND_TINY, cookie, b);

	c.length = 2;
	memcpy(c.u.tiny, "hi", 2);
	CHECK(!mxn_ring_arm(&b->g.evt)); /* b sleeps until an event comes */
	post(a, &c);
	poll_ep(a);
	CHECK_EQ(next(b).type, MXN_EVT_RECV_TINY);
	release(b);
	CHECK_EQ(next(a).u.done.cookie, cookie);
	release(a);
}

static void test_anticipate(struct tep *a, struct tep *b)
{
	struct mxn_cmd c = cmd(MXN_CMD_WAKE, 80, NULL);
	int notifies = b->notifies;

	for (int i = 0; i < 10 && mxd_core_poll_active(core, mxd_now_ns() + 10000000000ull, 0); i++)
		;
	CHECK(!a->ep->active && !b->ep->active);
	woken_tiny(a, b, 81);
	CHECK_EQ(b->notifies, notifies + 1);
	CHECK(!b->ep->active);
	mxd_core_poll_active(core, mxd_now_ns() + 10000000000ull, 0);
	mxd_core_set_anticipate(core, true);
	woken_tiny(a, b, 82);
	CHECK_EQ(b->notifies, notifies + 2);
	CHECK(b->ep->active);
	/* b's answer rings nothing: the core polls its ring */
	CHECK(tg_post(&b->g, &c));
	CHECK(!tg_push(&b->g));
	CHECK(mxd_core_poll_active(core, mxd_now_ns(), 0) >= 1);
	mxd_core_flush(core);
	CHECK_EQ(next(b).u.done.cookie, 80);
	release(b);
	mxd_core_set_anticipate(core, false);
	for (int i = 0; i < 10 && mxd_core_poll_active(core, mxd_now_ns() + 10000000000ull, 0); i++)
		;
	CHECK(!a->ep->active && !b->ep->active);
}

int main(void)
{
	struct tep a, b;
	struct mxd_core_stats st;

	mxd_config_defaults(&cfg);
	cfg.limits.endpoints = 2;
	cfg.limits.registered_bytes = 3u << 19;
	cfg.poll_window_us = 0;
	CHECK_EQ(mxd_core_new(&cfg, &core), 0);
	CHECK_EQ(open_ep(&a, 1, 3, 0x1234), 0);
	CHECK_EQ(open_ep(&b, 2, MXN_ENDPOINT_ANY, 0x1234), 0);
	CHECK_EQ(a.ep->index, 3);
	CHECK(a.ep->session != b.ep->session);
	test_connect(&a, &b);
	test_tiny_queued(&a, &b);
	test_quiet(&a, &b);
	test_receiver_full(&a, &b);
	test_rndv(&a, &b, 300000, 300000, false);
	test_rndv(&a, &b, 300000, 1000, true); /* truncation */
	test_rndv(&a, &b, 1, 4096, false);
	/* empty regions: a 0-byte synchronous send, empty pulls */
	test_rndv(&a, &b, 0, 0, true);
	test_rndv(&a, &b, 0, 4096, true);
	test_rndv(&a, &b, 5000, 0, false);
	test_windows(&a, &b);
	test_windows_close();
	test_away();
	test_away_moved();
	test_moved_onto();
	test_backlog(&a);
	test_poll_window(&a);
	test_anticipate(&a, &b);
	test_close(&a);
	test_hostile(&a, &b);
	test_unconnected(&a, &b);
	test_reserved(&a);
	test_limits(&a, &b);
	test_principals();
	test_reserve();
	mxd_core_get_stats(core, &st);
	CHECK_EQ(st.endpoints, 1);
	mxd_core_free(core);
	CHECK_EQ(a.destroyed, 1);
	printf("daemon core: ok\n");
	return 0;
}
