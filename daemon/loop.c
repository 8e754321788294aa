/* SPDX-License-Identifier: MIT */
/* The libev loop and the anticipatory ring polling (see loop.h). */
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <myrixen/spin.h>
#include "core.h"
#include "log.h"
#include "loop.h"

/* While spinning, libev (epoll_wait with a zero timeout) still runs every
 * this many nanoseconds, so sockets, other doorbells and timers wait at
 * most that long.  Each such pass is a syscall: at 20 us a spinning daemon
 * made about two per message of a wire ping-pong (a round trip is 50-60 us
 * over one veth); frames need no pass (spin_rx). */
#define MXD_SPIN_EPOLL_NS 100000ull

struct mxd_loop {
	struct ev_loop *ev;
	struct mxd_core *core;
	struct mxn_spin spin;
	bool (*spin_rx)(void *arg);
	void *spin_rx_arg;
	ev_idle poll_w;
	ev_prepare flush_w;
	ev_check woken_w;           /* polls endpoints woken in this iteration */
	bool woken;                 /* an endpoint became active since the last poll */
	uint64_t idle_since;        /* when a window that spun went idle (0: none) */
	ev_timer park_w;            /* mxd_core_park_tick */
	ev_signal term_w, int_w, hup_w;
	void (*reload)(void *arg);
	void *reload_arg;
	uint64_t spins;             /* poll_cb entries that had a window to spin */
	uint64_t spin_frames;       /* times spin_rx took frames */
	uint64_t (*now)(void);      /* mxd_now_ns; a test's own clock */
};

/* The anticipatory window of this pass: the configured one when the spin
 * rule lets us spin (spin.h; poll_spin = force spins on <= 2 CPUs too),
 * else none (re-arm as soon as a ring is idle).  Read per pass: a reload
 * changes both. */
static uint64_t pass_window(struct mxd_loop *l, uint64_t now)
{
	const struct mxd_config *cfg = mxd_core_config(l->core);

	l->spin.window_ns = (uint64_t)cfg->poll_window_us * 1000u;
	l->spin.forced = cfg->poll_spin_force;
	return mxn_spin_window(&l->spin, now);
}

/*
 * Watchers other than our own ev_check wait to run.  libev queues every
 * check watcher before it invokes the idle ones, so woken_w is always
 * pending while poll_cb runs: counted, it ended every spin after its first
 * pass, and a forced spin made one epoll_wait(0) per pass (10 per wire
 * message and daemon, bench/wire_bench.sh).
 */
static bool others_pending(struct ev_loop *ev, struct mxd_loop *l)
{
	unsigned ours = ev_is_pending(&l->woken_w) ? 1u : 0u;

	return ev_pending_count(ev) > ours;
}

/*
 * Passes over the active rings in user space, without a syscall, until
 * none is active, other watchers are pending, MXD_SPIN_EPOLL_NS went by,
 * or we lost the CPU; then back to libev, which polls epoll without
 * blocking while we are idle.  Without a window the passes go on only while
 * they find work, so the pass that re-arms an idle ring follows the one
 * that did its work at once, not after an epoll pass.  Between passes a
 * frame the packet ring shows is taken here (spin_rx): in a spinning
 * ping-pong the reply then costs neither a wake-up nor an epoll_wait; and
 * a guest woken by an event is polled for its answer (core anticipate), so
 * it needs no doorbell.  Each pass publishes its events (one push, at most
 * one notify per ring).
 */
static void poll_passes(struct ev_loop *ev, struct mxd_loop *l)
{
	uint64_t now = l->now(), window = pass_window(l, now), end = now + MXD_SPIN_EPOLL_NS;
	uint64_t prev;
	ev_idle *w = &l->poll_w;

	l->spins += window != 0;
	mxd_core_set_anticipate(l->core, window != 0);
	for (;;) {
		int active = mxd_core_poll_active(l->core, now, window);

		mxd_core_flush(l->core);
		if (!active) {
			ev_idle_stop(ev, w);
			/* how soon work comes again tunes the window (spin.h) */
			l->idle_since = window ? now : 0;
			return;
		}
		if (others_pending(ev, l))
			return;
		/* a frame waits: take it now, not after the next epoll pass;
		 * a spin that found one starts its back-offs over (spin.h) */
		if (l->spin_rx && l->spin_rx(l->spin_rx_arg)) {
			l->spin_frames++;
			if (window)
				mxn_spin_found(&l->spin);
		}
		prev = now;
		now = l->now();
		if (now >= end || (window && mxn_spin_preempted(&l->spin, prev, now)))
			return;
	}
}

static void poll_cb(struct ev_loop *ev, ev_idle *w, int revents)
{
	struct mxd_loop *l = w->data;

	(void)revents;
	poll_passes(ev, l);
	/* who woke during the passes waits for the next iteration */
	l->woken = false;
}

/*
 * After the callbacks of an iteration: an endpoint one of them woke (a
 * doorbell, a frame's delivery) is polled now.  Left to the idle watcher,
 * it would wait for the next iteration, which passes through epoll_wait
 * (with a zero timeout) first: one syscall more per doorbell.
 */
static void woken_cb(struct ev_loop *ev, ev_check *w, int revents)
{
	struct mxd_loop *l = w->data;

	(void)revents;
	if (l->woken && ev_is_active(&l->poll_w) && !ev_is_pending(&l->poll_w))
		poll_cb(ev, &l->poll_w, EV_IDLE);
}

static void flush_cb(struct ev_loop *ev, ev_prepare *w, int revents)
{
	struct mxd_loop *l = w->data;

	(void)ev;
	(void)revents;
	mxd_core_flush(l->core);
}

static void park_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct mxd_loop *l = w->data;

	(void)ev;
	(void)revents;
	mxd_core_park_tick(l->core);
}

static void wakeup(void *arg)
{
	struct mxd_loop *l = arg;

	l->woken = true;
	if (l->idle_since) {
		mxn_spin_slept(&l->spin, l->now() - l->idle_since);
		l->idle_since = 0;
	}
	ev_idle_start(l->ev, &l->poll_w);
}

static void stop_cb(struct ev_loop *ev, ev_signal *w, int revents)
{
	(void)revents;
	mxd_log(MXD_LOG_NOTICE, "signal %d: shutting down", w->signum);
	ev_break(ev, EVBREAK_ALL);
}

static void hup_cb(struct ev_loop *ev, ev_signal *w, int revents)
{
	struct mxd_loop *l = w->data;

	(void)ev;
	(void)revents;
	if (l->reload)
		l->reload(l->reload_arg);
}

int mxd_loop_new(struct mxd_core *core, struct mxd_loop **out)
{
	struct mxd_loop *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->ev = ev_default_loop(EVFLAG_AUTO);
	if (!l->ev) {
		free(l);
		return -ENOSYS;
	}
	l->core = core;
	l->now = mxd_now_ns;
	mxn_spin_init(&l->spin, (uint64_t)mxd_core_config(core)->poll_window_us * 1000u, false);
	ev_idle_init(&l->poll_w, poll_cb);
	/* Idle watchers only run when nothing of the same or higher priority
	 * is pending: at the top priority, a busy wire or control socket
	 * cannot starve ring polling. */
	ev_set_priority(&l->poll_w, EV_MAXPRI);
	l->poll_w.data = l;
	ev_prepare_init(&l->flush_w, flush_cb);
	l->flush_w.data = l;
	ev_prepare_start(l->ev, &l->flush_w);
	ev_check_init(&l->woken_w, woken_cb);
	/* after every other callback of the iteration */
	ev_set_priority(&l->woken_w, EV_MINPRI);
	l->woken_w.data = l;
	ev_check_start(l->ev, &l->woken_w);
	ev_signal_init(&l->term_w, stop_cb, SIGTERM);
	ev_signal_init(&l->int_w, stop_cb, SIGINT);
	ev_signal_init(&l->hup_w, hup_cb, SIGHUP);
	l->hup_w.data = l;
	ev_signal_start(l->ev, &l->term_w);
	ev_signal_start(l->ev, &l->int_w);
	ev_signal_start(l->ev, &l->hup_w);
	ev_timer_init(&l->park_w, park_cb, 1., 1.);
	l->park_w.data = l;
	ev_timer_start(l->ev, &l->park_w);
	/* Signal watchers, the tick and the check must not keep the loop
	 * alive on their own. */
	ev_unref(l->ev);
	ev_unref(l->ev);
	ev_unref(l->ev);
	ev_unref(l->ev);
	ev_unref(l->ev);
	ev_unref(l->ev);
	mxd_core_set_wakeup(core, wakeup, l);
	*out = l;
	return 0;
}

void mxd_loop_free(struct mxd_loop *l)
{
	if (!l)
		return;
	mxd_core_set_wakeup(l->core, NULL, NULL);
	ev_ref(l->ev);
	ev_ref(l->ev);
	ev_ref(l->ev);
	ev_ref(l->ev);
	ev_ref(l->ev);
	ev_ref(l->ev);
	ev_timer_stop(l->ev, &l->park_w);
	ev_check_stop(l->ev, &l->woken_w);
	ev_idle_stop(l->ev, &l->poll_w);
	ev_prepare_stop(l->ev, &l->flush_w);
	ev_signal_stop(l->ev, &l->term_w);
	ev_signal_stop(l->ev, &l->int_w);
	ev_signal_stop(l->ev, &l->hup_w);
	free(l);
}

struct ev_loop *mxd_loop_ev(struct mxd_loop *l)
{
	return l->ev;
}

int mxd_loop_run(struct mxd_loop *l)
{
	ev_run(l->ev, 0);
	return 0;
}

void mxd_loop_stop(struct mxd_loop *l)
{
	ev_break(l->ev, EVBREAK_ALL);
}

void mxd_loop_set_spin_rx(struct mxd_loop *l, bool (*fn)(void *arg), void *arg)
{
	l->spin_rx = fn;
	l->spin_rx_arg = arg;
}

void mxd_loop_set_clock(struct mxd_loop *l, uint64_t (*now)(void), unsigned (*runnable)(void))
{
	l->now = now;
	l->spin.runnable = runnable;
}

void mxd_loop_get_stats(const struct mxd_loop *l, struct mxd_loop_stats *st)
{
	st->spins = l->spins;
	st->spin_frames = l->spin_frames;
	st->crowded = l->spin.crowded;
	st->preemptions = l->spin.preemptions;
	st->window_ns = mxn_spin_base(&l->spin);
}

void mxd_loop_set_reload(struct mxd_loop *l, void (*fn)(void *arg), void *arg)
{
	l->reload = fn;
	l->reload_arg = arg;
}
