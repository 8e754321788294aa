/* SPDX-License-Identifier: MIT */
/*
 * The core <-> wire-engine seam (remote.h): a recording engine takes
 * commands for other hosts, and the test completes them and delivers
 * messages "from the wire" through the mxd_remote_* entry points.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core.h"
#include "region_vaddr.h"
#include "remote.h"
#include "tcheck.h"
#include "tguest.h"
#include "tself_region.h"

static struct mxd_core *core;
static struct tguest g;
static void *area;

static int write_err;   /* what the next region write fails with (once) */

static int t_notify(struct mxd_endpoint *ep) { (void)ep; return 0; }

static int t_region_write(struct mxd_endpoint *ep, const struct mxd_region *r, uint64_t off,
			  const void *buf, size_t len)
{
	int err = write_err;

	write_err = 0;
	return err ? err : tself_region_write(ep, r, off, buf, len);
}
static void t_destroy(struct mxd_endpoint *ep) { (void)ep; free(area); area = NULL; }
static const struct mxd_transport_ops t_ops = {
	.name = "test", .region_kind = MXN_REGION_VADDR, .notify = t_notify,
	.region_read = tself_region_read, .region_write = t_region_write, .destroy = t_destroy,
};

/* ---- the recording engine ---- */
static struct {
	int sends, rndvs, pulls, connects, lookups, closed, rooms;
	struct mxd_epref room_ep;
	uint64_t last_cookie;
	uint8_t payload[64];
	uint32_t payload_len, send_handle, pull_handle, pull_len;
	uint64_t pull_ref;
	struct mxd_epref from;
} eng;

static int e_connect(void *priv, struct mxd_epref from, uint64_t cookie,
		     const struct mxn_cmd_connect *req)
{
	(void)priv;
	(void)req;
	eng.connects++;
	eng.from = from;
	eng.last_cookie = cookie;
	return 0;
}

static int e_send_msg(void *priv, struct mxd_epref from, const struct mxn_cmd *c,
		      const void *payload, uint32_t len)
{
	(void)priv;
	eng.sends++;
	eng.from = from;
	eng.last_cookie = c->cookie;
	eng.payload_len = len;
	memcpy(eng.payload, payload, len < 64 ? len : 64);
	return 0;
}

static int e_send_rndv(void *priv, struct mxd_epref from, const struct mxn_cmd *c,
		       uint32_t send_handle)
{
	(void)priv;
	(void)c;
	eng.rndvs++;
	eng.from = from;
	eng.send_handle = send_handle;
	return 0;
}

static int e_pull(void *priv, struct mxd_epref to, uint64_t remote_ref, uint32_t pull_handle,
		  uint32_t len)
{
	(void)priv;
	(void)to;
	eng.pulls++;
	eng.pull_ref = remote_ref;
	eng.pull_handle = pull_handle;
	eng.pull_len = len;
	return 0;
}

static int e_lookup(void *priv, struct mxd_epref from, uint64_t cookie, uint64_t nic_id,
		    const char *name, uint32_t name_len)
{
	(void)priv;
	(void)from;
	(void)nic_id;
	(void)name;
	(void)name_len;
	eng.lookups++;
	eng.last_cookie = cookie;
	return 0;
}

static void e_closed(void *priv, struct mxd_epref ep)
{
	(void)priv;
	(void)ep;
	eng.closed++;
}

static void e_room(void *priv, struct mxd_epref ep)
{
	(void)priv;
	eng.rooms++;
	eng.room_ep = ep;
}

static const struct mxd_remote_ops engine = {
	.connect = e_connect, .send_msg = e_send_msg, .send_rndv = e_send_rndv,
	.pull = e_pull, .lookup = e_lookup, .endpoint_closed = e_closed, .room = e_room,
};

static struct mxd_endpoint *ep;

static void pump(void)
{
	CHECK(mxd_endpoint_poll(ep, 64) >= 0);
	mxd_core_flush(core);
}

static struct mxn_evt next(void)
{
	struct mxn_evt e;

	CHECK(tg_next(&g, &e));
	tg_release(&g);
	return e;
}

static struct mxn_cmd remote_cmd(uint8_t op, uint64_t cookie)
{
	struct mxn_cmd c = { .op = op, .cookie = cookie, .dest_peer = 5, .dest_endpoint = 2,
			     .dest_session = 0x99 };
	return c;
}

int main(void)
{
	struct mxd_endpoint_params p = { .ops = &t_ops, .key = 1, .endpoint = MXN_ENDPOINT_ANY };
	struct mxd_src src = { .peer = 5, .endpoint = 2, .session = 0x99, .nic_id = 0x112233445566ull };
	struct mxd_config cfg;
	struct mxd_guest *gu;
	struct mxd_epref ref, stale;
	struct mxn_cmd c;
	struct mxn_evt e;
	uint8_t buf[3000], got[3000];
	uint32_t dlen;

	mxd_config_defaults(&cfg);
	cfg.limits.outstanding = 4;
	CHECK_EQ(mxd_core_new(&cfg, &core), 0);
	mxd_core_set_remote(core, &engine, NULL);
	CHECK_EQ(mxn_layout_compute(&p.geo, 5, 5, MXN_QUEUE_MIN, MXN_QUEUE_MIN), 0);
	area = aligned_alloc(MXN_PAGE_SIZE, p.geo.area_size);
	memset(area, 0, p.geo.area_size);
	p.area = area;
	CHECK_EQ(mxd_guest_get(core, MXD_GUEST_LOCAL, 1, "t", &gu), 0);
	CHECK_EQ(mxd_endpoint_attach(core, gu, &p, &ep), 0);
	mxd_guest_put(gu);
	tg_init(&g, area, &p.geo);
	ref = (struct mxd_epref){ ep->index, ep->session };
	stale = (struct mxd_epref){ ep->index, ep->session + 1 };

	/* A tiny to another host goes to the engine, completes when it says. */
	c = remote_cmd(MXN_CMD_SEND_TINY, 1);
	c.length = 5;
	memcpy(c.u.tiny, "wire!", 5);
	tg_post(&g, &c);
	tg_push(&g);
	pump();
	CHECK_EQ(eng.sends, 1);
	CHECK_EQ(eng.payload_len, 5);
	CHECK(!memcmp(eng.payload, "wire!", 5));
	CHECK_EQ(eng.from.session, ep->session);
	CHECK(!tg_next(&g, &e));
	CHECK_EQ(mxd_remote_send_done(core, stale, 1, MXN_ST_OK, 5, false), -ESRCH);
	CHECK_EQ(mxd_remote_send_done(core, ref, 1, MXN_ST_OK, 5, false), 0);
	mxd_core_flush(core);
	e = next();
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 1);
	CHECK_EQ(e.flags & MXN_EVTF_QUIET, 0);

	/* A send the guest completed at issue (MXN_CMDF_QUIET): its SEND_DONE
	 * from the wire only gives the sendq back, quietly, as a local one. */
	c = remote_cmd(MXN_CMD_SEND_TINY, 2);
	c.flags = MXN_CMDF_QUIET;
	tg_post(&g, &c);
	tg_push(&g);
	pump();
	CHECK_EQ(eng.sends, 2);
	CHECK_EQ(mxd_remote_send_done(core, ref, 2, MXN_ST_OK, 0, true), 0);
	mxd_core_flush(core);
	e = next();
	CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 2);
	CHECK_EQ(e.flags & MXN_EVTF_QUIET, MXN_EVTF_QUIET);

	/* The engine holds at most 'outstanding' commands of an endpoint. */
	for (int i = 0; i < 8; i++) {
		c = remote_cmd(MXN_CMD_SEND_TINY, 10 + (uint64_t)i);
		tg_post(&g, &c);
	}
	tg_push(&g);
	pump();
	CHECK_EQ(eng.sends, 2 + 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(mxd_remote_send_done(core, ref, 10 + (uint64_t)i, MXN_ST_OK, 0, false), 0);
	pump();
	CHECK_EQ(eng.sends, 2 + 8);
	for (int i = 4; i < 8; i++)
		CHECK_EQ(mxd_remote_send_done(core, ref, 10 + (uint64_t)i, MXN_ST_TIMEOUT, 0, false), 0);
	mxd_core_flush(core);
	for (int i = 0; i < 8; i++) {
		e = next();
		CHECK_EQ(e.u.done.cookie, 10 + (uint64_t)i);
		CHECK_EQ(e.status, i < 4 ? MXN_ST_OK : MXN_ST_TIMEOUT);
	}

	/* connect and lookup through the engine */
	c = remote_cmd(MXN_CMD_CONNECT, 20);
	c.u.connect.nic_id = src.nic_id;
	tg_post(&g, &c);
	tg_push(&g);
	pump();
	CHECK_EQ(eng.connects, 1);
	CHECK_EQ(mxd_remote_connect_done(core, ref, 20, MXN_ST_OK, src.nic_id, 5, 2, 0x99), 0);
	mxd_core_flush(core);
	e = next();
	CHECK_EQ(e.type, MXN_EVT_CONNECT_DONE);
	CHECK_EQ(e.u.connect.peer, 5);
	CHECK_EQ(e.u.connect.session, 0x99);
	c = remote_cmd(MXN_CMD_LOOKUP, 21);
	c.u.lookup.nic_id = src.nic_id;
	tg_post(&g, &c);
	tg_push(&g);
	pump();
	CHECK_EQ(eng.lookups, 1);
	CHECK_EQ(mxd_remote_lookup_done(core, ref, 21, MXN_ST_OK, src.nic_id, 5, "far", 3), 0);
	mxd_core_flush(core);
	e = next();
	CHECK_EQ(e.type, MXN_EVT_LOOKUP_DONE);
	CHECK_EQ(e.u.lookup.name_len, 3);
	CHECK(!memcmp(g.recvq + e.u.lookup.name_off, "far", 3));

	/* Live migration (docs/migration.md).  A peer that moved: the engine
	 * checked the proof, the core tells the endpoint where it went. */
	{
		const uint64_t here = mxd_core_nic_id(core), b_nic = 0x525400120002ull;
		struct mxd_src now = { .peer = 7, .endpoint = 2, .session = 0x99, .nic_id = b_nic };
		uint8_t far_idx = (uint8_t)(ep->index + 1);

		CHECK_EQ(mxd_remote_moved(core, stale, src.nic_id, &now), -ESRCH);
		CHECK_EQ(mxd_remote_moved(core, ref, src.nic_id, &now), 0);
		mxd_core_flush(core);
		e = next();
		CHECK_EQ(e.type, MXN_EVT_MOVED);
		CHECK_EQ(e.u.moved.old_nic_id, src.nic_id);
		CHECK_EQ(e.src_nic_id, b_nic);
		CHECK_EQ(e.src_peer, 7);
		CHECK_EQ(e.src_endpoint, 2);
		CHECK_EQ(e.src_session, 0x99);
		/* one that lived here: only a connection ep had proves it */
		now.endpoint = far_idx;
		now.session = 0x4444;
		CHECK_EQ(mxd_remote_moved(core, ref, here, &now), -EPERM);
		ep->conn[far_idx] = 0x4444;
		CHECK_EQ(mxd_remote_moved(core, ref, here, &now), 0);
		mxd_core_flush(core);
		e = next();
		CHECK_EQ(e.type, MXN_EVT_MOVED);
		CHECK_EQ(e.u.moved.old_nic_id, here);
		/* a mover's connect naming its old host: made here when that
		 * index is its own guest's (it moved along)... */
		c = remote_cmd(MXN_CMD_CONNECT, 23);
		c.u.connect.nic_id = src.nic_id;
		c.u.connect.moved_from = src.nic_id;
		c.u.connect.endpoint = ep->index;
		c.u.connect.key = 1;
		tg_post(&g, &c);
		tg_push(&g);
		pump();
		CHECK_EQ(eng.connects, 1);
		e = next();
		CHECK_EQ(e.type, MXN_EVT_CONNECT_DONE);
		CHECK_EQ(e.status, MXN_ST_OK);
		CHECK_EQ(e.u.connect.nic_id, here);
		CHECK_EQ(e.u.connect.peer, MXN_PEER_SELF);
		/* ...else over the wire, there */
		c.cookie = 24;
		c.u.connect.endpoint = far_idx;
		tg_post(&g, &c);
		tg_push(&g);
		pump();
		CHECK_EQ(eng.connects, 2);
		CHECK_EQ(mxd_remote_connect_done(core, ref, 24, MXN_ST_OK, src.nic_id, 5, far_idx,
						 0x4444), 0);
		mxd_core_flush(core);
		e = next();
		CHECK_EQ(e.type, MXN_EVT_CONNECT_DONE);
		CHECK_EQ(e.u.connect.cookie, 24);
	}

	/* A rendezvous to another host: the engine reads the data by handle. */
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 3);
	c = remote_cmd(MXN_CMD_SEND_RNDV, 30);
	c.length = sizeof(buf);
	c.u.rndv.desc_off = tg_put_region(&g, buf, sizeof(buf), &dlen);
	c.u.rndv.desc_len = dlen;
	tg_post(&g, &c);
	tg_push(&g);
	pump();
	CHECK_EQ(eng.rndvs, 1);
	CHECK_EQ(mxd_remote_rndv_read(core, ref, eng.send_handle, 1000, got, 2000), 0);
	CHECK(!memcmp(got, buf + 1000, 2000));
	CHECK_EQ(mxd_remote_rndv_read(core, ref, eng.send_handle, 1001, got, 2000), -ERANGE);
	CHECK_EQ(mxd_remote_rndv_read(core, ref, eng.send_handle + 7, 0, got, 1), -ESRCH);
	CHECK_EQ(mxd_remote_rndv_done(core, ref, eng.send_handle, MXN_ST_OK, sizeof(buf)), 0);
	CHECK_EQ(mxd_remote_rndv_read(core, ref, eng.send_handle, 0, got, 1), -ESRCH);
	mxd_core_flush(core);
	e = next();
	CHECK_EQ(e.u.done.cookie, 30);
	CHECK_EQ(e.u.done.xfer_length, sizeof(buf));
	CHECK_EQ(ep->guest->registered_bytes, 0);

	/* Staged (MXN_CMDF_STAGED): the engine's reads come from the copy in
	 * the sendq, not from the memory the region names. */
	{
		struct mxd_core_stats st0, st;
		uint8_t copy[3000];

		for (unsigned i = 0; i < sizeof(copy); i++)
			copy[i] = (uint8_t)(i * 5 + 1);
		mxd_core_get_stats(core, &st0);
		c = remote_cmd(MXN_CMD_SEND_RNDV, 31);
		c.flags = MXN_CMDF_STAGED;
		c.length = sizeof(buf);
		c.u.rndv.desc_off = tg_put_region(&g, buf, sizeof(buf), &dlen);
		c.u.rndv.desc_len = dlen;
		c.u.rndv.staged_off = tg_sendq_put(&g, copy, sizeof(copy));
		tg_post(&g, &c);
		tg_push(&g);
		pump();
		CHECK_EQ(eng.rndvs, 2);
		CHECK_EQ(mxd_remote_rndv_read(core, ref, eng.send_handle, 1000, got, 2000), 0);
		CHECK(!memcmp(got, copy + 1000, 2000));
		CHECK_EQ(mxd_remote_rndv_read(core, ref, eng.send_handle, 1001, got, 2000), -ERANGE);
		mxd_core_get_stats(core, &st);
		CHECK_EQ(st.send_staged - st0.send_staged, 1);
		CHECK_EQ(st.send_staged_bytes - st0.send_staged_bytes, 2000);
		CHECK_EQ(mxd_remote_rndv_done(core, ref, eng.send_handle, MXN_ST_OK, sizeof(buf)), 0);
		mxd_core_flush(core);
		e = next();
		CHECK_EQ(e.u.done.cookie, 31);
	}

	/* Deliveries from the wire. */
	CHECK_EQ(mxd_remote_deliver_tiny(core, ref, &src, 0x42, "hey", 3), 0);
	CHECK_EQ(mxd_remote_deliver_tiny(core, stale, &src, 0x42, "hey", 3), -ESRCH);
	CHECK_EQ(mxd_remote_deliver_tiny(core, ref, &src, 0x42, buf, 33), -EINVAL);
	/* a held 0-byte tiny comes with no buffer (UBSan: memcpy from NULL) */
	CHECK_EQ(mxd_remote_deliver_tiny(core, ref, &src, 0x41, NULL, 0), 0);
	CHECK_EQ(mxd_remote_deliver_queued(core, ref, &src, 0x43, buf, 2000), 0);
	CHECK_EQ(mxd_remote_deliver_rndv(core, ref, &src, 0x44, 2500, MXN_EVTF_SYNC, 0xfeed), 0);
	mxd_core_flush(core);
	e = next();
	CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
	CHECK_EQ(e.src_peer, 5);
	CHECK_EQ(e.src_nic_id, src.nic_id);
	CHECK(!memcmp(e.u.tiny, "hey", 3));
	e = next();
	CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
	CHECK_EQ(e.match_info, 0x41);
	CHECK_EQ(e.length, 0);
	e = next();
	CHECK_EQ(e.type, MXN_EVT_RECV_QUEUED);
	CHECK(!memcmp(g.recvq + e.u.q.off, buf, 2000));
	e = next();
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
	CHECK_EQ(e.flags, MXN_EVTF_SYNC);
	memset(got, 0, sizeof(got));
	c = (struct mxn_cmd){ .op = MXN_CMD_PULL, .cookie = 40 };
	c.u.pull.rndv_handle = e.u.rndv.rndv_handle;
	c.u.pull.pull_len = sizeof(got);
	c.u.pull.desc_off = tg_put_region(&g, got, sizeof(got), &dlen);
	c.u.pull.desc_len = dlen;
	tg_post(&g, &c);
	tg_push(&g);
	pump();
	CHECK_EQ(eng.pulls, 1);
	CHECK_EQ(eng.pull_ref, 0xfeed);
	CHECK_EQ(eng.pull_len, 2500); /* min(announced, posted) */
	/* a copy that missed its bound (copy_bounded.h) is asked again, a
	 * fault is one */
	write_err = -ETIMEDOUT;
	CHECK_EQ(mxd_remote_pull_write(core, ref, eng.pull_handle, 0, buf, 2000), -EAGAIN);
	write_err = -EBUSY;
	CHECK_EQ(mxd_remote_pull_write(core, ref, eng.pull_handle, 0, buf, 2000), -EAGAIN);
	write_err = -EFAULT;
	CHECK_EQ(mxd_remote_pull_write(core, ref, eng.pull_handle, 0, buf, 2000), -EFAULT);
	CHECK_EQ(mxd_remote_pull_write(core, ref, eng.pull_handle, 0, buf, 2000), 0);
	CHECK_EQ(mxd_remote_pull_write(core, ref, eng.pull_handle, 2000, buf + 2000, 500), 0);
	CHECK_EQ(mxd_remote_pull_write(core, ref, eng.pull_handle, 2000, buf, 501), -ERANGE);
	CHECK_EQ(mxd_remote_pull_done(core, ref, eng.pull_handle, MXN_ST_OK, 2500), 0);
	CHECK_EQ(mxd_remote_pull_done(core, ref, eng.pull_handle, MXN_ST_OK, 2500), -ESRCH);
	/* Published at once, no flush: the engine's NOTIFY releases the
	 * sender next, and a daemon killed before its flush must not take
	 * the completion with it (wire_ns_restart_large, issue 13). */
	CHECK(tg_next(&g, &e));
	tg_release(&g);
	CHECK_EQ(e.type, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.u.done.cookie, 40);
	CHECK_EQ(e.u.done.xfer_length, 2500);
	CHECK(!memcmp(got, buf, 2500));
	CHECK_EQ(got[2500], 0);

	/* A staged pull (MXN_CMDF_STAGED): a block goes to the recvq with a
	 * PULL_DATA naming it, not into the receiver's memory; with the event
	 * ring full, the next is written into its memory instead. */
	{
		struct mxd_core_stats st0, st;
		int tinies = 0;

		mxd_core_get_stats(core, &st0);

		CHECK_EQ(mxd_remote_deliver_rndv(core, ref, &src, 0x45, 2500, 0, 0xbeef), 0);
		mxd_core_flush(core);
		e = next();
		CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
		memset(got, 0, sizeof(got));
		c = (struct mxn_cmd){ .op = MXN_CMD_PULL, .cookie = 41, .flags = MXN_CMDF_STAGED };
		c.u.pull.rndv_handle = e.u.rndv.rndv_handle;
		c.u.pull.pull_len = sizeof(got);
		c.u.pull.desc_off = tg_put_region(&g, got, sizeof(got), &dlen);
		c.u.pull.desc_len = dlen;
		tg_post(&g, &c);
		tg_push(&g);
		pump();
		CHECK_EQ(eng.pull_ref, 0xbeef);
		CHECK_EQ(mxd_remote_pull_write(core, ref, eng.pull_handle, 1000, buf + 1000, 1500), 0);
		while (mxd_remote_deliver_tiny(core, ref, &src, 0x46, "x", 1) == 0)
			tinies++;
		/* no room for a good completion: not taken (the engine holds
		 * its NOTIFY and asks again on the room signal) */
		CHECK_EQ(mxd_remote_pull_done(core, ref, eng.pull_handle, MXN_ST_OK, 2500), -EAGAIN);
		CHECK_EQ(mxd_remote_pull_write(core, ref, eng.pull_handle, 0, buf, 1000), 0);
		CHECK(!memcmp(got, buf, 1000));
		CHECK_EQ(got[1000], 0); /* the staged block is not in its memory */
		mxd_core_get_stats(core, &st);
		CHECK_EQ(st.pull_staged - st0.pull_staged, 1);
		CHECK_EQ(st.pull_staged_bytes - st0.pull_staged_bytes, 1500);
		CHECK_EQ(st.pull_written - st0.pull_written, 1);
		mxd_core_flush(core);
		CHECK(tg_next(&g, &e));
		CHECK_EQ(e.type, MXN_EVT_PULL_DATA);
		CHECK_EQ(e.length, 1500);
		CHECK_EQ(e.u.data.cookie, 41);
		CHECK_EQ(e.u.data.msg_offset, 1000);
		CHECK(!memcmp(g.recvq + e.u.data.off, buf + 1000, 1500));
		tg_release(&g);
		while (tinies--)
			CHECK_EQ(next().type, MXN_EVT_RECV_TINY);
		CHECK_EQ(mxd_remote_pull_done(core, ref, eng.pull_handle, MXN_ST_OK, 2500), 0);
		mxd_core_flush(core);
		e = next();
		CHECK_EQ(e.type, MXN_EVT_PULL_DONE);
		CHECK_EQ(e.u.done.cookie, 41);
		pump();
		CHECK_EQ(eng.rooms, 1); /* the full ring held a tiny back */
		eng.rooms = 0;
	}

	/* The announcement table grows past 'outstanding'; pulls held by the
	 * engine are bounded like sends. */
	{
		uint32_t handles[10], pulls0 = (uint32_t)eng.pulls;

		for (int i = 0; i < 10; i++)
			CHECK_EQ(mxd_remote_deliver_rndv(core, ref, &src, 0x50, 100, 0, 0x100 + (uint64_t)i), 0);
		mxd_core_flush(core);
		for (int i = 0; i < 10; i++) {
			e = next();
			CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
			handles[i] = e.u.rndv.rndv_handle;
		}
		for (int i = 0; i < 10; i++) {
			c = (struct mxn_cmd){ .op = MXN_CMD_PULL, .cookie = 200 + (uint64_t)i };
			c.u.pull.rndv_handle = handles[i];
			c.u.pull.pull_len = 100;
			c.u.pull.desc_off = tg_put_region(&g, got + 100 * i, 100, &dlen);
			c.u.pull.desc_len = dlen;
			CHECK(tg_post(&g, &c));
		}
		tg_push(&g);
		pump();
		CHECK_EQ((uint32_t)eng.pulls - pulls0, 4);
		CHECK_EQ(mxd_remote_pull_done(core, ref, eng.pull_handle, MXN_ST_OK, 100), 0);
		pump();
		CHECK_EQ((uint32_t)eng.pulls - pulls0, 5);
	}

	/* A delivery the endpoint has no room for: the engine holds it and
	 * hears, once the guest consumed an event, that room came back. */
	{
		int n = 0, err;

		mxd_core_flush(core);
		while (tg_next(&g, &e))
			tg_release(&g);
		pump();
		while ((err = mxd_remote_deliver_tiny(core, ref, &src, 0x60, "f", 1)) == 0 && n < 1000)
			n++;
		CHECK_EQ(err, -EAGAIN);
		CHECK(n > 0);
		mxd_core_flush(core);
		pump();
		CHECK_EQ(eng.rooms, 0);
		e = next();
		CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
		pump();
		CHECK_EQ(eng.rooms, 1);
		CHECK_EQ(eng.room_ep.session, ref.session);
		pump();
		CHECK_EQ(eng.rooms, 1);     /* once per refusal */
		while (tg_next(&g, &e))
			tg_release(&g);
	}

	/* A daemon stopping: SIGTERM breaks the loop between an arrival the
	 * engine took (and acked on the wire) and the loop's flush.  Quieting
	 * the endpoint must publish it, or the guest never sees it and its
	 * sender never sends it again. */
	CHECK(!tg_next(&g, &e));
	CHECK_EQ(mxd_remote_deliver_tiny(core, ref, &src, 0x77, "late", 4), 0);
	mxd_endpoint_quiesce(ep);
	e = next();
	CHECK_EQ(e.type, MXN_EVT_RECV_TINY);
	CHECK_EQ(e.match_info, 0x77);
	CHECK_EQ(e.length, 4);
	CHECK(!memcmp(e.u.tiny, "late", 4));
	/* A quiet endpoint's ring is never written again, whoever calls:
	 * a delivery is "not now" (the engine leaves it unacked, its sender
	 * resends to the endpoint that comes back), never a closed one. */
	CHECK_EQ(mxd_remote_deliver_tiny(core, ref, &src, 0x78, "q", 1), -EBUSY);
	CHECK_EQ(mxd_remote_deliver_queued(core, ref, &src, 0x79, buf, 2000), -EBUSY);
	CHECK_EQ(mxd_remote_deliver_rndv(core, ref, &src, 0x7a, 2500, 0, 0xbeef), -EBUSY);
	mxd_core_flush(core);
	CHECK(!tg_next(&g, &e));

	mxd_endpoint_detach(ep);
	CHECK_EQ(eng.closed, 1);
	CHECK_EQ(mxd_remote_deliver_tiny(core, ref, &src, 0, "x", 1), -ESRCH);
	mxd_core_free(core);
	printf("daemon remote seam: ok\n");
	return 0;
}
