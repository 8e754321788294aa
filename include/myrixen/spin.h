/* SPDX-License-Identifier: MIT */
/*
 * The one spin rule, shared by the daemon's poll window (daemon/loop.c) and
 * the library's wait (lib/wait.c, MYRIXEN_SPIN_US).  User space only; pure
 * except mxn_spin_init, which asks how many CPUs are online.
 *
 * Spinning trades a CPU for latency.  It pays only when the CPU is spare:
 *  - with 2 CPUs or fewer the guests, the peer and the daemon need them all,
 *    so nobody spins unless the user asked for it explicitly (forced);
 *  - a spinner that loses its CPU (a gap between two polls far longer than a
 *    poll costs: it was preempted, somebody else wanted that CPU) stops and
 *    does not spin again for MXN_SPIN_QUIET_NS, forced or not;
 *  - with many spare CPUs (8 or more) the window doubles.
 */
#ifndef MYRIXEN_SPIN_H
#define MYRIXEN_SPIN_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#define MXN_SPIN_GAP_NS 50000ull          /* a poll never takes this long */
#define MXN_SPIN_QUIET_NS 10000000ull     /* back off after a preemption */

struct mxn_spin {
	uint64_t window_ns;       /* wanted window, 0 = never spin */
	uint64_t quiet_until_ns;  /* no spinning before this */
	unsigned ncpus;
	bool forced;              /* set explicitly: spin even on <= 2 CPUs */
	uint64_t preemptions;     /* times a spin ended because we lost the CPU */
};

static inline void mxn_spin_setup(struct mxn_spin *s, uint64_t window_ns, bool forced,
				  unsigned ncpus)
{
	s->window_ns = window_ns;
	s->quiet_until_ns = 0;
	s->ncpus = ncpus;
	s->forced = forced;
	s->preemptions = 0;
}

static inline void mxn_spin_init(struct mxn_spin *s, uint64_t window_ns, bool forced)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	mxn_spin_setup(s, window_ns, forced, n > 0 ? (unsigned)n : 1u);
}

/* Never spins, whatever the time: a waiter needs no clock for the spin. */
static inline bool mxn_spin_never(const struct mxn_spin *s)
{
	return !s->window_ns || (!s->forced && s->ncpus <= 2);
}

/* How long a spin starting at now may last (0: do not spin). */
static inline uint64_t mxn_spin_window(const struct mxn_spin *s, uint64_t now_ns)
{
	if (mxn_spin_never(s) || now_ns < s->quiet_until_ns)
		return 0;
	return !s->forced && s->ncpus >= 8 ? 2 * s->window_ns : s->window_ns;
}

/* Called between two polls of a spin (prev_ns: the previous poll).  True
 * when the spin must end now because we were preempted. */
static inline bool mxn_spin_preempted(struct mxn_spin *s, uint64_t prev_ns, uint64_t now_ns)
{
	if (now_ns - prev_ns < MXN_SPIN_GAP_NS)
		return false;
	s->quiet_until_ns = now_ns + MXN_SPIN_QUIET_NS;
	s->preemptions++;
	return true;
}

#endif /* MYRIXEN_SPIN_H */
