/* SPDX-License-Identifier: MIT */
/*
 * Blocking.  A waiter first polls the event ring and the pair channels for a
 * short spin window (latency), then sleeps for at most the remaining timeout.
 * Several threads may block on one endpoint: exactly one of them (the
 * doorbell sleeper) arms the event ring and every pair channel (prod_event,
 * with the final check of mxn_ring_arm) and
 * sleeps in the transport's wait on the doorbell and the wake eventfd; the
 * others sleep on ep->cond.  Whoever makes progress that may satisfy another
 * thread's wait (any thread, in any call) calls mxl_wake_waiters(): it
 * broadcasts ep->cond and, when the doorbell sleeper is not the caller,
 * nudges it through the wake eventfd (without bumping wake_gen, so it is not
 * taken for an mx_wakeup).  The doorbell sleeper broadcasts whenever it
 * wakes, so one of the others takes its place.  How the transport sleeps is
 * its own business: this file only calls t.ops->wait.  Nobody spins for
 * ever or sleeps past its deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include "mxl.h"

#define MXL_SPIN_US_DEFAULT 20u
/* Looks at the shared words between two clock reads while spinning: a
 * few microseconds, far below MXN_SPIN_GAP_NS, so a preemption is still
 * told from a batch. */
#define MXL_SPIN_TURNS 64u

uint64_t mxl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* MYRIXEN_SPIN_US, read once: the window and whether the user set it (a
 * set window spins even on 2 CPUs; the default follows myrixen/spin.h). */
static void spin_conf(uint64_t *window_ns, bool *forced)
{
	static _Atomic int64_t cached = -1;
	int64_t v = atomic_load_explicit(&cached, memory_order_relaxed);

	if (v < 0) {
		const char *s = getenv("MYRIXEN_SPIN_US");
		char *end;
		unsigned long us = s && *s ? strtoul(s, &end, 10) : MXL_SPIN_US_DEFAULT;
		bool set = s && *s && !*end;

		if (!set)
			us = MXL_SPIN_US_DEFAULT;
		if (us > 1000000ul)
			us = 1000000ul;
		v = (int64_t)us * 1000 * 2 + set; /* low bit: set by the user */
		atomic_store_explicit(&cached, v, memory_order_relaxed);
	}
	*window_ns = (uint64_t)v / 2;
	*forced = v & 1;
}

void mxl_spin_init(struct mxn_spin *s)
{
	uint64_t window;
	bool forced;

	spin_conf(&window, &forced);
	mxn_spin_init(s, window, forced);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static int sleep_ms(uint64_t now, uint64_t deadline, bool short_nap)
{
	uint64_t left;

	if (deadline == UINT64_MAX)
		return short_nap ? 1 : -1;
	left = (deadline - now + 999999ull) / 1000000ull;
	if (short_nap && left > 1)
		left = 1;
	return left > 60000 ? 60000 : (int)left;
}

void mxl_wake_waiters(struct mx_endpoint *ep)
{
	uint64_t one = 1;

	if (ep->ncond_waiters)
		pthread_cond_broadcast(&ep->cond);
	if (ep->doorbell_sleeper && !ep->nudged) {
		ep->nudged = true;
		/* Under the lock, as the sleeper's snapshot of nudge_word
		 * (mxl_fbell_prepare) and its choice of how to sleep. */
		if (atomic_load_explicit(&ep->fbell_sleeping, memory_order_relaxed)) {
			atomic_fetch_add_explicit(&ep->nudge_word, 1, memory_order_relaxed);
			mxl_fbell_wake_private(&ep->nudge_word);
		} else {
			(void)!write(ep->wake_fd, &one, sizeof(one));
		}
	}
}

/* Sleep on ep->cond until a broadcast, the deadline or (a nap) 1 ms. */
static void cond_sleep(struct mx_endpoint *ep, uint64_t deadline)
{
	struct timespec ts;

	ep->ncond_waiters++;
	if (deadline == UINT64_MAX) {
		pthread_cond_wait(&ep->cond, &ep->lock);
	} else {
		ts.tv_sec = (time_t)(deadline / 1000000000ull);
		ts.tv_nsec = (long)(deadline % 1000000000ull);
		pthread_cond_timedwait(&ep->cond, &ep->lock, &ts);
	}
	ep->ncond_waiters--;
}

/* A futex sleep (fbell.c) instead of the transport's wait. */
static int futex_sleep(struct mx_endpoint *ep, int ms, uint64_t nap_until, uint32_t gen0)
{
	int r, woken;

	ep->counters[MXL_CNT_FUTEX_SLEEP]++;
	mxl_fbell_prepare(ep, gen0);
	ep->fbell.until_ns = nap_until;
	/* seq_cst: orders this store before mx_wakeup's load of it against
	 * its wake_gen increment (a store-load pair): either it sees us
	 * sleeping and wakes wake_gen, or futex_waitv sees the new gen. */
	atomic_store(&ep->fbell_sleeping, true);
	mxl_unlock(ep);
	r = mxl_fbell_wait(ep, ms, &woken);
	mxl_lock(ep);
	atomic_store_explicit(&ep->fbell_sleeping, false, memory_order_relaxed);
	mxl_fbell_account(ep, woken);
	return r;
}

/* The one thread sleeping on the doorbell (a futex sleep ends at nap_until
 * at the latest when not 0: pair_nap.c).  Returns false when a wakeup
 * since gen0 ends the wait. */
static bool doorbell_sleep(struct mx_endpoint *ep, uint64_t now, uint64_t deadline,
			   uint32_t gen0, bool futex, uint64_t nap_until)
{
	bool nap = !mxl_list_empty(&ep->backlog) || mxl_sends_wait() || ep->unexp_stalled;
	bool nudged;
	int r;

	ep->counters[MXL_CNT_SLEEP]++;
	ep->doorbell_sleeper = true;
	ep->nudged = false;
	/* Backlogged commands wait for ring room, queued sends for room other
	 * endpoints of the process free, and a stalled ring for a receive from
	 * another thread; none of it is an event: nap briefly. */
	if (futex) {
		r = futex_sleep(ep, sleep_ms(now, deadline, nap), nap_until, gen0);
	} else {
		mxl_unlock(ep);
		r = ep->t.ops->wait(&ep->t, sleep_ms(now, deadline, nap), ep->wake_fd);
		mxl_lock(ep);
	}
	ep->doorbell_sleeper = false;
	mxn_ring_disarm(&ep->evt);
	if (r > 0 && (r & MXL_WAIT_DEAD)) {
		ep->lost = true; /* mxl_progress re-attaches or gives up */
		mxl_pair_probe_lost(ep); /* before anything touches a channel */
	}
	mxl_pair_disarm(ep);
	nudged = ep->nudged && !futex; /* a futex nudge wrote no eventfd */
	ep->nudged = false;
	if (((r > 0 && (r & MXL_WAIT_WAKE) && !futex) || nudged) &&
	    atomic_load(&ep->wake_gen) == gen0) {
		uint64_t v;

		/* A nudge, or a wakeup older than this wait: consume it.  A
		 * wakeup racing with this read bumped wake_gen first, so the
		 * check below still ends the wait. */
		(void)!read(ep->wake_fd, &v, sizeof(v));
	}
	/* Hand the doorbell over: the others re-check, one of them sleeps. */
	if (ep->ncond_waiters)
		pthread_cond_broadcast(&ep->cond);
	return atomic_load(&ep->wake_gen) == gen0;
}

/* Deadline of this sleep: the caller's, or sooner for a connect retry, a
 * send waiting for its peer to re-attach or (a nap) sends waiting for room. */
static uint64_t sleep_until(struct mx_endpoint *ep, uint64_t deadline)
{
	uint64_t due = mxl_connect_retry_due(ep), resend = mxl_resend_next(ep);

	if (resend < due)
		due = resend;
	if (mxl_sends_wait()) {
		uint64_t nap = mxl_now_ns() + 1000000ull;

		if (nap < due)
			due = nap;
	}

	return due < deadline ? due : deadline;
}

/* One turn of a spin: look at the shared words only, for up to
 * MXL_SPIN_TURNS pauses, until something is there for progress or an
 * mx_wakeup came.  The clock is read once per batch, not per look.
 * True when progress has work. */
static bool spin_turns(struct mx_endpoint *ep, uint32_t gen0)
{
	for (uint32_t i = 0; i < MXL_SPIN_TURNS; i++) {
		if (!mxl_progress_quiet(ep))
			return true;
		if (atomic_load(&ep->wake_gen) != gen0)
			return false;
		cpu_relax();
	}
	return false;
}

bool mxl_wait_until(struct mx_endpoint *ep, uint32_t timeout_ms,
		    bool (*pred)(struct mx_endpoint *ep, void *arg), void *arg)
{
	uint32_t gen0 = atomic_load(&ep->wake_gen);
	uint64_t t = 0, deadline = UINT64_MAX, spin_end = 0, prev = 0, due, nap_until;
	/* Without a timeout and without spinning no clock is needed (but
	 * for a sleep that a retry or a resend cuts short). */
	bool clock = timeout_ms != MX_INFINITE || !mxn_spin_never(&ep->spin), started = false;
	bool busy = false, futex;

	/* Done already (a send completed at issue): no progress pass. */
	if (pred(ep, arg))
		return true;
	/* Each wait starts with futex sleeps (fbell.c). */
	ep->fbell_off = false;
	ep->fbell_unexplained = 0;
	for (;;) {
		if (busy)
			mxl_progress_full(ep); /* the spin saw the work */
		else
			mxl_progress(ep);
		busy = false;
		if (pred(ep, arg))
			return true;
		if (ep->dead)
			return false; /* nothing more will ever arrive */
		if (atomic_load(&ep->wake_gen) != gen0)
			return false; /* mx_wakeup since we started */
		/* The clock from the second look on: most waits (a send done
		 * at issue, a message already there) end at the first. */
		if (clock)
			t = mxl_now_ns();
		if (clock && !started) {
			if (timeout_ms != MX_INFINITE)
				deadline = t + timeout_ms * 1000000ull;
			spin_end = t + mxn_spin_window(&ep->spin, t);
			prev = t;
		}
		started = true;
		if (t >= deadline)
			return false;
		if (t < spin_end && !mxn_spin_preempted(&ep->spin, prev, t)) {
			prev = t;
			busy = spin_turns(ep, gen0);
			if (busy)
				mxn_spin_found(&ep->spin);
			continue;
		}
		spin_end = 0;
		if (mxl_sends_wait())
			mxl_progress_others(ep);
		if (ep->doorbell_sleeper) {
			/* Another thread watches the doorbell; it (or whoever
			 * completes something) broadcasts. */
			cond_sleep(ep, sleep_until(ep, deadline));
			continue;
		}
		/* Quiet SEND_DONEs give sendq room back without a doorbell;
		 * a backlog waiting for that room asks for them too.  How we
		 * sleep goes with it, before the fence of the arm (fbell.c). */
		futex = mxl_fbell_usable(ep);
		/* A FIN due soon wakes us on our own timer, not by its bell
		 * (before the arm, which says MXN_RINGF_FIN_QUIET). */
		nap_until = futex ? mxl_pair_nap(ep) : 0;
		atomic_store_explicit(MXN_ATOMIC(&ep->evt.ctl->flags),
				      (mxl_list_empty(&ep->backlog) && !ep->flushing
					       ? 0u
					       : MXN_RINGF_WAKE_QUIET) |
					      (futex ? MXN_RINGF_FUTEX : 0u) | mxl_pregrant_flag(ep),
				      memory_order_relaxed);
		/* arm both (no short-circuit): int | int, which clang accepts */
		if (((int)mxn_ring_arm(&ep->evt) | (int)mxl_pair_arm(ep, futex)) &&
		    !ep->unexp_stalled) {
			mxl_pair_disarm(ep);
			continue; /* an event or a channel message slipped in */
		}
		due = sleep_until(ep, deadline);
		if (!clock && due != UINT64_MAX)
			t = mxl_now_ns();
		if (!doorbell_sleep(ep, t, due, gen0, futex, nap_until)) {
			mxl_progress(ep);
			return pred(ep, arg);
		}
		if (clock) {
			prev = mxl_now_ns();
			spin_end = prev + mxn_spin_window(&ep->spin, prev);
		}
	}
}
