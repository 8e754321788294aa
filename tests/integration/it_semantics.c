/* SPDX-License-Identifier: MIT */
/*
 * MX semantics through the real daemon, one process, several endpoints:
 * cancel, synchronous send, probe/iprobe, truncation in every class,
 * peek/test_any/wait_any/context, forget, the unexpected handler, wakeup,
 * wait timeouts, ordering across classes, connect errors, get_info and
 * naming, closed and reopened peers, argument errors.
 */
#include <pthread.h>
#include <time.h>
#include "itest.h"

#define E1 10
#define E2 11
#define E3 12

static mx_endpoint_t e1, e2;
static mx_endpoint_addr_t a2, a1;
static uint32_t medium_max;

static void send1(mx_endpoint_t ep, mx_endpoint_addr_t to, void *buf, uint32_t len, uint64_t match,
		  mx_request_t *req)
{
	mx_segment_t s = { buf, len };

	it_fill(buf, len, match);
	IT_OK(mx_isend(ep, &s, 1, to, match, NULL, req));
}

static void recv1(mx_endpoint_t ep, void *buf, uint32_t len, uint64_t match, uint64_t mask,
		  mx_request_t *req)
{
	mx_segment_t s = { buf, len };

	IT_OK(mx_irecv(ep, &s, 1, match, mask, NULL, req));
}

static void test_cancel(void)
{
	char buf[64];
	mx_request_t r, s;
	mx_status_t st;
	uint32_t res = 9;

	recv1(e2, buf, sizeof(buf), 0x100, MX_MATCH_MASK_NONE, &r);
	IT_OK(mx_cancel(e2, &r, &res));
	IT_EQ(res, 1);
	IT_CHECK(r == NULL);
	/* the cancelled receive must not swallow the message */
	send1(e1, a2, buf, 10, 0x100, &s);
	it_wait(e1, &s, &st);
	res = 0;
	IT_OK(mx_probe(e2, IT_WAIT_MS, 0x100, MX_MATCH_MASK_NONE, &st, &res));
	IT_EQ(res, 1);
	recv1(e2, buf, sizeof(buf), 0x100, MX_MATCH_MASK_NONE, &r);
	if (!it_wait(e2, &r, &st)) {
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_EQ(st.xfer_length, 10);
	}
	/* a completed send cannot be cancelled */
	send1(e1, a2, buf, 4, 0x101, &s);
	recv1(e2, buf, sizeof(buf), 0x101, MX_MATCH_MASK_NONE, &r);
	it_wait(e2, &r, &st);
	res = 9;
	IT_OK(mx_cancel(e1, &s, &res));
	IT_EQ(res, 0);
	it_wait(e1, &s, &st);
}

static void test_issend(uint32_t len)
{
	char *sb = malloc(len + 1), *rb = malloc(len + 1);
	mx_request_t s, r;
	mx_status_t st;
	uint32_t res = 9;
	mx_segment_t seg = { sb, len };

	it_fill(sb, len, 0x200 + len);
	IT_OK(mx_issend(e1, &seg, 1, a2, 0x200 + len, NULL, &s));
	/* not matched yet: a synchronous send (even of 0 bytes) cannot complete */
	for (int i = 0; i < 20; i++) {
		IT_OK(mx_test(e1, &s, &st, &res));
		IT_EQ(res, 0);
	}
	IT_OK(mx_wait(e1, &s, 200, &st, &res));
	IT_EQ(res, 0);
	IT_OK(mx_ibuffered(e1, &s, &res));
	IT_EQ(res, 0);
	recv1(e2, rb, len, 0x200 + len, MX_MATCH_MASK_NONE, &r);
	if (!it_wait(e2, &r, &st)) {
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_EQ(st.msg_length, len);
		IT_EQ(st.xfer_length, len);
		IT_CHECK(it_verify(rb, len, 0x200 + len) < 0);
	}
	if (!it_wait(e1, &s, &st)) {
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_EQ(st.xfer_length, len);
	}
	free(sb);
	free(rb);
}

/* A synchronous send matching a receive already posted (the expected path),
 * including one that the receive truncates to nothing. */
static void test_issend_expected(uint32_t len, uint32_t posted)
{
	char *sb = malloc(len + 1), *rb = malloc(posted + 1);
	uint32_t xfer = len < posted ? len : posted;
	mx_segment_t seg = { sb, len };
	mx_request_t s, r;
	mx_status_t st;

	it_fill(sb, len, 0x300 + len);
	recv1(e2, rb, posted, 0x300 + len, MX_MATCH_MASK_NONE, &r);
	IT_OK(mx_issend(e1, &seg, 1, a2, 0x300 + len, NULL, &s));
	if (!it_wait(e2, &r, &st)) {
		IT_EQ(st.code, len > posted ? MX_STATUS_TRUNCATED : MX_STATUS_SUCCESS);
		IT_EQ(st.msg_length, len);
		IT_EQ(st.xfer_length, xfer);
		IT_CHECK(it_verify(rb, xfer, 0x300 + len) < 0);
	}
	if (!it_wait(e1, &s, &st))
		IT_EQ(st.xfer_length, xfer);
	free(sb);
	free(rb);
}

static void test_probe(void)
{
	char buf[256];
	mx_request_t s, r;
	mx_status_t st;
	uint32_t res = 9, eid;
	uint64_t nic, mynic;

	IT_OK(mx_iprobe(e2, 0x300, MX_MATCH_MASK_NONE, &st, &res));
	IT_EQ(res, 0);
	send1(e1, a2, buf, 77, 0xabcd00000300ull, &s);
	it_wait(e1, &s, &st);
	res = 0;
	IT_OK(mx_probe(e2, IT_WAIT_MS, 0xabcd00000000ull, 0xffff00000000ull, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.msg_length, 77);
	IT_EQ(st.match_info, 0xabcd00000300ull);
	IT_OK(mx_decompose_endpoint_addr(st.source, &nic, &eid));
	IT_OK(mx_board_number_to_nic_id(0, &mynic));
	IT_EQ(nic, mynic);
	IT_EQ(eid, E1);
	res = 9;
	IT_OK(mx_iprobe(e2, 0xabce00000000ull, 0xffff00000000ull, &st, &res));
	IT_EQ(res, 0);
	res = 9;
	IT_OK(mx_iprobe(e2, 0x300, 0xffff, &st, &res)); /* still there: probe does not take */
	IT_EQ(res, 1);
	recv1(e2, buf, sizeof(buf), 0x300, 0xffff, &r);
	if (!it_wait(e2, &r, &st))
		IT_CHECK(it_verify(buf, 77, 0xabcd00000300ull) < 0);
	res = 9;
	IT_OK(mx_iprobe(e2, 0x300, 0xffff, &st, &res));
	IT_EQ(res, 0);
	IT_EQ(mx_iprobe(e2, 0x1, 0x0, &st, &res), MX_BAD_MATCH_MASK);
}

static void test_truncation(uint32_t len, uint32_t posted)
{
	char *sb = malloc(len + 1), *rb = malloc(posted + 16);
	uint64_t match = 0x400000000ull + len;
	mx_request_t s, r;
	mx_status_t st;

	memset(rb, 0x77, posted + 16);
	recv1(e2, rb, posted, match, MX_MATCH_MASK_NONE, &r);
	send1(e1, a2, sb, len, match, &s);
	if (!it_wait(e2, &r, &st)) {
		IT_EQ(st.code, MX_STATUS_TRUNCATED);
		IT_EQ(st.msg_length, len);
		IT_EQ(st.xfer_length, posted);
		IT_CHECK(it_verify(rb, posted, match) < 0);
		IT_EQ((uint8_t)rb[posted], 0x77); /* nothing written past the buffer */
	}
	if (!it_wait(e1, &s, &st)) {
		IT_CHECK(st.code == MX_STATUS_SUCCESS || st.code == MX_STATUS_TRUNCATED);
		IT_EQ(st.msg_length, len);
		IT_CHECK(st.xfer_length <= len);
	}
	free(sb);
	free(rb);
}

static void test_peek_any_context(void)
{
	char b1[8], b2[8], sb[8];
	mx_request_t r1, r2, s, got;
	mx_segment_t g1 = { b1, 8 }, g2 = { b2, 8 };
	mx_status_t st;
	uint32_t res = 9;
	void *ctx = NULL;
	int k1, k2;

	IT_OK(mx_irecv(e2, &g1, 1, 0x501, MX_MATCH_MASK_NONE, &k1, &r1));
	IT_OK(mx_irecv(e2, &g2, 1, 0x502, MX_MATCH_MASK_NONE, &k2, &r2));
	IT_OK(mx_context(&r2, &ctx));
	IT_CHECK(ctx == &k2);
	IT_OK(mx_ipeek(e2, &got, &res));
	IT_EQ(res, 0);
	send1(e1, a2, sb, 8, 0x502, &s);
	it_wait(e1, &s, &st);
	res = 0;
	IT_OK(mx_peek(e2, IT_WAIT_MS, &got, &res));
	IT_EQ(res, 1);
	IT_CHECK(got == r2);
	IT_OK(mx_context(&got, &ctx));
	IT_CHECK(ctx == &k2);
	res = 0;
	IT_OK(mx_test(e2, &got, &st, &res));
	IT_EQ(res, 1);
	IT_CHECK(st.context == &k2);
	IT_EQ(st.match_info, 0x502);
	/* test_any / wait_any select by match */
	send1(e1, a2, sb, 8, 0x501, &s);
	it_wait(e1, &s, &st);
	res = 9;
	IT_OK(mx_wait_any(e2, IT_WAIT_MS, 0x501, MX_MATCH_MASK_NONE, &st, &res));
	IT_EQ(res, 1);
	IT_CHECK(st.context == &k1);
	res = 9;
	IT_OK(mx_test_any(e2, 0x501, MX_MATCH_MASK_NONE, &st, &res));
	IT_EQ(res, 0);
}

static void test_forget(void)
{
	char sb[100], rb[100];
	mx_request_t s, r;
	mx_status_t st;

	send1(e1, a2, sb, 100, 0x600, &s);
	IT_OK(mx_forget(e1, &s));
	IT_CHECK(s == NULL);
	recv1(e2, rb, 100, 0x600, MX_MATCH_MASK_NONE, &r);
	if (!it_wait(e2, &r, &st))
		IT_CHECK(it_verify(rb, 100, 0x600) < 0);
	IT_OK(mx_progress(e1));
}

static int handler_calls, handler_mode;
static uint32_t handler_len;
static int handler_data_ok;

static mx_unexp_handler_action_t handler(void *ctx, mx_endpoint_addr_t src, uint64_t match,
					 uint32_t len, void *data)
{
	(void)src;
	IT_CHECK(ctx == &handler_calls);
	handler_calls++;
	handler_len = len;
	handler_data_ok = data ? it_verify(data, len, match) < 0 : -1;
	return handler_mode ? MX_RECV_FINISHED : MX_RECV_CONTINUE;
}

static void test_unexp_handler(void)
{
	char sb[64], rb[64];
	char *big = malloc(1u << 20);
	mx_segment_t bs = { big, 1u << 20 };
	mx_request_t s, r;
	mx_status_t st;
	uint32_t res = 9;

	IT_OK(mx_register_unexp_handler(e2, handler, &handler_calls));
	handler_mode = 1; /* consume */
	send1(e1, a2, sb, 20, 0x700, &s);
	it_wait(e1, &s, &st);
	for (int i = 0; i < 2000 && handler_calls == 0; i++) {
		IT_OK(mx_progress(e2));
		usleep(1000);
	}
	IT_EQ(handler_calls, 1);
	IT_EQ(handler_len, 20);
	IT_EQ(handler_data_ok, 1);
	IT_OK(mx_iprobe(e2, 0x700, MX_MATCH_MASK_NONE, &st, &res));
	IT_EQ(res, 0); /* consumed */
	/* a consumed rendezvous releases its sender */
	IT_OK(mx_isend(e1, &bs, 1, a2, 0x701, NULL, &s));
	for (int i = 0; i < 2000 && handler_calls == 1; i++) {
		IT_OK(mx_progress(e2));
		usleep(1000);
	}
	IT_EQ(handler_calls, 2);
	IT_EQ(handler_data_ok, -1); /* no data for a rendezvous */
	if (!it_wait(e1, &s, &st))
		IT_EQ(st.xfer_length, 0);
	/* CONTINUE keeps it for a later receive */
	handler_mode = 0;
	send1(e1, a2, sb, 30, 0x702, &s);
	it_wait(e1, &s, &st);
	res = 0;
	IT_OK(mx_probe(e2, IT_WAIT_MS, 0x702, MX_MATCH_MASK_NONE, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(handler_calls, 3);
	recv1(e2, rb, sizeof(rb), 0x702, MX_MATCH_MASK_NONE, &r);
	if (!it_wait(e2, &r, &st))
		IT_CHECK(it_verify(rb, 30, 0x702) < 0);
	IT_OK(mx_register_unexp_handler(e2, NULL, NULL));
	free(big);
}

static void *waker(void *arg)
{
	usleep(200000);
	mx_wakeup(arg);
	return NULL;
}

static void test_wakeup_and_timeout(void)
{
	struct timespec t0, t1;
	char rb[8];
	mx_request_t r;
	mx_status_t st;
	uint32_t res = 9;
	pthread_t th;
	uint32_t cancelled;

	recv1(e2, rb, 8, 0x800, MX_MATCH_MASK_NONE, &r);
	/* a wakeup nobody waits for does not end a later wait early */
	IT_OK(mx_wakeup(e2));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	IT_OK(mx_wait(e2, &r, 50, &st, &res));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	IT_EQ(res, 0);
	IT_CHECK(t1.tv_sec - t0.tv_sec < 5); /* returned: not stuck */
	IT_CHECK((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 45000000L);
	pthread_create(&th, NULL, waker, e2);
	res = 9;
	IT_OK(mx_wait(e2, &r, MX_INFINITE, &st, &res)); /* only mx_wakeup ends this */
	IT_EQ(res, 0);
	pthread_join(th, NULL);
	IT_OK(mx_cancel(e2, &r, &cancelled));
	IT_EQ(cancelled, 1);
}

static void *late_sender(void *arg)
{
	static char sb[20000];
	mx_request_t s;
	mx_status_t st;

	(void)arg;
	usleep(100000);
	send1(e1, a2, sb, sizeof(sb), 0x850, &s);
	it_wait(e1, &s, &st);
	return NULL;
}

/* One thread sleeps in mx_wait (lock released) while another sends to it
 * through the same library. */
static void test_threaded_wait(void)
{
	static char rb[20000];
	mx_request_t r;
	mx_status_t st;
	uint32_t res = 0;
	pthread_t th;

	recv1(e2, rb, sizeof(rb), 0x850, MX_MATCH_MASK_NONE, &r);
	pthread_create(&th, NULL, late_sender, NULL);
	IT_OK(mx_wait(e2, &r, MX_INFINITE, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.xfer_length, sizeof(rb));
	IT_CHECK(it_verify(rb, sizeof(rb), 0x850) < 0);
	pthread_join(th, NULL);
}

/* Messages of mixed classes with one match arrive in send order. */
static void test_order_mixed(void)
{
	enum { N = 40 };
	static char sbuf[N][70000], rbuf[N][70000];
	uint32_t lens[4] = { 5, 100, 5000, 70000 };
	mx_request_t s[N], r[N];
	mx_status_t st;
	int i;

	for (i = 0; i < N; i++) {
		mx_segment_t seg = { sbuf[i], lens[i % 4] };

		it_fill(sbuf[i], lens[i % 4], 0x900 + i);
		sbuf[i][0] = (char)i;
		IT_OK(mx_isend(e1, &seg, 1, a2, 0x900, NULL, &s[i]));
	}
	for (i = 0; i < N; i++)
		recv1(e2, rbuf[i], sizeof(rbuf[i]), 0x900, MX_MATCH_MASK_NONE, &r[i]);
	for (i = 0; i < N; i++) {
		if (it_wait(e2, &r[i], &st))
			continue;
		IT_EQ(st.msg_length, lens[i % 4]);
		IT_EQ((uint8_t)rbuf[i][0], i);
	}
	for (i = 0; i < N; i++)
		it_wait(e1, &s[i], &st);
}

static void test_connect_errors(void)
{
	mx_endpoint_addr_t a;
	mx_request_t r;
	mx_status_t st;
	uint64_t nic, nic2;
	uint32_t eid;

	IT_OK(mx_board_number_to_nic_id(0, &nic));
	IT_EQ(mx_connect(e1, nic, E2, IT_KEY + 1, 2000, &a), MX_BAD_CONNECTION_KEY);
	IT_CHECK(mx_connect(e1, nic, 200, IT_KEY, 2000, &a) != MX_SUCCESS);
	IT_EQ(mx_connect(e1, nic, 999, IT_KEY, 2000, &a), MX_BAD_ENDPOINT_ID);
	IT_OK(mx_iconnect(e1, nic, E2, IT_KEY, 0x77, &a, &r));
	if (!it_wait(e1, &r, &st)) {
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_EQ(st.match_info, 0x77);
		IT_CHECK(st.context == &a);
		IT_OK(mx_decompose_endpoint_addr(st.source, &nic2, &eid));
		IT_EQ(nic2, nic);
		IT_EQ(eid, E2);
	}
	IT_OK(mx_iconnect(e1, nic, E2, IT_KEY + 5, 0, NULL, &r));
	if (!it_wait(e1, &r, &st))
		IT_EQ(st.code, MX_STATUS_BAD_KEY);
}

/* A closed peer.  A buffered send completes at issue (its bytes were handed
 * over: pair channel, or Open-MX's bounded "zombie" sends), so its status
 * may be success; a synchronous send reports the failure; and nothing ever
 * reaches the endpoint reopened at the same index with the old address. */
static void closed_send(mx_endpoint_addr_t to, uint64_t match)
{
	char b[64];
	mx_segment_t sg = { b, 10 };
	mx_request_t s;
	mx_status_t st;

	send1(e1, to, b, 10, match, &s);
	(void)it_wait(e1, &s, &st);
	IT_OK(mx_issend(e1, &sg, 1, to, match, NULL, &s));
	if (!it_wait(e1, &s, &st))
		IT_CHECK(st.code != MX_STATUS_SUCCESS);
}

static void test_closed_peer(void)
{
	mx_endpoint_t e3 = it_open(E3);
	mx_endpoint_addr_t a3;
	char rb[64];
	mx_segment_t rs = { rb, sizeof(rb) };
	mx_request_t r;
	mx_status_t st;
	uint32_t res = 1;

	a3 = it_connect(e1, E3);
	IT_OK(mx_close_endpoint(e3));
	closed_send(a3, 0xa00);
	/* reopened endpoint, old address: a stale session must not deliver */
	e3 = it_open(E3);
	closed_send(a3, 0xa01);
	IT_OK(mx_irecv(e3, &rs, 1, 0, 0, NULL, &r));
	IT_OK(mx_wait(e3, &r, 300, &st, &res));
	IT_EQ(res, 0);
	IT_OK(mx_close_endpoint(e3));
}

static void test_info(void)
{
	uint32_t v = 0;
	uint64_t ids[2] = { 0, 0 }, nic, nic2;
	char host[MX_MAX_HOSTNAME_LEN];
	uint32_t board = 9;

	IT_OK(mx_get_info(NULL, MX_NIC_COUNT, NULL, 0, &v, sizeof(v)));
	IT_EQ(v, 1);
	IT_OK(mx_get_info(NULL, MX_NIC_IDS, NULL, 0, ids, sizeof(ids)));
	IT_OK(mx_board_number_to_nic_id(0, &nic));
	IT_EQ(ids[0], nic);
	IT_CHECK(nic != 0);
	IT_OK(mx_get_info(e1, MX_PIO_SEND_MAX, NULL, 0, &v, sizeof(v)));
	IT_EQ(v, 32);
	IT_OK(mx_get_info(e1, MX_COPY_SEND_MAX, NULL, 0, &v, sizeof(v)));
	IT_EQ(v, medium_max);
	IT_OK(mx_get_info(NULL, MX_MAX_NATIVE_ENDPOINTS, NULL, 0, &v, sizeof(v)));
	IT_CHECK(v >= 1);
	IT_EQ(mx_get_info(NULL, (mx_get_info_key_t)99, NULL, 0, &v, sizeof(v)), MX_BAD_INFO_KEY);
	IT_EQ(mx_get_info(NULL, MX_NIC_IDS, NULL, 0, ids, 4), MX_BAD_INFO_LENGTH);
	IT_OK(mx_nic_id_to_hostname(nic, host));
	IT_OK(mx_hostname_to_nic_id(host, &nic2));
	IT_EQ(nic2, nic);
	/* MX's "hostname:board": board 0 is this board, board 1 none */
	{
		char b0[MX_MAX_HOSTNAME_LEN + 8];

		snprintf(b0, sizeof(b0), "%s:0", host);
		nic2 = 0;
		IT_OK(mx_hostname_to_nic_id(b0, &nic2));
		IT_EQ(nic2, nic);
		snprintf(b0, sizeof(b0), "%s:1", host);
		IT_EQ(mx_hostname_to_nic_id(b0, &nic2), MX_HOST_NOT_FOUND);
	}
	IT_OK(mx_nic_id_to_board_number(nic, &board));
	IT_EQ(board, 0);
	IT_EQ(mx_nic_id_to_board_number(nic ^ 1, &board), MX_NIC_NOT_FOUND);
	IT_CHECK(strcmp(mx_strerror(MX_TIMEOUT), mx_strerror(MX_SUCCESS)) != 0);
	IT_CHECK(strcmp(mx_strstatus(MX_STATUS_TRUNCATED), mx_strstatus(MX_STATUS_SUCCESS)) != 0);
}

static uint32_t counter(mx_endpoint_t ep, const char *label)
{
	uint32_t n = 0, i, vals[64];
	static char labels[64][MX_MAX_STR_LEN];

	IT_OK(mx_get_info(ep, MX_COUNTERS_COUNT, NULL, 0, &n, sizeof(n)));
	if (n > 64)
		return 0;
	IT_OK(mx_get_info(ep, MX_COUNTERS_LABELS, NULL, 0, labels, sizeof(labels)));
	IT_OK(mx_get_info(ep, MX_COUNTERS_VALUES, NULL, 0, vals, sizeof(vals)));
	for (i = 0; i < n; i++)
		if (!strcmp(labels[i], label))
			return vals[i];
	it_failures++;
	return 0;
}

/* MX_PARAM_UNEXP_QUEUE_MAX: a flood nobody receives is buffered only up to
 * the limit; the rest waits upstream and arrives intact, in order. */
static void test_unexp_limit(void)
{
	enum { N = 50, LEN = 5000 };
	static char sb[N][LEN], rb[LEN];
	mx_param_t prm = { .key = MX_PARAM_UNEXP_QUEUE_MAX, .val.unexp_queue_max = 20000 };
	mx_segment_t rs = { rb, LEN };
	mx_endpoint_t e4;
	mx_endpoint_addr_t a4;
	mx_request_t s[N], r;
	mx_status_t st;
	int i;

	IT_FATAL(mx_open_endpoint(MX_ANY_NIC, 13, IT_KEY, &prm, 1, &e4));
	a4 = it_connect(e1, 13);
	for (i = 0; i < N; i++)
		send1(e1, a4, sb[i], LEN, 0xc00 + i, &s[i]);
	for (i = 0; i < 200; i++) {
		IT_OK(mx_progress(e1));
		IT_OK(mx_progress(e4));
		usleep(1000);
	}
	IT_CHECK(counter(e4, "Unexpected messages") <= 20000 / LEN + 1);
	IT_CHECK(counter(e4, "Unexpected queue full stalls") > 0);
	for (i = 0; i < N; i++) {
		IT_OK(mx_irecv(e4, &rs, 1, 0, 0, NULL, &r));
		if (it_wait(e4, &r, &st))
			break;
		IT_EQ(st.match_info, 0xc00 + i);
		IT_CHECK(it_verify(rb, LEN, 0xc00 + i) < 0);
	}
	for (i = 0; i < N; i++) {
		if (!it_wait(e1, &s[i], &st))
			IT_EQ(st.code, MX_STATUS_SUCCESS);
	}
	IT_OK(mx_close_endpoint(e4));
	prm.val.unexp_queue_max = 0;
	IT_EQ(mx_open_endpoint(MX_ANY_NIC, 13, IT_KEY, &prm, 1, &e4), MX_BAD_PARAM_VAL);
}

/* An endpoint's own address (mx_get_endpoint_addr) works without connect. */
static void test_self_send(void)
{
	char sb[3000], rb[3000];
	mx_request_t s, r;
	mx_status_t st;
	uint32_t eid;
	uint64_t nic, mynic;

	recv1(e1, rb, sizeof(rb), 0xb00, MX_MATCH_MASK_NONE, &r);
	send1(e1, a1, sb, sizeof(sb), 0xb00, &s);
	if (!it_wait(e1, &r, &st)) {
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_CHECK(it_verify(rb, sizeof(rb), 0xb00) < 0);
		IT_OK(mx_decompose_endpoint_addr(st.source, &nic, &eid));
		IT_OK(mx_board_number_to_nic_id(0, &mynic));
		IT_EQ(nic, mynic);
		IT_EQ(eid, E1);
	}
	it_wait(e1, &s, &st);
}

static void test_bad_args(void)
{
	char b[8];
	mx_segment_t seg = { b, 8 };
	mx_request_t r;
	mx_endpoint_t dup;
	mx_endpoint_addr_t zero;

	memset(&zero, 0, sizeof(zero));
	IT_EQ(mx_isend(e1, &seg, 1, a2, 1, NULL, NULL), MX_BAD_REQUEST);
	IT_EQ(mx_isend(e1, &seg, MX_MAX_SEGMENTS + 1, a2, 1, NULL, &r), MX_BAD_SEG_CNT);
	IT_EQ(mx_isend(e1, NULL, 1, a2, 1, NULL, &r), MX_BAD_SEG_LIST);
	IT_EQ(mx_isend(e1, &seg, 1, zero, 1, NULL, &r), MX_BAD_ENDPOINT);
	IT_EQ(mx_irecv(e2, &seg, 1, 0x10, 0x01, NULL, &r), MX_BAD_MATCH_MASK);
	IT_CHECK(mx_open_endpoint(MX_ANY_NIC, E1, IT_KEY, NULL, 0, &dup) != MX_SUCCESS);
	IT_EQ(mx_open_endpoint(7, E3, IT_KEY, NULL, 0, &dup), MX_BOARD_UNKNOWN);
	IT_OK(mx_disconnect(e1, a2));
}

int main(void)
{
	it_init();
	e1 = it_open(E1);
	e2 = it_open(E2);
	IT_OK(mx_get_endpoint_addr(e1, &a1));
	IT_FATAL(mx_get_info(e1, MX_COPY_SEND_MAX, NULL, 0, &medium_max, sizeof(medium_max)));
	a2 = it_connect(e1, E2);
	test_cancel();
	test_issend(0);
	test_issend(10);
	test_issend(4u << 20);
	test_issend_expected(0, 0);
	test_issend_expected(0, 64);
	test_issend_expected(100, 0);
	test_probe();
	test_truncation(100, 50);
	test_truncation(20000, 1000);
	test_truncation(1u << 20, 1000);
	test_truncation(1u << 20, 0);
	test_truncation(40, 0);
	test_peek_any_context();
	test_forget();
	test_unexp_handler();
	test_wakeup_and_timeout();
	test_threaded_wait();
	test_order_mixed();
	test_connect_errors();
	test_closed_peer();
	test_info();
	test_self_send();
	test_unexp_limit();
	test_bad_args();
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
	mx_finalize();
	return it_done("semantics");
}
