/* SPDX-License-Identifier: MIT */
/*
 * Pair channels between local endpoints (include/myrixen/pair.h), against
 * the real daemon:
 *  order    tiny/medium sends (pair channel) interleaved with large sends
 *           and synchronous sends (daemon path) arrive in send order;
 *  attack   peers write into their channels an impossible index, a slot
 *           whose payload lies outside the data queue, a slot whose seq is
 *           no index's, and a prod pushed past a slot never written (pair.h
 *           "Trust"): the victim cuts off each channel only, counts it, the
 *           daemon's pair_faults shows it, traffic with the attacker goes on
 *           through the daemon, and a bystander's channel keeps working;
 *  killed   a peer killed while the victim's sends wait for channel room:
 *           every request completes, no hang; the waiting ones go on through
 *           the daemon, whose failure is counted (buffered sends complete at issue).
 */
#include <signal.h>
#include <sys/wait.h>
#include "itest.h"
#include "mxl.h"
#include "rawclient.h"

enum { EV = 60, EA = 61, EC = 62, EA2 = 63, EK = 64, EO1 = 65, EO2 = 66, EA3 = 67, EA4 = 68 };

static uint32_t lcounter(mx_endpoint_t ep, const char *label)
{
	for (int i = 0; i < MXL_CNT_MAX; i++)
		if (!strcmp(mxl_counter_names[i], label))
			return (uint32_t)ep->counters[i];
	it_failures++;
	return 0;
}


static void send_to(mx_endpoint_t ep, mx_endpoint_addr_t to, void *buf, uint32_t len,
		    uint64_t match, bool sync, mx_request_t *r)
{
	mx_segment_t s = { buf, len };

	if (sync)
		IT_OK(mx_issend(ep, &s, 1, to, match, NULL, r));
	else
		IT_OK(mx_isend(ep, &s, 1, to, match, NULL, r));
}

/* Receive the message 'match' (exact) into buf; its length, or -1. */
static long recv_match(mx_endpoint_t ep, void *buf, uint32_t len, uint64_t match,
		       mx_endpoint_addr_t *src)
{
	mx_segment_t s = { buf, len };
	mx_request_t r;
	mx_status_t st;

	IT_OK(mx_irecv(ep, &s, 1, match, MX_MATCH_MASK_NONE, NULL, &r));
	if (it_wait(ep, &r, &st) || st.code != MX_STATUS_SUCCESS)
		return -1;
	if (src)
		*src = st.source;
	return st.xfer_length;
}

/* ---- order ---- */

static uint32_t order_len(int i)
{
	/* the channel's share (80 messages, 420 KB) fits in it: the sender
	 * is never called again while the receiver drains */
	static const uint32_t lens[] = { 8, 5000, 100000, 20, 0, 16000 };

	return lens[i % 6];
}

static void test_order(void)
{
	enum { N = 120, MAX = 100000 };
	mx_endpoint_t e1 = it_open(EO1), e2 = it_open(EO2);
	mx_endpoint_addr_t a2 = it_connect(e1, EO2);
	static char sb[N][MAX], rb[MAX];
	mx_request_t s[N];
	mx_status_t st;
	uint32_t rndv;
	int i;

	/* Everything is sent before anything is received: the receiver
	 * matches from its unexpected queue, in arrival order. */
	for (i = 0; i < N; i++) {
		it_fill(sb[i], order_len(i), 0x700 + (uint64_t)i);
		send_to(e1, a2, sb[i], order_len(i), 0x700 + (uint64_t)i, i % 6 == 3, &s[i]);
		IT_OK(mx_progress(e2));
	}
	for (i = 0; i < N; i++) {
		mx_segment_t rs = { rb, MAX };
		mx_request_t r;

		/* any match: the first message left must be message i */
		IT_OK(mx_irecv(e2, &rs, 1, 0, 0, NULL, &r));
		if (it_wait(e2, &r, &st))
			break;
		IT_EQ(st.match_info, 0x700 + (uint64_t)i);
		IT_EQ(st.xfer_length, order_len(i));
		IT_CHECK(it_verify(rb, order_len(i), 0x700 + (uint64_t)i) < 0);
	}
	for (i = 0; i < N; i++)
		IT_CHECK(it_wait(e1, &s[i], &st) == 0 && st.code == MX_STATUS_SUCCESS);
	/* the channel carried the small ones and, announced there, the large
	 * ones once the receiver said it reads them (pair_rndv.c); the daemon
	 * the synchronous ones and the large ones sent before that */
	rndv = lcounter(e1, "Large sends announced in a pair channel");
	IT_EQ(lcounter(e1, "Pair channel sends"), N / 6 * 4);
	IT_CHECK(rndv > 0 && rndv <= N / 6);
	IT_EQ(lcounter(e2, "Large messages read from a pair peer, no daemon hop"), rndv);
	IT_EQ(lcounter(e2, "Pair channel arrivals"), N / 6 * 4 + rndv);
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
}

/* ---- attack ---- */

static struct mxl_pair *pair_with(mx_endpoint_t ep, uint8_t peer)
{
	struct mxl_pair *p;

	mxl_lock(ep);
	mxl_progress(ep);
	p = ep->lp[peer].pair;
	mxl_unlock(ep);
	return p;
}

static void ring(struct mxl_pair *p)
{
	uint64_t one = 1;

	IT_CHECK(write(p->tx_bell, &one, sizeof(one)) == sizeof(one));
}

/* The attacker: one good message through the channel, then the attack,
 * then (once the daemon closed our side) one through the daemon. */
static int attacker(uint32_t eid, int how, struct it_pipe *go)
{
	mx_endpoint_t ea;
	mx_endpoint_addr_t av;
	struct mxl_pair *p;
	char b[64] = "good";
	mx_request_t s;
	mx_status_t st;
	int i;

	it_init();
	ea = it_open(eid);
	av = it_connect(ea, EV);
	p = pair_with(ea, EV);
	IT_CHECK(p != NULL);
	if (!p)
		return it_done("pair/attacker");
	send_to(ea, av, b, 4, 0x100 + eid, false, &s);
	IT_CHECK(it_wait(ea, &s, &st) == 0);
	it_await(go);
	mxl_lock(ea);
	if (how == 0) {
		/* an impossible producer index */
		atomic_store(MXN_ATOMIC(&p->tx.ctl->prod), p->tx.prod_pvt + 1000u);
	} else {
		struct mxn_pair_slot *sl = &p->tx_slots[p->tx.prod_pvt & p->tx.mask];

		memset(sl, 0, sizeof(*sl));
		sl->type = MXN_PAIR_QUEUED;
		sl->length = 4000;
		/* 1: a written slot whose payload lies outside the data queue;
		 * 2: a slot whose seq is no index's; 3: prod pushed past a
		 * slot never written (its seq still the previous lap's, 0) */
		sl->off = how == 1 ? p->lay.data_size - 64 : 0;
		if (how != 3)
			atomic_store(MXN_ATOMIC(&sl->seq),
				     how == 1 ? mxn_pair_seq_of(p->tx.prod_pvt) : 0xdead0000u);
		p->tx.prod_pvt++;
		atomic_store(MXN_ATOMIC(&p->tx.ctl->prod), p->tx.prod_pvt);
	}
	ring(p);
	mxl_unlock(ea);
	/* The victim reports us; the daemon closes our side. */
	for (i = 0; i < 2000 && pair_with(ea, EV); i++)
		usleep(5000);
	IT_CHECK(pair_with(ea, EV) == NULL);
	send_to(ea, av, b, 5, 0x200 + eid, false, &s);
	IT_CHECK(it_wait(ea, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	it_await(go);
	IT_OK(mx_close_endpoint(ea));
	mx_finalize();
	return it_done("pair/attacker");
}

static int bystander(struct it_pipe *go)
{
	mx_endpoint_t ec;
	mx_endpoint_addr_t av;
	char b[64] = "bystander";
	mx_request_t s;
	mx_status_t st;

	it_init();
	ec = it_open(EC);
	av = it_connect(ec, EV);
	it_await(go);                   /* attacks done */
	for (int i = 0; i < 10; i++) {
		send_to(ec, av, b, 9, 0x300 + (uint64_t)i, false, &s);
		IT_CHECK(it_wait(ec, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	}
	it_await(go);
	IT_OK(mx_close_endpoint(ec));
	mx_finalize();
	return it_done("pair/bystander");
}

static pid_t spawn(int (*fn)(uint32_t, int, struct it_pipe *), uint32_t eid, int how,
		   struct it_pipe *go, int fds[2])
{
	pid_t pid;

	if (pipe(fds))
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		go->rd = fds[0];
		go->wr = -1;
		_exit(fn(eid, how, go));
	}
	close(fds[0]);
	return pid;
}

static int bystander_fn(uint32_t eid, int how, struct it_pipe *go)
{
	(void)eid;
	(void)how;
	return bystander(go);
}

static void tell(int fd)
{
	IT_CHECK(write(fd, "x", 1) == 1);
}

static int reap(pid_t pid)
{
	int status = 0;

	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_attack(mx_endpoint_t ev)
{
	enum { NA = 4 };
	static const uint32_t eid[NA] = { EA, EA2, EA3, EA4 };
	struct it_pipe go_a[NA], go_c;
	int fa[NA][2], fc[2], i;
	pid_t pa[NA], pc;
	char b[64];
	long long faults0 = ctl_counter("pair_faults");
	uint32_t cut0 = lcounter(ev, "Pair channels cut off"), arr;

	pc = spawn(bystander_fn, EC, 0, &go_c, fc);
	for (i = 0; i < NA; i++)
		pa[i] = spawn(attacker, eid[i], i, &go_a[i], fa[i]);
	for (i = 0; i < NA; i++)
		IT_EQ(recv_match(ev, b, sizeof(b), 0x100 + eid[i], NULL), 4);
	for (i = 0; i < NA; i++)
		tell(fa[i][1]);
	/* after each attack the attacker's next message comes through the daemon */
	for (i = 0; i < NA; i++)
		IT_EQ(recv_match(ev, b, sizeof(b), 0x200 + eid[i], NULL), 5);
	IT_EQ(lcounter(ev, "Pair channels cut off") - cut0, NA);
	IT_EQ(ctl_counter("pair_faults") - faults0, NA);
	/* the bystander's channel still carries its messages */
	arr = lcounter(ev, "Pair channel arrivals");
	tell(fc[1]);
	for (i = 0; i < 10; i++)
		IT_EQ(recv_match(ev, b, sizeof(b), 0x300 + (uint64_t)i, NULL), 9);
	IT_EQ(lcounter(ev, "Pair channel arrivals") - arr, 10);
	for (i = 0; i < NA; i++)
		tell(fa[i][1]);
	tell(fc[1]);
	for (i = 0; i < NA; i++)
		IT_CHECK(reap(pa[i]));
	IT_CHECK(reap(pc));
}

/* ---- killed ---- */

static int victim_of_kill(uint32_t eid, int how, struct it_pipe *go)
{
	mx_endpoint_t ek;
	mx_endpoint_addr_t av;
	char b[8] = "hello";
	mx_request_t s;
	mx_status_t st;

	(void)how;
	it_init();
	ek = it_open(eid);
	av = it_connect(ek, EV);
	send_to(ek, av, b, 5, 0x400, false, &s);
	IT_CHECK(it_wait(ek, &s, &st) == 0);
	it_await(go); /* never comes: we are killed, receiving nothing */
	return 0;
}

static void test_killed(mx_endpoint_t ev)
{
	enum { N = 80, LEN = 20000 };
	static char big[LEN];
	struct it_pipe go;
	mx_endpoint_addr_t ak;
	mx_request_t s[N];
	mx_status_t st;
	int fk[2], failed = 0, i;
	pid_t pk = spawn(victim_of_kill, EK, 0, &go, fk);

	IT_EQ(recv_match(ev, big, LEN, 0x400, &ak), 5);
	/* more than the channel holds: the later sends wait for room */
	for (i = 0; i < N; i++)
		send_to(ev, ak, big, LEN, 0x500 + (uint64_t)i, false, &s[i]);
	IT_CHECK(!mxl_list_empty(&ev->backlog));
	kill(pk, SIGKILL);
	waitpid(pk, NULL, 0);
	close(fk[1]);
	for (i = 0; i < N; i++) {
		if (it_wait(ev, &s[i], &st))
			break;
		failed += st.code != MX_STATUS_SUCCESS;
	}
	/* The waiting sends went on through the daemon once the channel was
	 * closed; completed at issue there, their failure is counted. */
	for (i = 0; i < 400 && !ev->counters[MXL_CNT_ZOMBIE_FAILED]; i++) {
		IT_OK(mx_progress(ev));
		usleep(5000);
	}
	IT_CHECK(failed + ev->counters[MXL_CNT_ZOMBIE_FAILED] > 0);
	IT_CHECK(ev->counters[MXL_CNT_PAIR_SEND] < N + 5);
}

int main(void)
{
	mx_endpoint_t ev;

	it_init();
	test_order();
	ev = it_open(EV);
	test_attack(ev);
	test_killed(ev);
	IT_OK(mx_close_endpoint(ev));
	mx_finalize();
	return it_done("pair");
}
