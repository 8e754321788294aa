/* SPDX-License-Identifier: MIT */
/*
 * Rendezvous in a pair channel (include/myrixen/pair.h "Rendezvous",
 * lib/pair_rndv.c), against the real daemon:
 *  bypass     4 MiB messages in two segments, the receive posted first,
 *             then waiting unexpected, then into a receive too short: the
 *             bytes arrive intact (truncated to the receive), each send is
 *             announced in the channel and completed by the receiver's FIN,
 *             and the daemon takes no part: no kick, no grant, no copy;
 *  fin waits  the receiver's FIN finds its direction full of its own
 *             messages: it waits for room and goes, in order;
 *  sync       a 4 MiB mx_issend goes the same way (no daemon hop) and still
 *             completes only once the receiver matched it: not while it
 *             waits unexpected; a small mx_issend keeps the daemon's path;
 *  nap        FIN naps (lib/pair_nap.c): a FIN of a send announced before
 *             the previous one is a copy-time sample; with one send out
 *             the sender keeps the bell, with two it naps and says
 *             MXN_RINGF_FIN_QUIET, so the receiver writes that FIN without
 *             a wake-up, and rings with its next message (the bell it
 *             owes); naps that keep missing their FIN give way to the
 *             bell, a nap longer than a futex sleep is cut and is no
 *             miss; a FIN stamped in the future gives no estimate;
 *  refused    a receiver that does not copy for itself
 *             (MYRIXEN_SINGLE_COPY=0) gets its large messages through the
 *             daemon as before;
 *  dead rx    the receiver killed while a send announced to it waits for
 *             its FIN: the send completes with an error, no hang;
 *  dead tx    the sender killed after its announcement: the receive that
 *             matches it later completes with an error, no hang.
 */
#include <signal.h>
#include <sys/wait.h>
#include "itest.h"
#include "mxl.h"
#include "rawclient.h"

enum { E1 = 40, E2 = 41, E3 = 42, EK = 43, ER = 44 };
#define BIG (4u << 20)

static uint64_t lcounter(mx_endpoint_t ep, int which)
{
	return ep->counters[which];
}


/* Progress ep (and other, if any) until ep's channel to peer reads our
 * rendezvous (we hold the peer's process), or give up. */
static bool await_proc(mx_endpoint_t ep, mx_endpoint_t other, uint8_t peer)
{
	for (int i = 0; i < 2000; i++) {
		struct mxl_pair *p;

		IT_OK(mx_progress(ep));
		if (other)
			IT_OK(mx_progress(other));
		mxl_lock(ep);
		p = ep->lp[peer].pair;
		mxl_unlock(ep);
		if (p && p->proc)
			return true;
		usleep(1000);
	}
	return false;
}

/* Progress the sender until its channel to peer says the peer reads them. */
static bool await_flag(mx_endpoint_t ep, mx_endpoint_t other, uint8_t peer)
{
	for (int i = 0; i < 2000; i++) {
		struct mxl_pair *p;
		bool ok;

		IT_OK(mx_progress(ep));
		if (other)
			IT_OK(mx_progress(other));
		mxl_lock(ep);
		p = ep->lp[peer].pair;
		ok = p && (atomic_load(MXN_ATOMIC(&p->tx.ctl->flags)) & MXN_RINGF_PAIR_RNDV);
		mxl_unlock(ep);
		if (ok)
			return true;
		usleep(1000);
	}
	return false;
}

static void isend2(mx_endpoint_t ep, mx_endpoint_addr_t to, uint8_t *buf, uint32_t len,
		   uint64_t match, mx_request_t *r)
{
	/* two segments: the announcement names both */
	mx_segment_t s[2] = { { buf, len / 4 }, { buf + len / 4, len - len / 4 } };

	IT_OK(mx_isend(ep, s, 2, to, match, NULL, r));
}

static void test_bypass(void)
{
	static uint8_t sb[BIG], rb[BIG];
	mx_endpoint_t e1 = it_open(E1), e2 = it_open(E2);
	mx_endpoint_addr_t a2 = it_connect(e1, E2);
	long long kicks0, direct0, pregrant0, async0;
	mx_segment_t rs = { rb, BIG };
	mx_request_t s, r;
	mx_status_t st;
	uint32_t result;

	IT_CHECK(await_flag(e1, e2, E2));
	kicks0 = ctl_counter("kicks");
	direct0 = ctl_counter("pull_direct");
	pregrant0 = ctl_counter("pull_pregranted");
	async0 = ctl_counter("pull_async");
	/* posted first */
	it_fill(sb, BIG, 0x11);
	IT_OK(mx_irecv(e2, &rs, 1, 0x11, MX_MATCH_MASK_NONE, NULL, &r));
	isend2(e1, a2, sb, BIG, 0x11, &s);
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(st.xfer_length, BIG);
	IT_CHECK(it_verify(rb, BIG, 0x11) < 0);
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(st.xfer_length, BIG);
	/* unexpected: announced, then matched */
	it_fill(sb, BIG, 0x22);
	memset(rb, 0, BIG);
	isend2(e1, a2, sb, BIG, 0x22, &s);
	for (int i = 0; i < 1000; i++) {
		IT_OK(mx_iprobe(e2, 0x22, MX_MATCH_MASK_NONE, &st, &result));
		if (result)
			break;
		usleep(1000);
	}
	IT_CHECK(result && st.msg_length == BIG);
	IT_OK(mx_irecv(e2, &rs, 1, 0x22, MX_MATCH_MASK_NONE, NULL, &r));
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_verify(rb, BIG, 0x22) < 0);
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	/* a receive of 1 MiB: truncated, the sender told how much moved */
	it_fill(sb, BIG, 0x33);
	rs.segment_length = BIG / 4;
	IT_OK(mx_irecv(e2, &rs, 1, 0x33, MX_MATCH_MASK_NONE, NULL, &r));
	isend2(e1, a2, sb, BIG, 0x33, &s);
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_TRUNCATED);
	IT_EQ(st.xfer_length, BIG / 4);
	IT_EQ(st.msg_length, BIG);
	IT_CHECK(it_verify(rb, BIG / 4, 0x33) < 0);
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(st.xfer_length, BIG / 4);
	/* all three through the channel, none through the daemon */
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_RNDV_SENT), 3);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_RNDV_COPIED), 3);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_RNDV_FAILED), 0);
	IT_EQ(lcounter(e2, MXL_CNT_PULL), 0);
	IT_EQ(ctl_counter("kicks") - kicks0, 0);
	IT_EQ(ctl_counter("pull_direct") - direct0, 0);
	IT_EQ(ctl_counter("pull_pregranted") - pregrant0, 0);
	IT_EQ(ctl_counter("pull_async") - async0, 0);
	IT_CHECK(ctl_counter("pairs_proc") >= 1);
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
}

/* The receiver's answer finds its channel full (its own messages the
 * sender has not taken yet): it waits, in order, and goes once there is
 * room; the send completes then, nothing is lost either way. */
static void test_fin_waits(void)
{
	enum { NT = 300 };
	static uint8_t sb[BIG], rb[BIG];
	static uint32_t val[NT]; /* a send waiting for room reads it later */
	mx_endpoint_t e1 = it_open(E1), e2 = it_open(E2);
	mx_endpoint_addr_t a2 = it_connect(e1, E2), a1 = it_connect(e2, E1);
	mx_segment_t rs = { rb, BIG };
	mx_request_t t[NT], s, r;
	mx_status_t st;
	uint32_t done = 0, v;
	struct mxl_pair *p;

	IT_CHECK(await_flag(e1, e2, E2));
	for (uint32_t i = 0; i < NT; i++) {
		mx_segment_t ts = { &val[i], sizeof(val[i]) };

		val[i] = i;
		IT_OK(mx_isend(e2, &ts, 1, a1, 0x900 + i, NULL, &t[i]));
	}
	it_fill(sb, BIG, 0x77);
	IT_OK(mx_irecv(e2, &rs, 1, 0x77, MX_MATCH_MASK_NONE, NULL, &r));
	isend2(e1, a2, sb, BIG, 0x77, &s);
	for (int i = 0; i < 1000 && !done; i++) {
		IT_OK(mx_progress(e2));
		IT_OK(mx_test(e2, &r, &st, &done));
	}
	IT_CHECK(done && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_verify(rb, BIG, 0x77) < 0);
	mxl_lock(e2);
	p = e2->lp[E1].pair;
	IT_CHECK(p && p->nfin_wait == 1); /* e1 took nothing yet: no room */
	mxl_unlock(e2);
	done = 0;
	for (int i = 0; i < 5000 && !done; i++) {
		IT_OK(mx_progress(e1));
		IT_OK(mx_progress(e2));
		IT_OK(mx_test(e1, &s, &st, &done));
	}
	IT_CHECK(done && st.code == MX_STATUS_SUCCESS && st.xfer_length == BIG);
	for (uint32_t i = 0; i < NT; i++) {
		mx_segment_t vs = { &v, sizeof(v) };
		mx_request_t q;

		IT_OK(mx_irecv(e1, &vs, 1, 0x900 + i, MX_MATCH_MASK_NONE, NULL, &q));
		IT_CHECK(it_wait(e1, &q, &st) == 0 && st.code == MX_STATUS_SUCCESS);
		IT_EQ(v, i);
		IT_CHECK(it_wait(e2, &t[i], &st) == 0 && st.code == MX_STATUS_SUCCESS);
	}
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
}

static void test_sync(void)
{
	static uint8_t sb[BIG], rb[BIG];
	mx_endpoint_t e1 = it_open(E1), e2 = it_open(E2);
	mx_endpoint_addr_t a2 = it_connect(e1, E2);
	long long kicks0, pulls0;
	mx_segment_t ss = { sb, BIG }, rs = { rb, BIG };
	mx_request_t s, r;
	mx_status_t st;
	uint32_t result = 0, done = 0;

	IT_CHECK(await_flag(e1, e2, E2));
	kicks0 = ctl_counter("kicks");
	pulls0 = ctl_counter("pull_direct") + ctl_counter("pull_async");
	it_fill(sb, BIG, 0x88);
	IT_OK(mx_issend(e1, &ss, 1, a2, 0x88, NULL, &s));
	for (int i = 0; i < 1000 && !result; i++) {
		IT_OK(mx_iprobe(e2, 0x88, MX_MATCH_MASK_NONE, &st, &result));
		usleep(1000);
	}
	IT_CHECK(result && st.msg_length == BIG);
	/* unmatched: a synchronous send is not done */
	for (int i = 0; i < 20; i++) {
		IT_OK(mx_progress(e1));
		IT_OK(mx_test(e1, &s, &st, &done));
		IT_CHECK(!done);
	}
	IT_OK(mx_irecv(e2, &rs, 1, 0x88, MX_MATCH_MASK_NONE, NULL, &r));
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_verify(rb, BIG, 0x88) < 0);
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(st.xfer_length, BIG);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_RNDV_SENT), 1);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_RNDV_COPIED), 1);
	IT_EQ(lcounter(e2, MXL_CNT_PULL), 0);
	IT_EQ(ctl_counter("kicks") - kicks0, 0);
	IT_EQ(ctl_counter("pull_direct") + ctl_counter("pull_async") - pulls0, 0);
	/* a small one: still the daemon's, in order behind the large one */
	ss.segment_length = rs.segment_length = 100;
	it_fill(sb, 100, 0x89);
	IT_OK(mx_issend(e1, &ss, 1, a2, 0x89, NULL, &s));
	IT_OK(mx_irecv(e2, &rs, 1, 0x89, MX_MATCH_MASK_NONE, NULL, &r));
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_verify(rb, 100, 0x89) < 0);
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_RNDV_SENT), 1);
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
}

/* e1's channel to e2, under e1's lock (the caller unlocks). */
static struct mxl_pair *locked_pair(mx_endpoint_t e1)
{
	mxl_lock(e1);
	return e1->lp[E2].pair;
}

/* e1 has s_a then s_b out (two): the nap decision, white box, with a
 * copy-time sample set by hand (the measured one depends on the host):
 * ns_mib per MiB. */
static uint64_t nap_now(mx_endpoint_t e1, uint32_t ns_mib)
{
	struct mxl_pair *p = locked_pair(e1);
	uint64_t until;

	p->fin_last_ns = mxl_now_ns();
	p->fin_rate[0] = ns_mib;
	p->fin_nrate = 1;
	until = mxl_pair_nap(e1);
	mxl_unlock(e1);
	return until;
}

/* Message i of test_nap's stream (match 0x990 + i): received whole and
 * byte-exact into rb, and its send s done with its whole length. */
static void nap_take(mx_endpoint_t e1, mx_endpoint_t e2, uint8_t *rb, int i, mx_request_t *s)
{
	mx_segment_t rs = { rb, BIG };
	mx_request_t r;
	mx_status_t st;

	memset(rb, 0, BIG);
	IT_OK(mx_irecv(e2, &rs, 1, 0x990 + (uint64_t)i, MX_MATCH_MASK_NONE, NULL, &r));
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_verify(rb, BIG, 0x99) < 0);
	IT_CHECK(it_wait(e1, s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(st.xfer_length, BIG);
}

static void test_nap(void)
{
	static uint8_t sb[BIG], rb[BIG];
	mx_endpoint_t e1 = it_open(E1), e2 = it_open(E2);
	mx_endpoint_addr_t a2 = it_connect(e1, E2), a1 = it_connect(e2, E1);
	mx_segment_t ss = { sb, BIG }, rs = { rb, BIG };
	uint32_t tiny = 0x5eed, got = 0;
	mx_segment_t ts = { &tiny, sizeof(tiny) }, gs = { &got, sizeof(got) };
	long long quiet0, fbell0, bell0, send0, miss0;
	mx_request_t s[5], r, t, g;
	struct mxl_req fake;
	struct mxl_pair *p;
	mx_status_t st;
	uint64_t until;

	IT_CHECK(await_flag(e1, e2, E2));
	it_fill(sb, BIG, 0x99);
	for (int i = 0; i < 3; i++)
		IT_OK(mx_isend(e1, &ss, 1, a2, 0x990 + (uint64_t)i, NULL, &s[i]));
	/* two FINs: the second send was announced before the first FIN */
	for (int i = 0; i < 2; i++)
		nap_take(e1, e2, rb, i, &s[i]);
	p = locked_pair(e1);
	IT_EQ(p->fin_nrate, 1); /* the first FIN had nothing before it */
	IT_CHECK(p->fin_last_ns != 0);
	mxl_unlock(e1);
	/* one out (s[2]): a ping-pong keeps the bell */
	IT_EQ(nap_now(e1, 1000000), 0);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_FIN_NAP), 0);
	/* two out: a nap, and the receiver is told */
	IT_OK(mx_isend(e1, &ss, 1, a2, 0x993, NULL, &s[3]));
	until = nap_now(e1, 1000000);
	IT_CHECK(until != 0);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_FIN_NAP), 1);
	p = locked_pair(e1);
	IT_CHECK(p->fin_quiet);
	IT_CHECK(!mxl_pair_arm(e1, true));
	IT_CHECK(atomic_load(MXN_ATOMIC(&p->rx.ctl->flags)) & MXN_RINGF_FIN_QUIET);
	mxl_unlock(e1);
	/* e2 answers s[2]: no wake-up for that FIN ... */
	quiet0 = lcounter(e2, MXL_CNT_PAIR_FIN_QUIET);
	fbell0 = lcounter(e2, MXL_CNT_PAIR_FIN_BELL);
	bell0 = lcounter(e2, MXL_CNT_PAIR_BELL);
	IT_OK(mx_irecv(e2, &rs, 1, 0x992, MX_MATCH_MASK_NONE, NULL, &r));
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_FIN_QUIET) - quiet0, 1);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_FIN_BELL) - fbell0, 0);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_BELL) - bell0, 0);
	/* ... and its next message rings (e1 still sleeps as it armed) */
	send0 = lcounter(e2, MXL_CNT_PAIR_SEND);
	IT_OK(mx_isend(e2, &ts, 1, a1, 0x99f, NULL, &t));
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_SEND) - send0, 1);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_BELL) - bell0, 1);
	IT_CHECK(it_wait(e2, &t, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	mxl_lock(e1);
	mxl_pair_disarm(e1);
	mxl_unlock(e1);
	IT_OK(mx_irecv(e1, &gs, 1, 0x99f, MX_MATCH_MASK_NONE, NULL, &g));
	IT_CHECK(it_wait(e1, &g, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(got, 0x5eed);
	IT_CHECK(it_wait(e1, &s[2], &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(st.xfer_length, BIG);
	/* two out again (s[3], s[4]), no FIN coming: naps, then the bell */
	IT_OK(mx_isend(e1, &ss, 1, a2, 0x994, NULL, &s[4]));
	miss0 = lcounter(e1, MXL_CNT_PAIR_NAP_MISS);
	for (uint32_t i = 0; i <= MXL_NAP_MISSES; i++)
		IT_CHECK(nap_now(e1, 1000000) != 0);
	IT_EQ(nap_now(e1, 1000000), 0);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_NAP_MISS) - miss0, MXL_NAP_MISSES + 1);
	p = locked_pair(e1);
	IT_CHECK(!p->fin_quiet);
	IT_CHECK(!mxl_pair_arm(e1, true));
	IT_CHECK(!(atomic_load(MXN_ATOMIC(&p->rx.ctl->flags)) & MXN_RINGF_FIN_QUIET));
	mxl_pair_disarm(e1);
	/* a FIN stamped in the future (or before its send): no estimate */
	memset(&fake, 0, sizeof(fake));
	fake.total = BIG;
	mxl_pair_nap_fin(p, &fake, mxl_now_ns() + 10000000000ull);
	IT_EQ(p->fin_last_ns, 0);
	IT_EQ(mxl_pair_nap(e1), 0);
	mxl_unlock(e1);
	/* a copy longer than a futex sleep (1 s per MiB): cut, and the
	 * naps again are no misses (that FIN reset them) */
	miss0 = lcounter(e1, MXL_CNT_PAIR_NAP_MISS);
	for (int i = 0; i < 8; i++) {
		until = nap_now(e1, 1000000000);
		IT_CHECK(until != 0 && until <= mxl_now_ns() + MXL_FBELL_CAP_MS * 1000000ull);
	}
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_NAP_MISS) - miss0, 0);
	mxl_lock(e1);
	mxl_pair_disarm(e1);
	mxl_unlock(e1);
	/* the rest goes through, byte for byte */
	for (int i = 3; i < 5; i++)
		nap_take(e1, e2, rb, i, &s[i]);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_RNDV_COPIED), 5);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_RNDV_FAILED), 0);
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
}

static void test_refused(void)
{
	static uint8_t sb[BIG], rb[BIG];
	mx_endpoint_t e1 = it_open(E1), e3;
	mx_endpoint_addr_t a3;
	mx_segment_t rs = { rb, BIG };
	long long direct0 = ctl_counter("pull_direct_bytes") + ctl_counter("pull_async_bytes");
	mx_request_t s, r;
	mx_status_t st;

	setenv("MYRIXEN_SINGLE_COPY", "0", 1);
	e3 = it_open(E3);
	unsetenv("MYRIXEN_SINGLE_COPY");
	a3 = it_connect(e1, E3);
	IT_CHECK(!await_proc(e3, e1, E1)); /* it never takes the peer's process */
	it_fill(sb, BIG, 0x44);
	IT_OK(mx_irecv(e3, &rs, 1, 0x44, MX_MATCH_MASK_NONE, NULL, &r));
	isend2(e1, a3, sb, BIG, 0x44, &s);
	IT_CHECK(it_wait(e3, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_verify(rb, BIG, 0x44) < 0);
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_RNDV_SENT), 0);
	IT_EQ(ctl_counter("pull_direct_bytes") + ctl_counter("pull_async_bytes") - direct0, BIG);
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e3));
}

/* A peer process: opens eid, connects to 'to', waits until the channel
 * works both ways for rendezvous, then sends one BIG message (send) or
 * not, says so on ready, and waits to be killed. */
static void peer(uint32_t eid, uint32_t to, bool send, int ready)
{
	static uint8_t buf[BIG];
	mx_endpoint_t ep;
	mx_endpoint_addr_t a;
	mx_request_t s;

	it_init();
	ep = it_open(eid);
	a = it_connect(ep, to);
	if (!(send ? await_flag(ep, NULL, (uint8_t)to) : await_proc(ep, NULL, (uint8_t)to)))
		_exit(2);
	if (send) {
		it_fill(buf, BIG, 0x55);
		isend2(ep, a, buf, BIG, 0x55, &s);
		if (lcounter(ep, MXL_CNT_PAIR_RNDV_SENT) != 1)
			_exit(3);
	}
	(void)!write(ready, "r", 1);
	for (;;)
		pause();
}

static pid_t spawn(uint32_t eid, uint32_t to, bool send)
{
	int fds[2];
	char c = 0;
	pid_t pid;

	if (pipe(fds))
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		peer(eid, to, send, fds[1]);
	}
	close(fds[1]);
	IT_CHECK(read(fds[0], &c, 1) == 1 && c == 'r');
	close(fds[0]);
	return pid;
}

static void test_dead_receiver(void)
{
	static uint8_t sb[BIG];
	mx_endpoint_t e1 = it_open(E1);
	pid_t pk = spawn(EK, E1, false);
	mx_endpoint_addr_t ak = it_connect(e1, EK);
	mx_request_t s;
	mx_status_t st;

	IT_CHECK(await_flag(e1, NULL, EK));
	isend2(e1, ak, sb, BIG, 0x66, &s);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_RNDV_SENT), 1);
	kill(pk, SIGKILL);
	waitpid(pk, NULL, 0);
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code != MX_STATUS_SUCCESS);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_RNDV_FAILED), 1);
	IT_OK(mx_close_endpoint(e1));
}

static void test_dead_sender(void)
{
	static uint8_t rb[BIG];
	mx_endpoint_t e1 = it_open(E1);
	mx_segment_t rs = { rb, BIG };
	mx_request_t r;
	mx_status_t st;
	uint32_t result = 0;
	pid_t pk;

	/* the child sends once our side reads rendezvous: progress meanwhile */
	pk = fork();
	if (pk == 0)
		peer(ER, E1, true, -1);
	IT_CHECK(await_proc(e1, NULL, ER));
	for (int i = 0; i < 5000 && !result; i++) {
		IT_OK(mx_iprobe(e1, 0x55, MX_MATCH_MASK_NONE, &st, &result));
		usleep(1000);
	}
	IT_CHECK(result);
	kill(pk, SIGKILL);
	waitpid(pk, NULL, 0);
	IT_OK(mx_irecv(e1, &rs, 1, 0x55, MX_MATCH_MASK_NONE, NULL, &r));
	IT_CHECK(it_wait(e1, &r, &st) == 0 && st.code != MX_STATUS_SUCCESS);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_RNDV_FAILED), 1);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_RNDV_COPIED), 0);
	IT_OK(mx_close_endpoint(e1));
}

int main(void)
{
	it_init();
	test_bypass();
	test_fin_waits();
	test_sync();
	test_nap();
	test_refused();
	test_dead_receiver();
	test_dead_sender();
	mx_finalize();
	return it_done("pair_rndv");
}
