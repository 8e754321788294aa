/* SPDX-License-Identifier: MIT */
/*
 * Futex doorbells for the local transport (fbell.h).
 *
 * Each source of work has a word that changes when it has something for us,
 * and its writer wakes the word only when we announced we sleep on it:
 *  - the event ring's prod: the daemon pushes, and its push asks for a
 *    notification (prod_event, mxn_ring_arm); it wakes prod with FUTEX_WAKE
 *    when the ring's flags say MXN_RINGF_FUTEX (daemon/local/transport_local.c);
 *  - each pair channel's rx prod: the peer library, the same way (pair.c);
 *  - ep->wake_gen: mx_wakeup, when ep->fbell_sleeping;
 *  - ep->nudge_word: another thread of ours that made progress a waiter may
 *    need (mxl_wake_waiters, under the lock).
 * The expected value of each word is what the arm's final check saw (the
 * event ring empty: prod == cons_pvt; a pair channel's prod as read by
 * pair_arm, which may lag the slots we already took), so a push between
 * that check and the futex_waitv makes it return at once (EAGAIN):
 * nothing is lost.
 *
 * A pair peer is hostile and shares the word: it can write any value and
 * wake it at will.  What it can do is bounded to its own channel: a value
 * it writes ends one sleep (and the drain checks it like any prod), a wake
 * with nothing new is charged to it (mxl_pair_idle_wake) and its channel is
 * cut off after MXL_FBELL_IDLE_MAX of them; our other words keep working,
 * and no sleep lasts past MXL_FBELL_CAP_MS.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "mxl.h"

/* Set once futex_waitv is found missing (kernel < 5.16): sleep on fds. */
static _Atomic bool no_waitv;

void mxl_fbell_wake_shared(_Atomic uint32_t *word)
{
	(void)syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void mxl_fbell_wake_private(_Atomic uint32_t *word)
{
	(void)syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

bool mxl_fbell_usable(struct mx_endpoint *ep)
{
	if (ep->fbell_off || !ep->t.ops->futex || ep->unexp_stalled ||
	    atomic_load_explicit(&no_waitv, memory_order_relaxed) ||
	    ep->npairs > MXL_FBELL_MAX - MXL_FB_PAIRS || !ep->t.ops->futex(&ep->t))
		return false;
	/* A stalled ring is not empty (its futex would never block); room
	 * waits and Xen channels are woken through descriptors only. */
	for (uint32_t i = 0; i < ep->npairs; i++)
		if (ep->pairs[i]->attached || ep->pairs[i]->room_wait)
			return false;
	return true;
}

static void put(struct mxl_fbell *f, void *word, uint32_t expect, bool private)
{
	struct futex_waitv *w = &f->w[f->n++];

	w->val = expect;
	w->uaddr = (uint64_t)(uintptr_t)word;
	w->flags = FUTEX_32 | (private ? FUTEX_PRIVATE_FLAG : 0);
	w->__reserved = 0;
}

void mxl_fbell_prepare(struct mx_endpoint *ep, uint32_t gen0)
{
	struct mxl_fbell *f = &ep->fbell;

	f->n = 0;
	f->until_ns = 0;
	put(f, &ep->wake_gen, gen0, true);
	/* Under the lock, as every nudge: one made after this ends the sleep. */
	put(f, &ep->nudge_word, atomic_load_explicit(&ep->nudge_word, memory_order_relaxed), true);
	put(f, &ep->evt.ctl->prod, ep->evt.cons_pvt, false);
	for (uint32_t i = 0; i < ep->npairs; i++) {
		struct mxl_pair *p = ep->pairs[i];

		if (p->broken)
			continue;
		f->who[f->n - MXL_FB_PAIRS].peer_ep = p->peer_ep;
		f->who[f->n - MXL_FB_PAIRS].id = p->id;
		/* What the arm saw (it may lag cons_pvt: pair.h "Publication"). */
		put(f, &p->rx.ctl->prod, p->rx_prod_armed, false);
	}
}

int mxl_fbell_wait(struct mx_endpoint *ep, int timeout_ms, int *woken)
{
	struct mxl_fbell *f = &ep->fbell;
	bool capped = timeout_ms < 0 || timeout_ms > MXL_FBELL_CAP_MS;
	struct timespec ts;
	long r;

	*woken = MXL_FB_NONE;
	if (capped)
		timeout_ms = MXL_FBELL_CAP_MS;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (f->until_ns && f->until_ns < (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) {
		ts.tv_sec = (time_t)(f->until_ns / 1000000000ull);
		ts.tv_nsec = (long)(f->until_ns % 1000000000ull);
		capped = false; /* a FIN nap's end (pair_nap.c), not the cap */
	}
	r = syscall(SYS_futex_waitv, f->w, f->n, 0, &ts, CLOCK_MONOTONIC);
	if (r >= 0) {
		*woken = (int)r;
		return r == MXL_FB_GEN ? MXL_WAIT_WAKE : r == MXL_FB_NUDGE ? 0 : MXL_WAIT_IRQ;
	}
	switch (errno) {
	case EAGAIN:
		*woken = MXL_FB_MOVED;
		return MXL_WAIT_IRQ; /* a word moved before we slept: look */
	case ETIMEDOUT:
		/* The cap, not the caller's deadline: the rest of this wait
		 * sleeps where a dead daemon is seen. */
		if (capped)
			*woken = MXL_FB_OFF;
		return 0;
	case EINTR:
		return 0;
	case ENOSYS:
		atomic_store_explicit(&no_waitv, true, memory_order_relaxed);
		*woken = MXL_FB_OFF;
		return 0;
	default:
		/* EFAULT: a channel was unmapped under us by another thread. */
		return 0;
	}
}

/* A word differs from what we slept on: something is there (or a pair
 * peer scribbled its word: charged below). */
static bool any_moved(const struct mxl_fbell *f)
{
	for (uint32_t i = 0; i < f->n; i++)
		if (atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)f->w[i].uaddr,
					 memory_order_relaxed) != (uint32_t)f->w[i].val)
			return true;
	return false;
}

void mxl_fbell_account(struct mx_endpoint *ep, int woken)
{
	struct mxl_fbell *f = &ep->fbell;

	/* Every writer but a hostile peer only moves its word forward, so an
	 * EAGAIN after which every word is back to what we slept on is a
	 * peer flipping its word to and fro (which we cannot tell): past the
	 * bound the rest of this wait sleeps on descriptors. */
	if (woken == MXL_FB_OFF ||
	    (woken == MXL_FB_MOVED && !any_moved(f) && ++ep->fbell_unexplained > MXL_FBELL_IDLE_MAX))
		ep->fbell_off = true;
	for (uint32_t i = MXL_FB_PAIRS; i < f->n; i++) {
		struct mxl_pair *p = ep->lp[f->who[i - MXL_FB_PAIRS].peer_ep].pair;
		uint32_t now;

		/* Freed or replaced while we slept: nothing to charge. */
		if (!p || p->id != f->who[i - MXL_FB_PAIRS].id || p->broken)
			continue;
		now = atomic_load_explicit(MXN_ATOMIC(&p->rx.ctl->prod), memory_order_relaxed);
		/* Woken by this word with nothing new, or it moved other than
		 * forward: a real push only ever moves it forward, from what
		 * the arm saw (at most a ring behind our cons) to at most a
		 * ring past our cons (the drain then takes a message, which
		 * clears the charge). */
		if (((int)i == woken && now == (uint32_t)f->w[i].val) ||
		    (now != (uint32_t)f->w[i].val &&
		     now - (uint32_t)f->w[i].val > 2u * mxn_ring_slots(&p->rx)))
			mxl_pair_idle_wake(ep, p);
	}
}
