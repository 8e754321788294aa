/* The library's command and event sides, driven by hand through an
 * in-memory area (tests/lib/area.h plays the daemon): what each send class
 * writes, matching of arrivals, truncation, rendezvous pulls, cookie
 * validation, bad events, backlog order, daemon-side errors. */
#include "area.h"
#include "check.h"

static mx_endpoint_addr_t peer_addr_session(uint32_t session)
{
	struct mxl_addr a = { .nic_id = 0x112233445566ull, .session = session, .peer = 5,
			      .endpoint = 9, .valid = true };
	mx_endpoint_addr_t out;

	mxl_addr_pack(&a, &out);
	return out;
}

static mx_endpoint_addr_t peer_addr(void)
{
	return peer_addr_session(1234);
}

static void fill(uint8_t *p, uint32_t n, uint8_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static int same(const uint8_t *p, uint32_t n, uint8_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 7))
			return 0;
	return 1;
}

static void test_send_classes(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	static uint8_t buf[100000];
	mx_segment_t segs[2] = { { buf, 20 }, { buf + 20, 12 } };
	mx_request_t r;
	mx_status_t st;
	struct mxn_cmd c;
	struct mxn_region_desc d;
	struct mxn_vaddr_seg vs;
	uint32_t res;

	fill(buf, sizeof(buf), 1);
	/* tiny, gathered from two segments */
	CHECK_EQ(mx_isend(ep, segs, 2, peer_addr(), 0xabc, NULL, &r), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_TINY);
	CHECK_EQ(c.length, 32);
	CHECK_EQ(c.match_info, 0xabc);
	CHECK_EQ(c.dest_peer, 5);
	CHECK_EQ(c.dest_endpoint, 9);
	CHECK_EQ(c.dest_session, 1234);
	CHECK(same(c.u.tiny, 32, 1));
	/* buffered: complete at issue, the daemon's SEND_DONE will be quiet */
	CHECK_EQ(c.flags, MXN_CMDF_QUIET);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
	CHECK_EQ(st.xfer_length, 32);
	CHECK_EQ(ep->nzombies, 1);
	ta_put_evt(ep, &(struct mxn_evt){ 0 });
	{
		struct mxn_evt e = ta_done(MXN_EVT_SEND_DONE, c.cookie, MXN_ST_OK, 32);

		ta_put_evt(ep, &e);
	}
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ep->nzombies, 0);
	CHECK_EQ(ep->counters[MXL_CNT_BAD_EVENT], 0);

	/* medium: 33 bytes over two segments land gathered in the sendq */
	segs[1].segment_length = 13;
	CHECK_EQ(mx_isend(ep, segs, 2, peer_addr(), 0xabd, NULL, &r), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_QUEUED);
	CHECK_EQ(c.length, 33);
	CHECK_EQ(c.u.q.off % MXN_QUEUE_ALIGN, 0);
	CHECK(same(ep->sendq + c.u.q.off, 33, 1));
	CHECK(mxl_sendq_used(&ep->sq) > 0);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1); /* at issue: the application may reuse its buffer */
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
	CHECK(mxl_sendq_used(&ep->sq) > 0); /* still the daemon's */
	{
		struct mxn_evt e = ta_done(MXN_EVT_SEND_DONE, c.cookie, MXN_ST_CLOSED, 0);

		ta_put_evt(ep, &e);
	}
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(mxl_sendq_used(&ep->sq), 0); /* freed by the daemon's SEND_DONE */
	CHECK_EQ(ep->counters[MXL_CNT_ZOMBIE_FAILED], 1); /* the failure is counted */
	/* ... and remembered: a later send to that address fails at once,
	 * never completing at issue into a closed endpoint */
	CHECK_EQ(mx_isend(ep, segs, 2, peer_addr(), 0xabd, NULL, &r), MX_SUCCESS);
	CHECK(!ta_take_cmd(ep, &c));
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_ENDPOINT_CLOSED);
	CHECK_EQ(st.xfer_length, 0);
	/* a reconnect's new session is a new address: sends go out again */
	CHECK_EQ(mx_isend(ep, segs, 2, peer_addr_session(1235), 0xabd, NULL, &r), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_QUEUED);
	CHECK_EQ(c.dest_session, 1235);
	{
		struct mxn_evt e = ta_done(MXN_EVT_SEND_DONE, c.cookie, MXN_ST_OK, 0);

		ta_put_evt(ep, &e);
	}
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ep->nzombies, 0);

	/* large: a VADDR descriptor naming the user's buffer */
	segs[0].segment_length = 40000;
	CHECK_EQ(mx_isend(ep, segs, 1, peer_addr_session(1235), 0xabe, NULL, &r), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
	CHECK_EQ(c.flags, 0);
	CHECK_EQ(c.length, 40000);
	CHECK_EQ(c.u.rndv.desc_len, sizeof(d) + sizeof(vs));
	memcpy(&d, ep->sendq + c.u.rndv.desc_off, sizeof(d));
	memcpy(&vs, ep->sendq + c.u.rndv.desc_off + sizeof(d), sizeof(vs));
	CHECK_EQ(d.kind, MXN_REGION_VADDR);
	CHECK_EQ(d.nsegs, 1);
	CHECK_EQ(d.total_len, 40000);
	CHECK(vs.addr == (uint64_t)(uintptr_t)buf && vs.len == 40000);
	CHECK_EQ(mx_ibuffered(ep, &r, &res), MX_SUCCESS);
	CHECK_EQ(res, 0);
	{
		struct mxn_evt e = ta_done(MXN_EVT_SEND_DONE, c.cookie, MXN_ST_OK, 1000);

		ta_put_evt(ep, &e);
	}
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(st.xfer_length, 1000);

	/* synchronous: rendezvous with the SYNC flag even when small */
	segs[0].segment_length = 5;
	CHECK_EQ(mx_issend(ep, segs, 1, peer_addr_session(1235), 0xabf, NULL, &r), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
	CHECK_EQ(c.flags, MXN_CMDF_SYNC);
	CHECK_EQ(mx_forget(ep, &r), MX_SUCCESS);
	mxl_endpoint_close(ep);
}

static void test_arrivals(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	uint8_t small[10], big[200];
	mx_segment_t s1 = { small, sizeof(small) }, s2 = { big, sizeof(big) };
	mx_request_t r1, r2;
	mx_status_t st;
	struct mxn_evt e;
	uint64_t nic;
	uint32_t res, eid;

	/* posted then arrival, truncated into 10 bytes */
	CHECK_EQ(mx_irecv(ep, &s1, 1, 0x10, MX_MATCH_MASK_NONE, NULL, &r1), MX_SUCCESS);
	e = ta_arrival(MXN_EVT_RECV_TINY, 0x10, 20);
	fill(e.u.tiny, 20, 9);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_test(ep, &r1, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_TRUNCATED);
	CHECK_EQ(st.msg_length, 20);
	CHECK_EQ(st.xfer_length, 10);
	CHECK(same(small, 10, 9));
	CHECK_EQ(mx_decompose_endpoint_addr(st.source, &nic, &eid), MX_SUCCESS);
	CHECK(nic == 0x112233445566ull && eid == 9);
	CHECK_EQ(ep->evt.ctl->cons, ep->evt.ctl->prod); /* slot handed back */

	/* a queued payload with an offset outside the recvq is dropped */
	e = ta_arrival(MXN_EVT_RECV_QUEUED, 0x11, 100);
	e.u.q.off = MXN_QUEUE_MIN - 50;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ep->counters[MXL_CNT_BAD_EVENT], 1);
	CHECK_EQ(ep->m.nunexp, 0);

	/* unexpected (valid queued payload), then probe, then receive */
	fill((uint8_t *)ep->t.area + ep->lay.recvq_off + 128, 100, 4);
	e = ta_arrival(MXN_EVT_RECV_QUEUED, 0x12, 100);
	e.u.q.off = 128;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_iprobe(ep, 0x12, MX_MATCH_MASK_NONE, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.msg_length, 100);
	memset((uint8_t *)ep->t.area + ep->lay.recvq_off + 128, 0, 100); /* the library copied it out */
	CHECK_EQ(mx_irecv(ep, &s2, 1, 0x12, MX_MATCH_MASK_NONE, NULL, &r2), MX_SUCCESS);
	CHECK_EQ(mx_test(ep, &r2, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
	CHECK_EQ(st.xfer_length, 100);
	CHECK(same(big, 100, 4));
	mxl_endpoint_close(ep);
}

static void test_rendezvous(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	static uint8_t buf[3000];
	mx_segment_t segs[3] = { { buf, 1000 }, { buf + 1000, 0 }, { buf + 1000, 1000 } };
	mx_request_t r;
	mx_status_t st;
	struct mxn_evt e;
	struct mxn_cmd c;
	struct mxn_region_desc d;
	struct mxn_vaddr_seg vs[2];
	uint32_t res;

	CHECK_EQ(mx_irecv(ep, segs, 3, 0x20, MX_MATCH_MASK_NONE, &res, &r), MX_SUCCESS);
	e = ta_arrival(MXN_EVT_RECV_RNDV, 0x20, 5000);
	e.u.rndv.rndv_handle = 0xbeef;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_PULL);
	CHECK_EQ(c.length, 0);
	CHECK_EQ(c.u.pull.rndv_handle, 0xbeef);
	CHECK_EQ(c.u.pull.pull_len, 2000); /* min(posted, announced) */
	CHECK_EQ(c.dest_peer, 5);
	memcpy(&d, ep->sendq + c.u.pull.desc_off, sizeof(d));
	memcpy(vs, ep->sendq + c.u.pull.desc_off + sizeof(d), sizeof(vs));
	CHECK_EQ(d.nsegs, 2); /* the empty segment is left out */
	CHECK_EQ(d.total_len, 2000);
	CHECK(vs[0].addr == (uint64_t)(uintptr_t)buf && vs[1].addr == (uint64_t)(uintptr_t)(buf + 1000));
	/* a forged cookie (wrong generation) completes nothing */
	e = ta_done(MXN_EVT_PULL_DONE, c.cookie + (1ull << 32), MXN_ST_OK, 2000);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 0);
	CHECK_EQ(ep->counters[MXL_CNT_BAD_EVENT], 1);
	/* a SEND_DONE naming a receive is refused too */
	e = ta_done(MXN_EVT_SEND_DONE, c.cookie, MXN_ST_OK, 2000);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 0);
	/* the daemon may not claim more than pull_len */
	e = ta_done(MXN_EVT_PULL_DONE, c.cookie, MXN_ST_OK, 999999);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_TRUNCATED);
	CHECK_EQ(st.msg_length, 5000);
	CHECK_EQ(st.xfer_length, 2000);
	CHECK_EQ(mxl_sendq_used(&ep->sq), 0);

	/* an empty receive still pulls (0 bytes), with the empty region */
	CHECK_EQ(mx_irecv(ep, NULL, 0, 0x21, MX_MATCH_MASK_NONE, NULL, &r), MX_SUCCESS);
	e = ta_arrival(MXN_EVT_RECV_RNDV, 0x21, 10);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_PULL);
	CHECK_EQ(c.u.pull.pull_len, 0);
	CHECK_EQ(c.u.pull.desc_len, sizeof(struct mxn_region_desc));
	memcpy(&d, ep->sendq + c.u.pull.desc_off, sizeof(struct mxn_region_desc));
	CHECK_EQ(d.nsegs, 0);
	CHECK_EQ(d.total_len, 0);
	CHECK_EQ(mx_forget(ep, &r), MX_SUCCESS);

	/* a 0-byte issend is a rendezvous too (completion = matched) */
	CHECK_EQ(mx_issend(ep, NULL, 0, peer_addr(), 0x22, NULL, &r), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
	CHECK_EQ(c.flags, MXN_CMDF_SYNC);
	CHECK_EQ(c.length, 0);
	CHECK_EQ(c.u.rndv.desc_len, sizeof(struct mxn_region_desc));
	memcpy(&d, ep->sendq + c.u.rndv.desc_off, sizeof(struct mxn_region_desc));
	CHECK_EQ(d.kind, MXN_REGION_VADDR);
	CHECK_EQ(d.nsegs, 0);
	CHECK_EQ(d.total_len, 0);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 0);
	mxl_endpoint_close(ep);
}

/* A rendezvous of len bytes (handle) for a receive posted on segs with
 * match: the PULL the library answers with, in *c. */
static void rndv_pull(struct mx_endpoint *ep, mx_segment_t *segs, uint32_t nsegs, uint64_t match,
		      uint32_t len, uint64_t handle, mx_request_t *r, uint32_t *res, struct mxn_cmd *c)
{
	struct mxn_evt e;

	CHECK_EQ(mx_irecv(ep, segs, nsegs, match, MX_MATCH_MASK_NONE, res, r), MX_SUCCESS);
	e = ta_arrival(MXN_EVT_RECV_RNDV, match, len);
	e.u.rndv.rndv_handle = handle;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, c));
	CHECK_EQ(c->op, MXN_CMD_PULL);
}

/* The daemon's PULL_DATA for a PULL_DONE that follows. */
static struct mxn_evt pull_data(uint64_t cookie, uint32_t q_off, uint32_t msg_off, uint32_t len)
{
	struct mxn_evt e;

	memset(&e, 0, sizeof(e));
	e.type = MXN_EVT_PULL_DATA;
	e.length = len;
	e.u.data.cookie = cookie;
	e.u.data.off = q_off;
	e.u.data.msg_offset = msg_off;
	return e;
}

/* Staged pulls (MXN_CMDF_STAGED): blocks copied out of the recvq into a
 * segmented buffer at their message offset, in any order; what strays past
 * the pull, the recvq or names a wrong cookie is counted and not copied. */
static void test_pull_staged(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	static uint8_t buf[3000], want[2500];
	mx_segment_t segs[3] = { { buf, 700 }, { buf + 700, 0 }, { buf + 1000, 1800 } };
	mx_request_t r;
	mx_status_t st;
	struct mxn_evt e;
	struct mxn_cmd c;
	uint32_t res;

	ep->pull_staged = true;
	memset(buf, 0xee, sizeof(buf));
	fill(want, sizeof(want), 9);
	rndv_pull(ep, segs, 3, 0x40, 2500, 7, &r, &res, &c);
	CHECK(c.flags & MXN_CMDF_STAGED);
	CHECK_EQ(c.u.pull.pull_len, 2500);
	/* the second block first, across the segment boundary; then the first */
	memcpy((uint8_t *)(uintptr_t)ep->recvq + 4096, want + 600, 1900);
	e = pull_data(c.cookie, 4096, 600, 1900);
	ta_put_evt(ep, &e);
	memcpy((uint8_t *)(uintptr_t)ep->recvq, want, 600);
	e = pull_data(c.cookie, 0, 0, 600);
	ta_put_evt(ep, &e);
	/* hostile: past the pull, past the recvq, a forged cookie, empty */
	e = pull_data(c.cookie, 0, 2000, 501);
	ta_put_evt(ep, &e);
	e = pull_data(c.cookie, (uint32_t)ep->lay.recvq_size - 10, 0, 11);
	ta_put_evt(ep, &e);
	e = pull_data(c.cookie + (1ull << 32), 0, 0, 600);
	ta_put_evt(ep, &e);
	e = pull_data(c.cookie, 0, 0, 0);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 0);
	CHECK_EQ(ep->counters[MXL_CNT_PULL_STAGED], 2);
	CHECK_EQ(ep->counters[MXL_CNT_BAD_EVENT], 4);
	e = ta_done(MXN_EVT_PULL_DONE, c.cookie, MXN_ST_OK, 2500);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
	CHECK_EQ(st.xfer_length, 2500);
	CHECK(!memcmp(buf, want, 700));
	CHECK(!memcmp(buf + 1000, want + 700, 1800));
	CHECK_EQ(buf[700], 0xee);
	CHECK_EQ(buf[999], 0xee);
	CHECK_EQ(buf[2800], 0xee);
	/* a PULL_DATA after the receive completed names nothing */
	e = pull_data(c.cookie, 0, 0, 600);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ep->counters[MXL_CNT_BAD_EVENT], 5);
	CHECK_EQ(ep->counters[MXL_CNT_PULL_STAGED], 2);
	mxl_endpoint_close(ep);

	/* an endpoint that never asked for staged pulls takes no PULL_DATA,
	 * even for a pull of its own in flight */
	ep = ta_endpoint();
	memset(buf, 0xee, sizeof(buf));
	rndv_pull(ep, segs, 3, 0x40, 2500, 8, &r, &res, &c);
	CHECK(!(c.flags & MXN_CMDF_STAGED));
	memcpy((uint8_t *)(uintptr_t)ep->recvq, want, 600);
	e = pull_data(c.cookie, 0, 0, 600);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ep->counters[MXL_CNT_BAD_EVENT], 1);
	CHECK_EQ(ep->counters[MXL_CNT_PULL_STAGED], 0);
	CHECK_EQ(buf[0], 0xee);
	mxl_endpoint_close(ep);
}

/* Staged rendezvous sends (MXN_CMDF_STAGED): a copy of the message after
 * its region descriptor in the sendq, for another host only, while the
 * sendq keeps half its room; the region still names the buffer. */
static void test_send_staged(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	static uint8_t buf[30000];
	mx_segment_t segs[2] = { { buf, 4000 }, { buf + 4000, 6000 } };
	mx_request_t r[3];
	struct mxn_cmd c;
	struct mxn_region_desc d;
	struct mxn_vaddr_seg vs;

	CHECK(!mxl_stage_fits(false, 100, 0, 65536));
	CHECK(!mxl_stage_fits(true, 0, 0, 65536));
	CHECK(mxl_stage_fits(true, 100, 32668, 65536));
	CHECK(!mxl_stage_fits(true, 100, 32669, 65536));
	CHECK(mxl_stage_fits(true, MXL_STAGE_SEND_MAX, 0, 1u << 20));
	CHECK(!mxl_stage_fits(true, MXL_STAGE_SEND_MAX + 1, 0, 1u << 20));

	ep->send_staged = true;
	fill(buf, sizeof(buf), 5);
	CHECK_EQ(mx_issend(ep, segs, 2, peer_addr(), 0x70, NULL, &r[0]), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
	CHECK_EQ(c.flags, MXN_CMDF_SYNC | MXN_CMDF_STAGED);
	CHECK_EQ(c.length, 10000);
	CHECK(c.u.rndv.staged_off >= c.u.rndv.desc_off + c.u.rndv.desc_len);
	CHECK(c.u.rndv.staged_off + 10000 <= ep->lay.sendq_size);
	CHECK(same(ep->sendq + c.u.rndv.staged_off, 10000, 5));
	memcpy(&d, ep->sendq + c.u.rndv.desc_off, sizeof(d));
	CHECK_EQ(d.nsegs, 2);
	memcpy(&vs, ep->sendq + c.u.rndv.desc_off + sizeof(d), sizeof(vs));
	CHECK(vs.addr == (uint64_t)(uintptr_t)buf);
	CHECK_EQ(ep->counters[MXL_CNT_SEND_STAGED], 1);
	/* past half the sendq: the region alone */
	CHECK_EQ(mx_issend(ep, &(mx_segment_t){ buf, 30000 }, 1, peer_addr(), 0x71, NULL, &r[1]),
		 MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
	CHECK_EQ(c.flags, MXN_CMDF_SYNC);
	CHECK_EQ(c.u.rndv.staged_off, 0);
	/* this host: the daemon reads nothing for the wire */
	{
		struct mxl_addr a = { .nic_id = 0x0a0b0c0d0e0full, .session = 77, .peer = MXN_PEER_SELF,
				      .endpoint = 3, .valid = true };
		mx_endpoint_addr_t self;

		mxl_addr_pack(&a, &self);
		CHECK_EQ(mx_issend(ep, segs, 2, self, 0x72, NULL, &r[2]), MX_SUCCESS);
		CHECK(ta_take_cmd(ep, &c));
		CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
		CHECK_EQ(c.flags, MXN_CMDF_SYNC);
	}
	CHECK_EQ(ep->counters[MXL_CNT_SEND_STAGED], 1);
	mxl_endpoint_close(ep);
}

static void test_backlog_order(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	uint8_t b[4];
	mx_segment_t s = { b, 4 };
	mx_request_t r[20];
	struct mxn_cmd c;
	uint32_t i;

	for (i = 0; i < 20; i++)
		CHECK_EQ(mx_isend(ep, &s, 1, peer_addr(), i, NULL, &r[i]), MX_SUCCESS);
	CHECK_EQ(ta_cmds_pending(ep), 16); /* ring full, 4 backlogged */
	CHECK_EQ(ep->counters[MXL_CNT_BACKLOG], 4);
	for (i = 0; i < 20; i++) {
		if (!ta_take_cmd(ep, &c)) {
			CHECK_EQ(mx_progress(ep), MX_SUCCESS); /* room again: backlog goes out */
			CHECK(ta_take_cmd(ep, &c));
		}
		CHECK_EQ(c.match_info, i);
	}
	for (i = 0; i < 20; i++)
		mx_forget(ep, &r[i]);
	mxl_endpoint_close(ep);
}

static void test_guest_error(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	uint8_t b[4];
	mx_segment_t s = { b, 4 };
	mx_request_t rr, sr;
	mx_status_t st;
	struct mxn_evt e;
	uint32_t res;

	CHECK_EQ(mx_irecv(ep, &s, 1, 1, MX_MATCH_MASK_NONE, NULL, &rr), MX_SUCCESS);
	/* synchronous: pending until matched (a buffered one completes at issue) */
	CHECK_EQ(mx_issend(ep, &s, 1, peer_addr(), 2, NULL, &sr), MX_SUCCESS);
	memset(&e, 0, sizeof(e));
	e.type = MXN_EVT_GUEST_ERROR;
	e.status = MXN_ST_BAD_REQUEST;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_wait(ep, &rr, MX_INFINITE, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_ABORTED);
	CHECK_EQ(mx_test(ep, &sr, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_ABORTED);
	CHECK_EQ(mx_isend(ep, &s, 1, peer_addr(), 3, NULL, &sr), MX_SUCCESS);
	CHECK_EQ(mx_test(ep, &sr, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_ABORTED);
	mxl_endpoint_close(ep);

	/* an impossible producer index is treated the same way */
	ep = ta_endpoint();
	CHECK_EQ(mx_irecv(ep, &s, 1, 1, MX_MATCH_MASK_NONE, NULL, &rr), MX_SUCCESS);
	atomic_store(MXN_ATOMIC(&ep->evt.ctl->prod), 1000u);
	CHECK_EQ(mx_wait(ep, &rr, 5000, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_ABORTED);
	mxl_endpoint_close(ep);
}

/* With the unexpected queue full, an unwanted arrival stays in the ring
 * (order kept, nothing lost) until a receive takes the head. */
static void test_unexp_flow_control(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	uint8_t b[40];
	mx_segment_t s = { b, sizeof(b) };
	mx_request_t r;
	mx_status_t st;
	struct mxn_evt e;
	uint32_t i, res;

	ep->unexp_queue_max = 2 * (sizeof(struct mxl_unexp) + 20);
	for (i = 0; i < 5; i++) {
		e = ta_arrival(MXN_EVT_RECV_TINY, 0x30 + i, 20);
		fill(e.u.tiny, 20, (uint8_t)i);
		ta_put_evt(ep, &e);
	}
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ep->m.nunexp, 2);                 /* two buffered, then the stall */
	CHECK_EQ(ep->evt.ctl->cons, 2);
	CHECK(ep->unexp_stalled);
	/* a receive for the head of the ring lets exactly it through */
	CHECK_EQ(mx_irecv(ep, &s, 1, 0x32, MX_MATCH_MASK_NONE, NULL, &r), MX_SUCCESS);
	CHECK_EQ(mx_wait(ep, &r, 1000, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.match_info, 0x32);
	CHECK(same(b, 20, 2));
	CHECK_EQ(ep->evt.ctl->cons, 3);
	/* draining the buffered ones makes room for the rest, in order */
	for (i = 0; i < 5; i++) {
		if (i == 2)
			continue;
		CHECK_EQ(mx_irecv(ep, &s, 1, 0, 0, NULL, &r), MX_SUCCESS);
		CHECK_EQ(mx_wait(ep, &r, 1000, &st, &res), MX_SUCCESS);
		CHECK_EQ(res, 1);
		CHECK_EQ(st.match_info, 0x30 + i);
		CHECK(same(b, 20, (uint8_t)i));
	}
	CHECK_EQ(ep->evt.ctl->cons, 5);
	CHECK(!ep->unexp_stalled);
	CHECK_EQ(ep->unexp_bytes, 0);
	mxl_endpoint_close(ep);
}

int main(void)
{
	test_unexp_flow_control();
	test_send_classes();
	test_arrivals();
	test_rendezvous();
	test_pull_staged();
	test_send_staged();
	test_backlog_order();
	test_guest_error();
	DONE();
}
