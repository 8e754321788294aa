/* SPDX-License-Identifier: MIT */
/*
 * Futex doorbells (lib/fbell.c).  A blocking wait on an endpoint with a pair
 * channel sleeps in one futex_waitv on the channel's rx prod, the event
 * ring's prod, wake_gen and nudge_word; what must hold:
 *  - a peer that publishes a message and wakes the word (as pair.c does when
 *    our flags say MXN_RINGF_FUTEX) ends the sleep, and the message arrives;
 *  - mx_wakeup from another thread ends a futex sleep;
 *  - a hostile peer that wakes the word with nothing new, or scribbles it,
 *    is charged for each such wake-up and cut off after MXL_FBELL_IDLE_MAX
 *    (reported to the daemon as MXN_CMD_PAIR_FAULT), and one that flips the
 *    word to and fro only sends this wait back to sleeping on descriptors.
 * The peer is a thread of this process; the channel is anonymous memory
 * (a futex on it works between threads like a memfd between processes).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "area.h"
#include "check.h"

#define PEER_EP 7u
#define PEER_SESSION 0x5e55u
#define ORDER 4u
#define MATCH 0x42ull

static int fb_wait(struct mxl_transport *t, int ms, int fd)
{
	(void)t;
	(void)fd;
	/* The descriptor sleep: nothing ever rings it here. */
	(void)poll(NULL, 0, ms < 0 || ms > 20 ? 20 : ms);
	return 0;
}
static bool fb_futex(struct mxl_transport *t) { (void)t; return true; }

static struct mxl_transport_ops fb_ops;

static struct mx_endpoint *endpoint(struct mxl_pair **p)
{
	struct mx_endpoint *ep = ta_endpoint();

	if (!ep)
		return NULL;
	fb_ops = ta_ops;
	fb_ops.wait = fb_wait;
	fb_ops.futex = fb_futex;
	ep->t.ops = &fb_ops;
	/* We produce direction 0 and consume direction 1. */
	*p = ta_pair(ep, ORDER, MXN_PAIR_DATA_MIN, 0, PEER_EP, PEER_SESSION);
	if (!*p) {
		mxl_endpoint_close(ep);
		return NULL;
	}
	return ep;
}

static void futex_wake(_Atomic uint32_t *w)
{
	(void)syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* The peer: the consumer view is ours, the producer view its own. */
struct peer {
	struct mxl_pair *p;
	struct mx_endpoint *ep;
	_Atomic bool stop;
	_Atomic uint32_t woke;    /* FUTEX_WAKEs done */
	_Atomic bool saw_futex;   /* our flags asked for a futex wake */
};

static _Atomic uint32_t *rx_prod(struct mxl_pair *p)
{
	return MXN_ATOMIC(&p->rx.ctl->prod);
}

/* Wait until our side sleeps (armed with MXN_RINGF_FUTEX), then publish
 * one tiny message the way pair.c does and wake the word. */
static void *honest_peer(void *arg)
{
	struct peer *pe = arg;
	struct mxl_pair *p = pe->p;
	struct mxn_ring tx;
	struct mxn_pair_slot *s = &p->rx_slots[0];

	mxn_ring_init(&tx, p->rx.ctl, ORDER);
	while (!(atomic_load(MXN_ATOMIC(&p->rx.ctl->flags)) & MXN_RINGF_FUTEX) &&
	       !atomic_load(&pe->stop))
		usleep(1000);
	/* every byte but seq, which our side polls meanwhile */
	memset(s, 0, offsetof(struct mxn_pair_slot, seq));
	s->type = MXN_PAIR_TINY;
	s->length = 8;
	s->match_info = MATCH;
	memcpy(s->tiny, "fbell-ok", 8);
	/* written, then published by its seq (pair.h "Publication") */
	atomic_store_explicit(MXN_ATOMIC(&s->seq), mxn_pair_seq_of(0), memory_order_release);
	tx.prod_pvt = 1;
	if (mxn_ring_push(&tx) &&
	    (atomic_load_explicit(MXN_ATOMIC(&p->rx.ctl->flags), memory_order_relaxed) &
	     MXN_RINGF_FUTEX)) {
		atomic_store(&pe->saw_futex, true);
		atomic_fetch_add(&pe->woke, 1);
		futex_wake(rx_prod(p));
	}
	return NULL;
}

static void test_message_wakes(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = endpoint(&p);
	struct peer pe = { 0 };
	pthread_t th;
	char buf[8] = { 0 };
	mx_segment_t seg = { buf, sizeof(buf) };
	mx_request_t r;
	mx_status_t st;
	uint32_t res = 0;

	CHECK(ep != NULL);
	if (!ep)
		return;
	pe.p = p;
	pe.ep = ep;
	CHECK(mx_irecv(ep, &seg, 1, MATCH, MX_MATCH_MASK_NONE, NULL, &r) == MX_SUCCESS);
	CHECK(pthread_create(&th, NULL, honest_peer, &pe) == 0);
	CHECK(mx_wait(ep, &r, 10000, &st, &res) == MX_SUCCESS);
	atomic_store(&pe.stop, true);
	pthread_join(th, NULL);
	CHECK(res == 1 && st.code == MX_STATUS_SUCCESS && st.xfer_length == 8);
	CHECK(!memcmp(buf, "fbell-ok", 8));
	CHECK(atomic_load(&pe.saw_futex));
	CHECK(ep->counters[MXL_CNT_FUTEX_SLEEP] >= 1);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RECV], 1);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_FAULT], 0);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_IDLE_WAKE], 0);
	mxl_endpoint_close(ep);
}

static void *waker(void *arg)
{
	struct peer *pe = arg;

	while (!atomic_load(&pe->ep->fbell_sleeping))
		usleep(1000);
	CHECK(mx_wakeup(pe->ep) == MX_SUCCESS);
	return NULL;
}

static void test_mx_wakeup(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = endpoint(&p);
	struct peer pe = { 0 };
	char buf[8];
	mx_segment_t seg = { buf, sizeof(buf) };
	mx_request_t r;
	mx_status_t st;
	uint32_t res = 1;
	pthread_t th;

	CHECK(ep != NULL);
	if (!ep)
		return;
	pe.ep = ep;
	CHECK(mx_irecv(ep, &seg, 1, MATCH, MX_MATCH_MASK_NONE, NULL, &r) == MX_SUCCESS);
	CHECK(pthread_create(&th, NULL, waker, &pe) == 0);
	/* Ended by the wakeup long before the timeout: MX_SUCCESS, result 0. */
	CHECK(mx_wait(ep, &r, MX_INFINITE, &st, &res) == MX_SUCCESS);
	pthread_join(th, NULL);
	CHECK_EQ(res, 0);
	CHECK(ep->counters[MXL_CNT_FUTEX_SLEEP] >= 1);
	mxl_endpoint_close(ep);
}

/* Wakes the word, never writes a message. */
static void *storm(void *arg)
{
	struct peer *pe = arg;

	while (!atomic_load(&pe->stop)) {
		futex_wake(rx_prod(pe->p));
		atomic_fetch_add(&pe->woke, 1);
		sched_yield();
	}
	return NULL;
}

/* One futex sleep of the wait loop, by hand: arm, prepare, sleep, charge. */
static int one_sleep(struct mx_endpoint *ep, int ms)
{
	int woken, r;

	/* A sleep that reached MXL_FBELL_CAP_MS (the storm thread did not
	 * run meanwhile) turned futex sleeps off; each wait starts over. */
	ep->fbell_off = false;
	CHECK(mxl_fbell_usable(ep));
	atomic_store(MXN_ATOMIC(&ep->evt.ctl->flags), MXN_RINGF_FUTEX);
	/* Both arm, as a wait does: no short-circuit between them. */
	bool ring_busy = mxn_ring_arm(&ep->evt);
	bool pair_busy = mxl_pair_arm(ep, true);

	if (ring_busy || pair_busy)
		return -1;
	mxl_fbell_prepare(ep, atomic_load(&ep->wake_gen));
	r = mxl_fbell_wait(ep, ms, &woken);
	mxl_fbell_account(ep, woken);
	mxn_ring_disarm(&ep->evt);
	mxl_pair_disarm(ep);
	return r;
}

static void expect_cut_off(struct mx_endpoint *ep)
{
	struct mxn_cmd c;

	CHECK_EQ(ep->counters[MXL_CNT_PAIR_FAULT], 1);
	mxl_pair_report_faults(ep);
	CHECK(ep->npairs == 0 && ep->lp[PEER_EP].pair == NULL);
	CHECK(ta_take_cmd(ep, &c));
	CHECK(c.op == MXN_CMD_PAIR_FAULT && c.u.pair.pair_id == 1);
}

static void test_wake_storm(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = endpoint(&p);
	struct peer pe = { 0 };
	pthread_t th;
	int i;

	CHECK(ep != NULL);
	if (!ep)
		return;
	pe.p = p;
	pe.ep = ep;
	CHECK(pthread_create(&th, NULL, storm, &pe) == 0);
	/* Each sleep the storm ends is charged; a sleep it misses (the
	 * thread did not run within the 50 ms) is not, nor is anything else. */
	for (i = 0; i < 100000 && !p->broken; i++)
		(void)one_sleep(ep, MXL_FBELL_CAP_MS);
	atomic_store(&pe.stop, true);
	pthread_join(th, NULL);
	CHECK(p->broken);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_IDLE_WAKE], MXL_FBELL_IDLE_MAX + 1);
	expect_cut_off(ep);
	/* Cut off, the channel is no longer slept on. */
	mxl_fbell_prepare(ep, atomic_load(&ep->wake_gen));
	CHECK_EQ(ep->fbell.n, MXL_FB_PAIRS);
	mxl_endpoint_close(ep);
}

/* A message between the wake-ups clears the charge: a peer that talks may
 * wake us late as often as it likes. */
static void test_message_clears_charge(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = endpoint(&p);
	struct mxn_pair_slot *s;

	CHECK(ep != NULL);
	if (!ep)
		return;
	for (uint32_t i = 0; i < 3 * MXL_FBELL_IDLE_MAX; i++) {
		mxl_pair_idle_wake(ep, p);
		if (i % MXL_FBELL_IDLE_MAX != MXL_FBELL_IDLE_MAX - 1)
			continue;
		s = &p->rx_slots[p->rx.cons_pvt & p->rx.mask];
		memset(s, 0, sizeof(*s));
		s->type = MXN_PAIR_TINY;
		s->match_info = MATCH;
		s->seq = mxn_pair_seq_of(p->rx.cons_pvt);
		atomic_store(rx_prod(p), p->rx.cons_pvt + 1);
		mxl_pair_drain_all(ep);
	}
	CHECK(!p->broken);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RECV], 3);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_FAULT], 0);
	mxl_endpoint_close(ep);
}

/* The word scribbled before we sleep: the sleep ends at once (EAGAIN),
 * a value no push makes is charged, and the next check before sleeping
 * cuts the channel off (the drain reads slots, not prod). */
static void test_scribble(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = endpoint(&p);
	int woken, r;

	CHECK(ep != NULL);
	if (!ep)
		return;
	CHECK(!mxl_pair_arm(ep, true) && !mxn_ring_arm(&ep->evt));
	mxl_fbell_prepare(ep, atomic_load(&ep->wake_gen));
	atomic_store(rx_prod(p), 0xdead0000u);
	r = mxl_fbell_wait(ep, 5000, &woken);
	CHECK_EQ(r, MXL_WAIT_IRQ);
	CHECK_EQ(woken, MXL_FB_MOVED);
	mxl_fbell_account(ep, woken);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_IDLE_WAKE], 1);
	mxl_pair_drain_all(ep);
	CHECK(mxl_pair_arm(ep, true)); /* do not sleep: report it */
	CHECK(p->broken);
	expect_cut_off(ep);
	mxl_endpoint_close(ep);
}

/* A word flipped and put back before we look: nobody to charge, but past
 * the bound this wait stops sleeping on futexes. */
static void test_flip(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = endpoint(&p);
	uint32_t i;

	CHECK(ep != NULL);
	if (!ep)
		return;
	for (i = 0; i <= MXL_FBELL_IDLE_MAX; i++) {
		CHECK(!mxl_pair_arm(ep, true));
		mxl_fbell_prepare(ep, atomic_load(&ep->wake_gen));
		/* futex_waitv found the word moved (EAGAIN); by the time we
		 * look it is back where it was */
		mxl_fbell_account(ep, MXL_FB_MOVED);
	}
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_IDLE_WAKE], 0);
	CHECK(ep->fbell_off);
	CHECK(!mxl_fbell_usable(ep));
	CHECK(!p->broken);
	mxl_endpoint_close(ep);
}

int main(void)
{
	if (syscall(SYS_futex_waitv, NULL, 0, 0, NULL, 0) < 0 && errno == ENOSYS) {
		printf("SKIP: no futex_waitv (Linux < 5.16)\n");
		return 77;
	}
	test_message_wakes();
	test_mx_wakeup();
	test_wake_storm();
	test_message_clears_charge();
	test_scribble();
	test_flip();
	DONE();
}
