/* Surviving the daemon (lib/reattach.c), driven by hand through an
 * in-memory area: sends carry per-destination sequence numbers in the
 * cookie's top bits; when the transport is lost the library drains what
 * the old daemon produced, re-attaches (same index and session, rings from
 * 0), connects again, and sends again in first-issue order what had not
 * completed, with its number and its original bytes even though the
 * application reused its buffer; a receiver drops a resent arrival it
 * already took; a send refused "closed" while peers re-attach is tried
 * again instead of failing. */
#include <errno.h>
#include <unistd.h>
#include "area.h"
#include "check.h"

static int reattached;
static bool refuse;
static uint64_t moved_to;      /* the new host's nic id after xl migrate (0: same) */

/* The new daemon: both rings start from 0, same index and session. */
static int tr_reattach(struct mxl_transport *t, struct mxn_open_rsp *rsp, bool *regions_lost)
{
	const struct mxn_area_hdr *h = t->area;
	struct mxn_ring_ctl *cmd = (void *)((uint8_t *)t->area + h->cmd_ctl_off);
	struct mxn_ring_ctl *evt = (void *)((uint8_t *)t->area + h->evt_ctl_off);

	reattached++;
	if (refuse)
		return -ETIMEDOUT;
	memset(cmd, 0, sizeof(*cmd));
	memset(evt, 0, sizeof(*evt));
	memset(rsp, 0, sizeof(*rsp));
	rsp->abi_version = MYRIXEN_ABI_VERSION;
	rsp->nic_id = moved_to ? moved_to : 0x0a0b0c0d0e0full;
	rsp->endpoint = 3;
	rsp->session = 77;
	rsp->medium_max = MXN_MEDIUM_MAX_DEFAULT;
	*regions_lost = false;
	return 0;
}

static struct mxl_transport_ops tr_ops;

static struct mx_endpoint *tr_endpoint(void)
{
	struct mx_endpoint *ep = ta_endpoint();

	tr_ops = ta_ops;
	tr_ops.reattach = tr_reattach;
	ep->t.ops = &tr_ops;
	return ep;
}

static const uint64_t peer_nic = 0x112233445566ull;

static mx_endpoint_addr_t peer_addr(void)
{
	struct mxl_addr a = { .nic_id = peer_nic, .session = 1234, .peer = 0, .endpoint = 9,
			      .valid = true };
	mx_endpoint_addr_t out;

	mxl_addr_pack(&a, &out);
	return out;
}

static struct mxn_evt tiny_from_peer(uint64_t match, uint16_t seq, uint8_t byte)
{
	struct mxn_evt e = ta_arrival(MXN_EVT_RECV_TINY, match, 1);

	e.src_peer = 0;
	e.src_nic_id = mxn_evt_nic_seq(peer_nic, seq);
	e.u.tiny[0] = byte;
	return e;
}

/* A tiny message #seq from (nic, peer, endpoint, session) taken by a
 * receive posted for it: its status (source) in *st. */
static void take_tiny_from(struct mx_endpoint *ep, uint64_t nic, uint16_t seq, uint8_t peer,
			   uint8_t endpoint, uint32_t session, mx_status_t *st)
{
	static uint8_t rbuf[8];
	mx_segment_t rs = { rbuf, 8 };
	mx_request_t rr;
	struct mxn_evt e;
	uint32_t res;

	CHECK_EQ(mx_irecv(ep, &rs, 1, 0, 0, NULL, &rr), MX_SUCCESS);
	e = tiny_from_peer(30, seq, 1);
	e.src_nic_id = mxn_evt_nic_seq(nic, seq);
	e.src_peer = peer;
	e.src_endpoint = endpoint;
	e.src_session = session;
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK_EQ(mx_test(ep, &rr, st, &res), MX_SUCCESS);
	CHECK(res && st->code == MX_STATUS_SUCCESS);
}

/* The guest moved to 'there': the transport is lost, the new daemon answers. */
static void move_to(struct mx_endpoint *ep, uint64_t there)
{
	moved_to = there;
	ep->lost = true;
	mxl_progress(ep);
	CHECK_EQ(reattached, 1);
}

static void connect_peer(struct mx_endpoint *ep)
{
	mx_request_t r;
	mx_status_t st;
	struct mxn_cmd c;
	struct mxn_evt e;
	uint32_t res;

	CHECK_EQ(mx_iconnect(ep, peer_nic, 9, 0x55, 0, NULL, &r), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_CONNECT);
	memset(&e, 0, sizeof(e));
	e.type = MXN_EVT_CONNECT_DONE;
	e.u.connect.cookie = c.cookie;
	e.u.connect.nic_id = peer_nic;
	e.u.connect.endpoint = 9;
	e.u.connect.session = 1234;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
}

/* After a re-attach the new daemon's number of the peer's host is asked
 * for (lib/peermap.c): the next command is that LOOKUP; the daemon
 * answers 'peer'. */
static void answer_lookup(struct mx_endpoint *ep, uint16_t peer)
{
	struct mxn_cmd c;
	struct mxn_evt e;

	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_LOOKUP);
	CHECK_EQ(c.u.lookup.nic_id, peer_nic);
	memset(&e, 0, sizeof(e));
	e.type = MXN_EVT_LOOKUP_DONE;
	e.u.lookup.cookie = c.cookie;
	e.u.lookup.nic_id = peer_nic;
	e.u.lookup.peer = peer;
	ta_put_evt(ep, &e);
	mxl_progress(ep);
}

static void test_resend_in_order(void)
{
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t buf[3][2000], rbuf[8];
	mx_segment_t s0 = { buf[0], 8 }, s1 = { buf[1], 100 }, s2 = { buf[2], 2000 };
	mx_segment_t rs = { rbuf, sizeof(rbuf) };
	mx_request_t a, b, c2, rr;
	struct mxn_cmd c, ca, cb, cc;
	mx_status_t st;
	uint32_t res;

	connect_peer(ep);
	memset(buf, 0x11, sizeof(buf));
	CHECK_EQ(mx_isend(ep, &s0, 1, peer_addr(), 1, NULL, &a), MX_SUCCESS);
	memset(buf[1], 0x22, sizeof(buf[1]));
	CHECK_EQ(mx_isend(ep, &s1, 1, peer_addr(), 2, NULL, &b), MX_SUCCESS);
	memset(buf[2], 0x33, sizeof(buf[2]));
	CHECK_EQ(mx_isend(ep, &s2, 1, peer_addr(), 3, NULL, &c2), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &ca) && ta_take_cmd(ep, &cb) && ta_take_cmd(ep, &cc));
	/* numbered 1, 2, 3 for this destination, in the cookie's top bits */
	CHECK_EQ(mxn_cmd_seq(&ca), 1);
	CHECK_EQ(mxn_cmd_seq(&cb), 2);
	CHECK_EQ(mxn_cmd_seq(&cc), 3);
	/* the first completes; the application reuses the buffers of the
	 * other two (they were buffered) */
	ta_put_evt(ep, &(struct mxn_evt){ .type = MXN_EVT_SEND_DONE,
					  .u.done = { .cookie = ca.cookie, .xfer_length = 8 } });
	CHECK_EQ(mx_test(ep, &a, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	memset(buf, 0xee, sizeof(buf));
	/* the old daemon produced an arrival before it went */
	CHECK_EQ(mx_irecv(ep, &rs, 1, 0, 0, NULL, &rr), MX_SUCCESS);
	{
		struct mxn_evt e = tiny_from_peer(40, 5, 0x5a);

		ta_put_evt(ep, &e);
	}
	ep->lost = true; /* the shim cut us off: POLLHUP */
	mxl_progress(ep);
	CHECK_EQ(reattached, 1);
	CHECK_EQ(ep->counters[MXL_CNT_REATTACH], 1);
	/* drained first: the arrival reached the posted receive */
	CHECK_EQ(mx_test(ep, &rr, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.match_info, 40);
	CHECK_EQ(rbuf[0], 0x5a);
	/* rings from 0: connect again, ask the new daemon's number of the
	 * peer's host, then the two sends with their numbers, to that one */
	CHECK_EQ(ep->cmd.prod_pvt, 2);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_CONNECT);
	CHECK_EQ(c.u.connect.nic_id, peer_nic);
	CHECK_EQ(c.u.connect.endpoint, 9);
	CHECK_EQ(c.u.connect.key, 0x55);
	answer_lookup(ep, 6);
	CHECK_EQ(ep->counters[MXL_CNT_PEER_REMAP], 1);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_QUEUED);
	CHECK_EQ(c.dest_peer, 6);
	CHECK_EQ(mxn_cmd_seq(&c), 2);
	CHECK_EQ(c.match_info, 2);
	CHECK_EQ(ep->sendq[c.u.q.off], 0x22);      /* the bytes as sent, not 0xee */
	CHECK_EQ(ep->sendq[c.u.q.off + 99], 0x22);
	ta_put_evt(ep, &(struct mxn_evt){ .type = MXN_EVT_SEND_DONE,
					  .u.done = { .cookie = c.cookie, .xfer_length = 100 } });
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_QUEUED);
	CHECK_EQ(mxn_cmd_seq(&c), 3);
	CHECK_EQ(ep->sendq[c.u.q.off + 1999], 0x33);
	CHECK_EQ(ep->counters[MXL_CNT_RESENT], 2);
	/* the peer is not back yet: "closed" is tried again, not reported */
	ta_put_evt(ep, &(struct mxn_evt){ .type = MXN_EVT_SEND_DONE, .status = MXN_ST_CLOSED,
					  .u.done = { .cookie = c.cookie } });
	/* buffered sends completed at issue (their sendq chunk held until
	 * SEND_DONE): the application saw success long ago */
	CHECK_EQ(mx_test(ep, &b, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
	CHECK_EQ(mx_test(ep, &c2, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
	CHECK_EQ(ep->nzombies, 1);               /* ... but the third is still held */
	CHECK(!ta_take_cmd(ep, &c));
	usleep(30000);
	mxl_progress(ep);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(mxn_cmd_seq(&c), 3);
	CHECK_EQ(ep->sendq[c.u.q.off], 0x33);
	ta_put_evt(ep, &(struct mxn_evt){ .type = MXN_EVT_SEND_DONE,
					  .u.done = { .cookie = c.cookie, .xfer_length = 2000 } });
	mxl_progress(ep);
	CHECK_EQ(ep->nzombies, 0);
	CHECK_EQ(ep->counters[MXL_CNT_ZOMBIE_FAILED], 0);
	/* new sends keep counting for that destination */
	CHECK_EQ(mx_isend(ep, &s0, 1, peer_addr(), 4, NULL, &a), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(mxn_cmd_seq(&c), 4);
	mxl_endpoint_close(ep);
}

static void test_duplicates_dropped(void)
{
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t rbuf[3][8];
	mx_segment_t rs[3] = { { rbuf[0], 8 }, { rbuf[1], 8 }, { rbuf[2], 8 } };
	mx_request_t r[3];
	mx_status_t st;
	uint32_t res, i;
	struct mxn_evt e;

	for (i = 0; i < 3; i++)
		CHECK_EQ(mx_irecv(ep, &rs[i], 1, 0, 0, NULL, &r[i]), MX_SUCCESS);
	e = tiny_from_peer(1, 7, 1);
	ta_put_evt(ep, &e);
	e = tiny_from_peer(1, 7, 2); /* resent: dropped */
	ta_put_evt(ep, &e);
	e = tiny_from_peer(2, 8, 3);
	ta_put_evt(ep, &e);
	e = tiny_from_peer(9, 0, 4); /* unnumbered: always taken */
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK_EQ(ep->counters[MXL_CNT_DUP_DROPPED], 1);
	CHECK_EQ(mx_test(ep, &r[0], &st, &res), MX_SUCCESS);
	CHECK(res && st.match_info == 1 && rbuf[0][0] == 1);
	CHECK_EQ(mx_test(ep, &r[1], &st, &res), MX_SUCCESS);
	CHECK(res && st.match_info == 2 && rbuf[1][0] == 3);
	CHECK_EQ(mx_test(ep, &r[2], &st, &res), MX_SUCCESS);
	CHECK(res && st.match_info == 9 && rbuf[2][0] == 4);
	{
		uint64_t nic;
		uint32_t eid;

		/* the number never shows in the sender's nic id */
		CHECK_EQ(mx_decompose_endpoint_addr(st.source, &nic, &eid), MX_SUCCESS);
		CHECK_EQ(nic, peer_nic);
		CHECK_EQ(eid, 9);
	}
	mxl_endpoint_close(ep);
}

static void test_reattach_fails(void)
{
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t buf[8];
	mx_segment_t s = { buf, 8 };
	mx_request_t a;
	mx_status_t st;
	uint32_t res;

	refuse = true;
	/* synchronous: not complete until matched */
	CHECK_EQ(mx_issend(ep, &s, 1, peer_addr(), 1, NULL, &a), MX_SUCCESS);
	ep->lost = true;
	mxl_progress(ep);
	CHECK(ep->dead);
	CHECK_EQ(mx_test(ep, &a, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_ABORTED);
	refuse = false;
	mxl_endpoint_close(ep);
}

/*
 * xl migrate (issue 13): the endpoint comes back with its index and session
 * on a host of another nic id.  A sibling endpoint of the same guest
 * (moved with it) is still named by the old nic id in the application's
 * address: sends to it go to this host's own peer index, connections to the
 * old nic id are made here, and its numbers go on, both ways: a message it
 * sends again from the new nic id is dropped, a new send continues the
 * count.
 */
static void test_moved_to_another_host(void)
{
	const uint64_t home = 0x0a0b0c0d0e0full, there = 0x525400120002ull;
	struct mxl_addr sa = { .nic_id = home, .session = 4321, .peer = MXN_PEER_SELF,
			       .endpoint = 5, .valid = true };
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t buf[8], rbuf[2][8];
	mx_segment_t s0 = { buf, 8 }, rs[2] = { { rbuf[0], 8 }, { rbuf[1], 8 } };
	mx_endpoint_addr_t sib;
	mx_request_t a, r[2];
	struct mxn_cmd c;
	struct mxn_evt e;
	mx_status_t st;
	uint32_t res;

	mxl_addr_pack(&sa, &sib);
	reattached = 0;
	/* the sibling sent us #7; we send it #1 (not completed when we move) */
	CHECK_EQ(mx_irecv(ep, &rs[0], 1, 0, 0, NULL, &r[0]), MX_SUCCESS);
	e = ta_arrival(MXN_EVT_RECV_TINY, 70, 1);
	e.src_peer = MXN_PEER_SELF;
	e.src_endpoint = 5;
	e.src_session = 4321;
	e.src_nic_id = mxn_evt_nic_seq(home, 7);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_isend(ep, &s0, 1, sib, 1, NULL, &a), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(mxn_cmd_seq(&c), 1);
	moved_to = there;
	ep->lost = true;
	mxl_progress(ep);
	CHECK_EQ(reattached, 1);
	CHECK_EQ(ep->info.nic_id, there);
	CHECK_EQ(ep->counters[MXL_CNT_MOVED], 1);
	CHECK_EQ(mx_test(ep, &r[0], &st, &res), MX_SUCCESS);
	CHECK(res && st.match_info == 70);
	/* it sent to us, we never connected: told of the move first (the new
	 * daemon makes that connect here: the index is the same guest's) */
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_CONNECT);
	CHECK_EQ(c.u.connect.nic_id, home);
	CHECK_EQ(c.u.connect.endpoint, 5);
	CHECK_EQ(c.u.connect.moved_from, home);
	CHECK_EQ(c.u.connect.proof, 4321);
	/* sent again here, to this host's own index, with its number */
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_TINY);
	CHECK_EQ(c.dest_peer, MXN_PEER_SELF);
	CHECK_EQ(c.dest_endpoint, 5);
	CHECK_EQ(c.dest_session, 4321);
	CHECK_EQ(mxn_cmd_seq(&c), 1);
	/* the sibling sends #7 again, now from the new nic id: dropped; #8 taken */
	CHECK_EQ(mx_irecv(ep, &rs[1], 1, 0, 0, NULL, &r[1]), MX_SUCCESS);
	e.src_nic_id = mxn_evt_nic_seq(there, 7);
	e.match_info = 71;
	ta_put_evt(ep, &e);
	e.src_nic_id = mxn_evt_nic_seq(there, 8);
	e.match_info = 72;
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK_EQ(ep->counters[MXL_CNT_DUP_DROPPED], 1);
	CHECK_EQ(mx_test(ep, &r[1], &st, &res), MX_SUCCESS);
	CHECK(res && st.match_info == 72);
	/* the application's address (old nic id) still works; the count goes on */
	CHECK_EQ(mx_isend(ep, &s0, 1, sib, 2, NULL, &a), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.dest_peer, MXN_PEER_SELF);
	CHECK_EQ(mxn_cmd_seq(&c), 2);
	/* an endpoint of the host we moved to, named by the old daemon's index
	 * of that host: local now */
	{
		struct mxl_addr ba = { .nic_id = there, .session = 999, .peer = 7, .endpoint = 2,
				       .valid = true };
		mx_endpoint_addr_t b_addr;

		mxl_addr_pack(&ba, &b_addr);
		CHECK_EQ(mx_isend(ep, &s0, 1, b_addr, 3, NULL, &a), MX_SUCCESS);
		CHECK(ta_take_cmd(ep, &c));
		CHECK_EQ(c.dest_peer, MXN_PEER_SELF);
		CHECK_EQ(c.dest_endpoint, 2);
	}
	/* a connect to the old nic id asks this daemon whether that endpoint
	 * moved along (its index here is the same guest's) or stayed there */
	CHECK_EQ(mx_iconnect(ep, home, 5, 0x55, 0, NULL, &a), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_CONNECT);
	CHECK_EQ(c.u.connect.nic_id, home);
	CHECK_EQ(c.u.connect.moved_from, home);
	CHECK_EQ(c.u.connect.proof, 0); /* nothing to re-announce to a new peer */
	moved_to = 0;
	mxl_endpoint_close(ep);
}

/* The old daemon's PULL_GRANT for 1 KiB, put as the daemon does. */
static void put_grant(struct mx_endpoint *ep, uint64_t cookie, uint32_t handle, const void *from,
		      uint32_t len)
{
	struct mxn_vaddr_seg seg = { .addr = (uint64_t)(uintptr_t)from, .len = len };
	struct mxn_evt e;

	memcpy((uint8_t *)(uintptr_t)ep->recvq + 512, &seg, sizeof(seg)); /* the daemon writes it */
	memset(&e, 0, sizeof(e));
	e.type = MXN_EVT_PULL_GRANT;
	e.length = len;
	e.u.grant = (struct mxn_evt_grant){ .cookie = cookie, .pid = (uint32_t)getpid(),
					    .xfer_length = len, .segs_off = 512, .nsegs = 1,
					    .rndv_handle = handle };
	ta_put_evt(ep, &e);
}

static struct mxn_evt rndv_from_peer(uint16_t seq, uint32_t handle, uint32_t len)
{
	struct mxn_evt e = ta_arrival(MXN_EVT_RECV_RNDV, 7, len);

	e.src_peer = 0;
	e.src_nic_id = mxn_evt_nic_seq(peer_nic, seq);
	e.u.rndv.rndv_handle = handle;
	return e;
}

/*
 * The daemon stopped with a PULL_GRANT in our event ring: the drain copies
 * it, but its PULL_FIN never reaches the old daemon.  When the sender's
 * resent rendezvous comes (new handle), the receive pulls again; a PULL_FIN
 * quoting the new handle names a grant the new daemon never made (it drops
 * it) and the sender's send would never complete.
 */
static void test_grant_before_restart(void)
{
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t src[1024], rbuf[1024];
	mx_segment_t rs = { rbuf, sizeof(rbuf) };
	mx_request_t rr;
	struct mxn_cmd c;
	struct mxn_evt e;
	mx_status_t st;
	uint32_t res;

	reattached = 0;
	memset(src, 0xab, sizeof(src));
	CHECK_EQ(mx_irecv(ep, &rs, 1, 0, 0, NULL, &rr), MX_SUCCESS);
	e = rndv_from_peer(4, 100, sizeof(src));
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_PULL);
	CHECK_EQ(c.u.pull.rndv_handle, 100);
	put_grant(ep, c.cookie, 100, src, sizeof(src));
	ep->lost = true; /* the daemon went before it read our PULL_FIN */
	mxl_progress(ep);
	CHECK_EQ(reattached, 1);
	CHECK_EQ(rbuf[0], 0xab); /* the drain copied it */
	CHECK(!ta_take_cmd(ep, &c));
	/* the sender's rendezvous again, a new handle: taken before */
	e = rndv_from_peer(4, 200, sizeof(src));
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK_EQ(ep->counters[MXL_CNT_DUP_DROPPED], 1);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_PULL); /* not a PULL_FIN for a grant never made */
	CHECK_EQ(c.u.pull.rndv_handle, 200);
	CHECK_EQ(c.u.pull.pull_len, sizeof(src));
	CHECK_EQ(mx_test(ep, &rr, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 0);
	/* the new daemon grants it: copied, and its PULL_FIN quotes the grant */
	memset(src, 0xcd, sizeof(src));
	put_grant(ep, c.cookie, 200, src, sizeof(src));
	mxl_progress(ep);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_PULL_FIN);
	CHECK_EQ(c.u.fin.rndv_handle, 200);
	CHECK_EQ(c.u.fin.status, MXN_ST_OK);
	CHECK_EQ(c.u.fin.xfer_length, sizeof(src));
	CHECK_EQ(mx_test(ep, &rr, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
	CHECK_EQ(st.match_info, 7);
	CHECK_EQ(st.xfer_length, sizeof(src));
	CHECK_EQ(rbuf[0], 0xcd);
	CHECK_EQ(rbuf[1023], 0xcd);
	mxl_endpoint_close(ep);
}

static struct mxn_cmd take_send(struct mx_endpoint *ep)
{
	struct mxn_cmd c;

	memset(&c, 0, sizeof(c));
	CHECK(ta_take_cmd(ep, &c));
	CHECK(c.op == MXN_CMD_SEND_TINY);
	return c;
}

/*
 * A peer of a migrated endpoint (docs/migration.md).  The peer's sends to
 * it are refused MXN_ST_MOVED while its guest moves: held, not failed, and
 * newer ones wait behind them.  MXN_EVT_MOVED says where it went: the held
 * send goes there (new nic id, the daemon's peer index of the new host)
 * with its number; a send still in flight to the old place when the event
 * came holds newer ones back until it lands, so the receiver, which drops
 * what is not newer than what it took, loses nothing; arrivals from the new
 * place continue the old numbers (a copy of one taken is dropped).  A
 * malformed event is counted and ignored.
 */
static void test_follow_moved_peer(void)
{
	const uint64_t there = 0x525400120002ull;
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t buf[8], rbuf[2][8];
	mx_segment_t s0 = { buf, 8 }, rs[2] = { { rbuf[0], 8 }, { rbuf[1], 8 } };
	mx_request_t a[3], r[2];
	struct mxn_cmd c1, c2, c;
	struct mxn_evt e, mv;
	mx_status_t st;
	uint32_t res;

	/* we took #5 from the peer; we send it #1 and #2 */
	CHECK_EQ(mx_irecv(ep, &rs[0], 1, 0, 0, NULL, &r[0]), MX_SUCCESS);
	e = tiny_from_peer(50, 5, 1);
	ta_put_evt(ep, &e);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(mx_isend(ep, &s0, 1, peer_addr(), (uint64_t)i, NULL, &a[i]), MX_SUCCESS);
	c1 = take_send(ep);
	c2 = take_send(ep);
	CHECK_EQ(mxn_cmd_seq(&c1), 1);
	CHECK_EQ(mxn_cmd_seq(&c2), 2);
	/* its guest is being moved: #1 refused MOVED, held */
	ta_put_evt(ep, &(struct mxn_evt){ .type = MXN_EVT_SEND_DONE, .status = MXN_ST_MOVED,
					  .u.done = { .cookie = c1.cookie } });
	mxl_progress(ep);
	CHECK_EQ(mx_isend(ep, &s0, 1, peer_addr(), 2, NULL, &a[2]), MX_SUCCESS);
	CHECK_EQ(ep->counters[MXL_CNT_MOVED_HELD], 1);
	CHECK(!ta_take_cmd(ep, &c)); /* #3 waits behind #1 */
	/* a malformed event: the old nic id as the new one */
	memset(&mv, 0, sizeof(mv));
	mv.type = MXN_EVT_MOVED;
	mv.src_nic_id = peer_nic;
	mv.src_peer = 4;
	mv.src_endpoint = 9;
	mv.src_session = 1234;
	mv.u.moved.old_nic_id = peer_nic;
	ta_put_evt(ep, &mv);
	mxl_progress(ep);
	CHECK_EQ(ep->counters[MXL_CNT_BAD_EVENT], 1);
	CHECK_EQ(ep->counters[MXL_CNT_FOLLOWED], 0);
	/* where it went */
	mv.src_nic_id = there;
	ta_put_evt(ep, &mv);
	mxl_progress(ep);
	CHECK_EQ(ep->counters[MXL_CNT_FOLLOWED], 1);
	c = take_send(ep); /* #1 again, there */
	CHECK_EQ(mxn_cmd_seq(&c), 1);
	CHECK_EQ(c.dest_peer, 4);
	CHECK_EQ(c.dest_endpoint, 9);
	CHECK_EQ(c.dest_session, 1234);
	CHECK(!ta_take_cmd(ep, &c)); /* #2 is still out to the old place: #3 waits */
	ta_put_evt(ep, &(struct mxn_evt){ .type = MXN_EVT_SEND_DONE, .status = MXN_ST_MOVED,
					  .u.done = { .cookie = c2.cookie } });
	mxl_progress(ep);
	usleep(30000);
	mxl_progress(ep);
	c = take_send(ep);
	CHECK_EQ(mxn_cmd_seq(&c), 2);
	CHECK_EQ(c.dest_peer, 4);
	c = take_send(ep);
	CHECK_EQ(mxn_cmd_seq(&c), 3);
	CHECK_EQ(c.dest_peer, 4);
	CHECK_EQ(c.match_info, 2);
	/* arrivals from there: a copy of #5 dropped, #6 taken */
	CHECK_EQ(mx_irecv(ep, &rs[1], 1, 0, 0, NULL, &r[1]), MX_SUCCESS);
	e = tiny_from_peer(51, 5, 2);
	e.src_nic_id = mxn_evt_nic_seq(there, 5);
	e.src_peer = 4;
	ta_put_evt(ep, &e);
	e = tiny_from_peer(52, 6, 3);
	e.src_nic_id = mxn_evt_nic_seq(there, 6);
	e.src_peer = 4;
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK_EQ(ep->counters[MXL_CNT_DUP_DROPPED], 1);
	CHECK_EQ(mx_test(ep, &r[1], &st, &res), MX_SUCCESS);
	CHECK(res && st.match_info == 52 && rbuf[1][0] == 3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(mx_test(ep, &a[i], &st, &res), MX_SUCCESS);
		CHECK(res && st.code == MX_STATUS_SUCCESS);
	}
	mxl_endpoint_close(ep);
}

/*
 * The endpoint that moved: its re-connects say where it lived and quote
 * each peer's session; the answers tell where each peer is from here.  A
 * peer that stayed on the old host (same nic id, but not this host any
 * more) and a peer on a third host are reached through this daemon's peer
 * index, whatever index the old daemon gave the application's address.
 */
static void test_moved_finds_peers(void)
{
	const uint64_t home = 0x0a0b0c0d0e0full, there = 0x525400120002ull;
	struct mxl_addr sa = { .nic_id = home, .session = 4321, .peer = MXN_PEER_SELF,
			       .endpoint = 5, .valid = true };
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t buf[8], rbuf[8];
	mx_segment_t s0 = { buf, 8 }, rs = { rbuf, 8 };
	mx_endpoint_addr_t stay;
	mx_request_t a, rr, cr;
	struct mxn_cmd c, k[2];
	struct mxn_evt e;
	mx_status_t st;
	uint32_t res;

	mxl_addr_pack(&sa, &stay);
	reattached = 0;
	connect_peer(ep); /* the third host's endpoint 9 (session 1234) */
	CHECK_EQ(mx_iconnect(ep, home, 5, 0x55, 0, NULL, &cr), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	memset(&e, 0, sizeof(e));
	e.type = MXN_EVT_CONNECT_DONE;
	e.u.connect = (struct mxn_evt_connect){ .cookie = c.cookie, .nic_id = home,
						.peer = MXN_PEER_SELF, .endpoint = 5,
						.session = 4321 };
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_test(ep, &cr, &st, &res), MX_SUCCESS);
	CHECK(res && st.code == MX_STATUS_SUCCESS);
	/* the one on this host sent us #3 */
	take_tiny_from(ep, home, 3, MXN_PEER_SELF, 5, 4321, &st);
	move_to(ep, there);
	/* both re-connects re-announce us: lived on home, each peer's session */
	CHECK(ta_take_cmd(ep, &k[0]) && ta_take_cmd(ep, &k[1]));
	CHECK(k[0].op == MXN_CMD_CONNECT && k[1].op == MXN_CMD_CONNECT);
	CHECK_EQ(k[0].u.connect.nic_id, peer_nic);
	CHECK_EQ(k[0].u.connect.moved_from, home);
	CHECK_EQ(k[0].u.connect.proof, 1234);
	CHECK_EQ(k[1].u.connect.nic_id, home);
	CHECK_EQ(k[1].u.connect.moved_from, home);
	CHECK_EQ(k[1].u.connect.proof, 4321);
	/* answers: the third host through our peer 6, the old host through 3 */
	e.type = MXN_EVT_CONNECT_DONE;
	e.u.connect = (struct mxn_evt_connect){ .cookie = k[0].cookie, .nic_id = peer_nic,
						.peer = 6, .endpoint = 9, .session = 1234 };
	ta_put_evt(ep, &e);
	e.u.connect = (struct mxn_evt_connect){ .cookie = k[1].cookie, .nic_id = home,
						.peer = 3, .endpoint = 5, .session = 4321 };
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK_EQ(mx_isend(ep, &s0, 1, peer_addr(), 1, NULL, &a), MX_SUCCESS);
	c = take_send(ep);
	CHECK_EQ(c.dest_peer, 6); /* not the old daemon's 0 */
	CHECK_EQ(mx_isend(ep, &s0, 1, stay, 2, NULL, &a), MX_SUCCESS);
	c = take_send(ep);
	CHECK_EQ(c.dest_peer, 3); /* not this host: it stayed */
	CHECK_EQ(c.dest_endpoint, 5);
	/* its numbers are its host's again: a copy of #3 from home dropped */
	CHECK_EQ(mx_irecv(ep, &rs, 1, 0, 0, NULL, &rr), MX_SUCCESS);
	e = tiny_from_peer(31, 3, 2);
	e.src_nic_id = mxn_evt_nic_seq(home, 3);
	e.src_peer = 3;
	e.src_endpoint = 5;
	e.src_session = 4321;
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK_EQ(ep->counters[MXL_CNT_DUP_DROPPED], 1);
	CHECK_EQ(mx_test(ep, &rr, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 0);
	moved_to = 0;
	mxl_endpoint_close(ep);
}

/*
 * A peer that connected to us while we only answered it (status.source) is
 * told of our move too: a re-connect with our own key (one job, one
 * filter), saying where we lived and quoting its session.  Neither we
 * ourselves nor a peer we had connected to is named twice.
 */
static void test_moved_tells_who_connected(void)
{
	const uint64_t home = 0x0a0b0c0d0e0full, there = 0x525400120002ull;
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t buf[8];
	mx_segment_t s0 = { buf, 8 };
	mx_status_t from_peer, from_self;
	mx_request_t a;
	struct mxn_cmd k;
	struct mxn_evt e;

	ep->key = 0x55;
	reattached = 0;
	/* the third host's endpoint 9 (session 1234) sent us #1; we took it */
	take_tiny_from(ep, peer_nic, 1, 0, 9, 1234, &from_peer);
	/* and so did we ourselves (a send to self) */
	take_tiny_from(ep, home, 1, MXN_PEER_SELF, 3, 77, &from_self);
	move_to(ep, there);
	CHECK(ta_take_cmd(ep, &k));
	CHECK_EQ(k.op, MXN_CMD_CONNECT);
	CHECK_EQ(k.u.connect.nic_id, peer_nic);
	CHECK_EQ(k.u.connect.endpoint, 9);
	CHECK_EQ(k.u.connect.key, 0x55);
	CHECK_EQ(k.u.connect.moved_from, home);
	CHECK_EQ(k.u.connect.proof, 1234);
	CHECK(!ta_take_cmd(ep, &k)); /* not ourselves */
	CHECK_EQ(ep->counters[MXL_CNT_MOVE_TOLD], 1);
	/* its answer: our replies to status.source go through this daemon's
	 * peer 6, not the old daemon's 0 */
	memset(&e, 0, sizeof(e));
	e.type = MXN_EVT_CONNECT_DONE;
	e.u.connect = (struct mxn_evt_connect){ .cookie = k.cookie, .nic_id = peer_nic,
						.peer = 6, .endpoint = 9, .session = 1234 };
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	CHECK_EQ(mx_isend(ep, &s0, 1, from_peer.source, 1, NULL, &a), MX_SUCCESS);
	k = take_send(ep);
	CHECK_EQ(k.dest_peer, 6);
	CHECK_EQ(k.dest_endpoint, 9);
	moved_to = 0;
	mxl_endpoint_close(ep);
}

/*
 * A restart renumbers the remote hosts (issue 13, ns_restart_middle.sh):
 * we only answered a peer (status.source, old daemon's peer 3) and a
 * reply was in flight when the daemon went.  The new daemon numbers that
 * host 5.  The reply goes again only once its host's number is asked for
 * by nic id, to peer 5, not 3 (which may name another host now); a newer
 * reply from the old address waits until the one sent again completed
 * (a resend refused once more must not be overtaken: the receiver would
 * drop it as older), then goes to peer 5 too, numbered after it.
 */
static void test_restart_renumbers_hosts(void)
{
	struct mx_endpoint *ep = tr_endpoint();
	static uint8_t buf[8];
	mx_segment_t s0 = { buf, 8 };
	mx_status_t from_peer, st;
	mx_request_t a, b;
	struct mxn_cmd k, resent;
	uint32_t res;

	reattached = 0;
	take_tiny_from(ep, peer_nic, 1, 3, 9, 1234, &from_peer);
	CHECK_EQ(mx_isend(ep, &s0, 1, from_peer.source, 1, NULL, &a), MX_SUCCESS);
	k = take_send(ep);
	CHECK_EQ(k.dest_peer, 3);
	CHECK_EQ(mxn_cmd_seq(&k), 1);
	ep->lost = true;
	mxl_progress(ep);
	CHECK_EQ(reattached, 1);
	answer_lookup(ep, 5);
	resent = take_send(ep);
	CHECK_EQ(resent.dest_peer, 5);
	CHECK_EQ(mxn_cmd_seq(&resent), 1);
	CHECK_EQ(mx_isend(ep, &s0, 1, from_peer.source, 2, NULL, &b), MX_SUCCESS);
	CHECK(!ta_take_cmd(ep, &k)); /* behind the reply sent again */
	CHECK_EQ(ep->counters[MXL_CNT_RESEND_HELD] >= 1, 1);
	ta_put_evt(ep, &(struct mxn_evt){ .type = MXN_EVT_SEND_DONE,
					  .u.done = { .cookie = resent.cookie, .xfer_length = 8 } });
	mxl_progress(ep);
	k = take_send(ep);
	CHECK_EQ(k.dest_peer, 5);
	CHECK_EQ(k.match_info, 2);
	CHECK_EQ(mxn_cmd_seq(&k), 2);
	CHECK_EQ(mx_test(ep, &b, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
	mxl_endpoint_close(ep);
}

int main(void)
{
	mx_set_error_handler(MX_ERRORS_RETURN);
	test_resend_in_order();
	test_duplicates_dropped();
	test_reattach_fails();
	test_moved_to_another_host();
	test_follow_moved_peer();
	test_moved_finds_peers();
	test_moved_tells_who_connected();
	test_grant_before_restart();
	test_restart_renumbers_hosts();
	DONE();
}
