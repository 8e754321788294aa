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

/* Descriptor sleeps taken (after a futex sleep ran to MXL_FBELL_CAP_MS,
 * the rest of a wait sleeps here). */
static _Atomic uint32_t fd_sleeps;

static int fb_wait(struct mxl_transport *t, int ms, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	(void)t;
	atomic_fetch_add(&fd_sleeps, 1);
	/* The descriptor sleep: only the wake eventfd (mx_wakeup) rings it,
	 * as it does in the real transports. */
	if (poll(&p, 1, ms < 0 || ms > 20 ? 20 : ms) > 0 && (p.revents & POLLIN))
		return MXL_WAIT_WAKE;
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
	_Atomic uint32_t woke;    /* FUTEX_WAKEs done (storm) */
	_Atomic bool saw_futex;   /* our flags asked for a futex wake */
	uint32_t n;               /* the honest peer's message number */
};

static _Atomic uint32_t *rx_prod(struct mxl_pair *p)
{
	return MXN_ATOMIC(&p->rx.ctl->prod);
}

/* Wait until our side sleeps (armed with MXN_RINGF_FUTEX, or on
 * descriptors when this thread did not run before the futex sleep reached
 * its cap), then publish tiny message number pe->n the way pair.c does and
 * wake the word if the flags ask for it. */
static void *honest_peer(void *arg)
{
	struct peer *pe = arg;
	struct mxl_pair *p = pe->p;
	struct mxn_ring tx;
	struct mxn_pair_slot *s = &p->rx_slots[pe->n & ((1u << ORDER) - 1)];

	mxn_ring_init(&tx, p->rx.ctl, ORDER);
	while (!(atomic_load(MXN_ATOMIC(&p->rx.ctl->flags)) & MXN_RINGF_FUTEX) &&
	       !atomic_load(&fd_sleeps))
		usleep(1000);
	/* every byte but seq, which our side polls meanwhile */
	memset(s, 0, offsetof(struct mxn_pair_slot, seq));
	s->type = MXN_PAIR_TINY;
	s->length = 8;
	s->match_info = MATCH;
	memcpy(s->tiny, "fbell-ok", 8);
	/* written, then published by its seq (pair.h "Publication") */
	atomic_store_explicit(MXN_ATOMIC(&s->seq), mxn_pair_seq_of(pe->n), memory_order_release);
	tx.prod_pvt = pe->n + 1;
	if (mxn_ring_push(&tx) &&
	    (atomic_load_explicit(MXN_ATOMIC(&p->rx.ctl->flags), memory_order_relaxed) &
	     MXN_RINGF_FUTEX)) {
		atomic_store(&pe->saw_futex, true);
		futex_wake(rx_prod(p));
	}
	return NULL;
}

/* Message pe->n arrives in a wait; true when the peer found that wait
 * asleep on futexes and woke it (else the message came in after a
 * descriptor sleep, which says nothing about futexes). */
static bool message_ends_wait(struct mx_endpoint *ep, struct peer *pe)
{
	char buf[8] = { 0 };
	mx_segment_t seg = { buf, sizeof(buf) };
	mx_request_t r;
	mx_status_t st;
	uint32_t res = 0;
	pthread_t th;

	atomic_store(&fd_sleeps, 0);
	atomic_store(&pe->saw_futex, false);
	CHECK(mx_irecv(ep, &seg, 1, MATCH, MX_MATCH_MASK_NONE, NULL, &r) == MX_SUCCESS);
	CHECK(pthread_create(&th, NULL, honest_peer, pe) == 0);
	CHECK(mx_wait(ep, &r, 10000, &st, &res) == MX_SUCCESS);
	pthread_join(th, NULL);
	CHECK(res == 1 && st.code == MX_STATUS_SUCCESS && st.xfer_length == 8);
	CHECK(!memcmp(buf, "fbell-ok", 8));
	return atomic_load(&pe->saw_futex) && atomic_load(&fd_sleeps) == 0;
}

/* A peer thread that does not run within the MXL_FBELL_CAP_MS of the
 * futex sleep (a loaded machine) once waited for a futex flag that never
 * came back, and the wait failed after 10 s; it now sends anyway and the
 * test tries again (a try misses only if the thread is not scheduled for
 * 50 ms; all 16, one per ring slot, do not). */
static void test_message_wakes(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = endpoint(&p);
	struct peer pe = { 0 };
	bool futex_woke = false;

	CHECK(ep != NULL);
	if (!ep)
		return;
	pe.p = p;
	pe.ep = ep;
	for (pe.n = 0; !futex_woke && pe.n < (1u << ORDER); pe.n++)
		futex_woke = message_ends_wait(ep, &pe);
	CHECK(futex_woke);
	CHECK(ep->counters[MXL_CNT_FUTEX_SLEEP] >= 1);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RECV], pe.n);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_FAULT], 0);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_IDLE_WAKE], 0);
	mxl_endpoint_close(ep);
}

/* Rings mx_wakeup once the wait sleeps: on its futex words, or (when
 * this thread did not run before the futex sleep reached its cap) on
 * descriptors. */
static void *waker(void *arg)
{
	struct peer *pe = arg;

	while (!atomic_load(&pe->ep->fbell_sleeping) && !atomic_load(&fd_sleeps))
		usleep(1000);
	CHECK(mx_wakeup(pe->ep) == MX_SUCCESS);
	return NULL;
}

/* One wait ended by mx_wakeup from another thread: true when every sleep
 * of it was a futex sleep (so the wakeup ended one of those). */
static bool wakeup_ends_wait(struct mx_endpoint *ep, mx_request_t r)
{
	struct peer pe = { .ep = ep };
	mx_status_t st;
	uint32_t res = 1;
	pthread_t th;

	atomic_store(&fd_sleeps, 0);
	CHECK(pthread_create(&th, NULL, waker, &pe) == 0);
	/* Ended by the wakeup, not by a message: MX_SUCCESS, result 0. */
	CHECK(mx_wait(ep, &r, MX_INFINITE, &st, &res) == MX_SUCCESS);
	pthread_join(th, NULL);
	CHECK_EQ(res, 0);
	return atomic_load(&fd_sleeps) == 0;
}

/* A waker that does not run within the MXL_FBELL_CAP_MS of the futex
 * sleep (a loaded machine) finds the wait sleeping on descriptors: it
 * must end that wait too (it once waited for a futex sleep that never
 * came back: a hang), and such a try says nothing about futexes, so
 * another is made.  A try misses only if this thread is not scheduled for
 * 50 ms; 50 tries in a row do not. */
static void test_mx_wakeup(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = endpoint(&p);
	char buf[8];
	mx_segment_t seg = { buf, sizeof(buf) };
	mx_request_t r;
	uint64_t sleeps0;
	int tries = 0;
	bool futex_ended = false;

	CHECK(ep != NULL);
	if (!ep)
		return;
	CHECK(mx_irecv(ep, &seg, 1, MATCH, MX_MATCH_MASK_NONE, NULL, &r) == MX_SUCCESS);
	sleeps0 = ep->counters[MXL_CNT_FUTEX_SLEEP];
	while (!futex_ended && tries++ < 50)
		futex_ended = wakeup_ends_wait(ep, r);
	CHECK(futex_ended);
	CHECK(ep->counters[MXL_CNT_FUTEX_SLEEP] > sleeps0);
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

/* An endpoint with a pair channel, both rings armed and found empty, its
 * futex sleep prepared: what a wait has done just before it sleeps. */
static struct mx_endpoint *armed_endpoint(struct mxl_pair **p)
{
	struct mx_endpoint *ep = endpoint(p);

	CHECK(ep != NULL);
	if (!ep)
		return NULL;
	CHECK(!mxl_pair_arm(ep, true) && !mxn_ring_arm(&ep->evt));
	mxl_fbell_prepare(ep, atomic_load(&ep->wake_gen));
	return ep;
}

/* The word scribbled before we sleep: the sleep ends at once (EAGAIN),
 * a value no push makes is charged, and the next check before sleeping
 * cuts the channel off (the drain reads slots, not prod). */
static void test_scribble(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = armed_endpoint(&p);
	int woken, r;

	if (!ep)
		return;
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

/* A sleep that reaches the cap turns futex sleeps off for the rest of the
 * wait, but only once the sleeper holds the lock again (account): during
 * the sleep another thread's wait may be starting and clears the flag
 * under the lock (TSan saw the two writes race in it_threads). */
static void test_cap_under_lock(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = armed_endpoint(&p);
	int woken, r;

	if (!ep)
		return;
	r = mxl_fbell_wait(ep, MXL_FBELL_CAP_MS + 1, &woken);
	CHECK_EQ(r, 0);
	CHECK(!ep->fbell_off); /* not written without the lock */
	CHECK_EQ(woken, MXL_FB_OFF);
	mxl_fbell_account(ep, woken);
	CHECK(ep->fbell_off);
	CHECK(!mxl_fbell_usable(ep));
	mxn_ring_disarm(&ep->evt);
	mxl_pair_disarm(ep);
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
	test_cap_under_lock();
	DONE();
}
