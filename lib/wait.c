/* SPDX-License-Identifier: MIT */
/*
 * Blocking.  A waiter first polls the event ring for a short spin window
 * (latency), then arms the event ring (prod_event, with the final check of
 * mxn_ring_arm) and sleeps in poll() on the doorbell, the wake eventfd and
 * the daemon connection, for at most the remaining timeout.  It never
 * spins for ever and never sleeps past its deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include "mxl.h"

#define MXL_SPIN_US_DEFAULT 20u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t spin_ns(void)
{
	static _Atomic int64_t cached = -1;
	int64_t v = atomic_load_explicit(&cached, memory_order_relaxed);

	if (v < 0) {
		const char *s = getenv("MYRIXEN_SPIN_US");
		/* Spinning only pays when the daemon and the peer have cores of
		 * their own; on a 2-CPU host it steals the daemon's time. */
		unsigned long dflt = sysconf(_SC_NPROCESSORS_ONLN) > 2 ? MXL_SPIN_US_DEFAULT : 0;
		char *end;
		unsigned long us = s && *s ? strtoul(s, &end, 10) : dflt;

		if (s && *s && *end)
			us = dflt;
		if (us > 1000000ul)
			us = 1000000ul;
		v = (int64_t)us * 1000;
		atomic_store_explicit(&cached, v, memory_order_relaxed);
	}
	return (uint64_t)v;
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

bool mxl_wait_until(struct mx_endpoint *ep, uint32_t timeout_ms,
		    bool (*pred)(struct mx_endpoint *ep, void *arg), void *arg)
{
	uint64_t t = now_ns();
	uint64_t deadline = timeout_ms == MX_INFINITE ? UINT64_MAX : t + timeout_ms * 1000000ull;
	uint64_t spin_end = t + spin_ns();
	uint32_t gen0 = atomic_load(&ep->wake_gen);
	int r;

	for (;;) {
		mxl_progress(ep);
		if (pred(ep, arg))
			return true;
		if (ep->dead)
			return false; /* nothing more will ever arrive */
		t = now_ns();
		if (t >= deadline)
			return false;
		if (t < spin_end) {
			cpu_relax();
			continue;
		}
		if (mxn_ring_arm(&ep->evt) && !ep->unexp_stalled)
			continue; /* an event slipped in before we armed */
		if (atomic_load(&ep->wake_gen) != gen0)
			return false; /* mx_wakeup since we started */
		ep->counters[MXL_CNT_SLEEP]++;
		mxl_unlock(ep);
		/* Backlogged commands wait for ring room, and a stalled ring for a
		 * receive from another thread; neither is an event: nap briefly. */
		r = ep->t.ops->wait(&ep->t, sleep_ms(t, deadline, !mxl_list_empty(&ep->backlog) ||
							       ep->unexp_stalled),
				    ep->wake_fd);
		mxl_lock(ep);
		mxn_ring_disarm(&ep->evt);
		if (r > 0 && (r & MXL_WAIT_DEAD))
			ep->dead = true;
		if (r > 0 && (r & MXL_WAIT_WAKE)) {
			uint64_t v;

			if (atomic_load(&ep->wake_gen) != gen0) {
				/* Leave the eventfd readable: other sleepers wake too. */
				mxl_progress(ep);
				return pred(ep, arg);
			}
			(void)!read(ep->wake_fd, &v, sizeof(v)); /* stale: predates us */
		}
		spin_end = now_ns() + spin_ns();
	}
}
