/* SPDX-License-Identifier: MIT */
/*
 * The one spin rule, shared by the daemon's poll window (daemon/loop.c) and
 * the library's wait (lib/wait.c, MYRIXEN_SPIN_US).  User space only; pure
 * but for mxn_spin_init (how many CPUs are online) and the sampler it
 * installs (mxn_spin_runnable_proc: how many tasks are runnable host-wide).
 *
 * Spinning trades a CPU for latency.  It pays only when the CPU is spare:
 *  - with 2 CPUs or fewer the guests, the peer and the daemon need them all,
 *    so nobody spins unless the user asked for it explicitly (forced: an
 *    application's MYRIXEN_SPIN_US, the daemon's poll_spin = force);
 *  - nobody spins while more tasks are runnable than there are CPUs
 *    (somebody waits for the CPU a spinner would hold): sampled at the start
 *    of a spin and every MXN_SPIN_LOAD_NS during it.  A forced spinner
 *    tolerates one task more: the one it serves, a guest it just woke,
 *    which the kernel's wake-up preemption puts on a CPU (else on 2 CPUs
 *    two spinners and the guest they serve count as crowded, and the spin
 *    stops exactly when it pays: bench/README.md, wire tiny);
 *  - a spinner that loses its CPU (a gap between two polls far longer than a
 *    poll costs: it was preempted) stops and does not spin again for a
 *    back-off that starts at MXN_SPIN_QUIET_MIN_NS and doubles with each
 *    preemption up to MXN_SPIN_QUIET_MAX_NS; a spin that finds its work
 *    (mxn_spin_found) starts the back-off over;
 *  - where CPUs are spare (nobody waiting, some idle) the default window
 *    grows with them, up to MXN_SPIN_SPARE_MAX times; a forced window is
 *    the user's.  With no load sample (the sampler is unset or failed):
 *    the window doubles from 8 CPUs up;
 *  - the window adapts to how soon work comes after it ends (KVM's halt
 *    polling rule, mxn_spin_slept): a sleep that a window up to
 *    MXN_SPIN_ADAPT_MAX times the wanted one would have spared doubles it
 *    (a reply one wire round trip away, longer than the window, otherwise
 *    costs a sleep and a wake-up every time); a longer sleep halves it
 *    back towards the wanted window.
 */
#ifndef MYRIXEN_SPIN_H
#define MYRIXEN_SPIN_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MXN_SPIN_GAP_NS 50000ull          /* a poll never takes this long */
#define MXN_SPIN_QUIET_MIN_NS 200000ull   /* first back-off after a preemption */
#define MXN_SPIN_QUIET_MAX_NS 10000000ull /* the longest one */
#define MXN_SPIN_LOAD_NS 1000000ull       /* runnable tasks sampled at most this often */
#define MXN_SPIN_SPARE_MAX 4u
#define MXN_SPIN_ADAPT_MAX 8u

struct mxn_spin {
	uint64_t window_ns;       /* wanted window, 0 = never spin */
	uint64_t grown_ns;        /* the window as mxn_spin_slept grew it (0: none) */
	uint64_t quiet_until_ns;  /* no spinning before this */
	uint64_t quiet_ns;        /* the last back-off, 0 = none since a good spin */
	unsigned ncpus;
	bool forced;              /* set explicitly: spin even on <= 2 CPUs */
	uint64_t preemptions;     /* times a spin ended because we lost the CPU */
	uint64_t crowded;         /* spins refused or cut: tasks waiting for a CPU */
	/* Runnable tasks host-wide, us included (0: unknown); NULL: no sample. */
	unsigned (*runnable)(void);
	uint64_t load_at_ns;      /* when 'load' was sampled (0: never) */
	unsigned load;
};

/* /proc/loadavg's fourth field, "running/total": the tasks runnable right
 * now.  Opened per sample (three syscalls, at most every MXN_SPIN_LOAD_NS
 * while spinning): no descriptor is left for an application to close. */
static inline unsigned mxn_spin_runnable_proc(void)
{
	char buf[128], *p = buf;
	int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (int i = 0; i < 3 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? (unsigned)strtoul(p, NULL, 10) : 0;
}

static inline void mxn_spin_setup(struct mxn_spin *s, uint64_t window_ns, bool forced,
				  unsigned ncpus)
{
	memset(s, 0, sizeof(*s));
	s->window_ns = window_ns;
	s->ncpus = ncpus;
	s->forced = forced;
}

static inline void mxn_spin_init(struct mxn_spin *s, uint64_t window_ns, bool forced)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	mxn_spin_setup(s, window_ns, forced, n > 0 ? (unsigned)n : 1u);
	s->runnable = mxn_spin_runnable_proc;
}

/* Never spins, whatever the time: a waiter needs no clock for the spin. */
static inline bool mxn_spin_never(const struct mxn_spin *s)
{
	return !s->window_ns || (!s->forced && s->ncpus <= 2);
}

/* The window before the load decides: the wanted one, or as it grew. */
static inline uint64_t mxn_spin_base(const struct mxn_spin *s)
{
	uint64_t max = s->window_ns * MXN_SPIN_ADAPT_MAX;

	return s->grown_ns <= s->window_ns ? s->window_ns : s->grown_ns > max ? max : s->grown_ns;
}

/* Runnable tasks now (0: unknown), sampled at most every MXN_SPIN_LOAD_NS. */
static inline unsigned mxn_spin_load(struct mxn_spin *s, uint64_t now_ns)
{
	if (!s->runnable)
		return 0;
	if (!s->load_at_ns || now_ns - s->load_at_ns >= MXN_SPIN_LOAD_NS) {
		s->load = s->runnable();
		s->load_at_ns = now_ns ? now_ns : 1;
	}
	return s->load;
}

/* Somebody waits for a CPU: more runnable tasks than CPUs, or, for a
 * forced spinner, two more (one: the guest it serves, see above). */
static inline bool mxn_spin_crowded(const struct mxn_spin *s, unsigned load)
{
	return load > s->ncpus + (s->forced ? 1u : 0u);
}

/* How long a spin starting at now may last (0: do not spin). */
static inline uint64_t mxn_spin_window(struct mxn_spin *s, uint64_t now_ns)
{
	unsigned load, spare;

	if (mxn_spin_never(s) || now_ns < s->quiet_until_ns)
		return 0;
	load = mxn_spin_load(s, now_ns);
	if (mxn_spin_crowded(s, load)) {
		s->crowded++;
		return 0;
	}
	if (s->forced)
		return mxn_spin_base(s);
	if (!load)
		return s->ncpus >= 8 ? 2 * mxn_spin_base(s) : mxn_spin_base(s);
	spare = s->ncpus - load;
	spare = spare < 1 ? 1 : spare > MXN_SPIN_SPARE_MAX ? MXN_SPIN_SPARE_MAX : spare;
	return spare * mxn_spin_base(s);
}

/* A spin's window ended, the spinner slept slept_ns, then work came.  Had
 * the window been that much longer (up to MXN_SPIN_ADAPT_MAX times the
 * wanted one), the sleep and its wake-up were spared: double it.  A longer
 * sleep means nothing was coming soon: halve it back.  Callers report
 * only sleeps that followed a window that spun. */
static inline void mxn_spin_slept(struct mxn_spin *s, uint64_t slept_ns)
{
	uint64_t base = mxn_spin_base(s), max = s->window_ns * MXN_SPIN_ADAPT_MAX;

	if (!s->window_ns)
		return;
	if (base + slept_ns <= max)
		s->grown_ns = 2 * base > max ? max : 2 * base;
	else
		s->grown_ns = base / 2 < s->window_ns ? 0 : base / 2;
}

/* Called between two polls of a spin (prev_ns: the previous poll).  True
 * when the spin must end now: we were preempted (back off), or tasks now
 * wait for a CPU. */
static inline bool mxn_spin_preempted(struct mxn_spin *s, uint64_t prev_ns, uint64_t now_ns)
{
	if (now_ns - prev_ns >= MXN_SPIN_GAP_NS) {
		s->quiet_ns = !s->quiet_ns ? MXN_SPIN_QUIET_MIN_NS
			      : s->quiet_ns >= MXN_SPIN_QUIET_MAX_NS / 2 ? MXN_SPIN_QUIET_MAX_NS
									 : 2 * s->quiet_ns;
		s->quiet_until_ns = now_ns + s->quiet_ns;
		s->preemptions++;
		return true;
	}
	if (mxn_spin_crowded(s, mxn_spin_load(s, now_ns))) {
		s->crowded++;
		return true;
	}
	return false;
}

/* A spin found what it waited for: the next preemption backs off from the
 * start again. */
static inline void mxn_spin_found(struct mxn_spin *s)
{
	s->quiet_ns = 0;
}

#endif /* MYRIXEN_SPIN_H */
