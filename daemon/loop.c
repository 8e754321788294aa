/* SPDX-License-Identifier: MIT */
/* The libev loop and the anticipatory ring polling (see loop.h). */
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include "core.h"
#include "log.h"
#include "loop.h"

struct mxd_loop {
	struct ev_loop *ev;
	struct mxd_core *core;
	ev_idle poll_w;
	ev_prepare flush_w;
	ev_signal term_w, int_w, hup_w;
	void (*reload)(void *arg);
	void *reload_arg;
};

static void poll_cb(struct ev_loop *ev, ev_idle *w, int revents)
{
	struct mxd_loop *l = w->data;

	(void)revents;
	if (mxd_core_poll_active(l->core, mxd_now_ns()) == 0)
		ev_idle_stop(ev, w);
	/* Publish this pass's events now rather than at the next prepare:
	 * one push and at most one notify per endpoint per pass. */
	mxd_core_flush(l->core);
}

static void flush_cb(struct ev_loop *ev, ev_prepare *w, int revents)
{
	struct mxd_loop *l = w->data;

	(void)ev;
	(void)revents;
	mxd_core_flush(l->core);
}

static void wakeup(void *arg)
{
	struct mxd_loop *l = arg;

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
	ev_idle_init(&l->poll_w, poll_cb);
	/* Idle watchers only run when nothing of the same or higher priority
	 * is pending: at the top priority, a busy wire or control socket
	 * cannot starve ring polling. */
	ev_set_priority(&l->poll_w, EV_MAXPRI);
	l->poll_w.data = l;
	ev_prepare_init(&l->flush_w, flush_cb);
	l->flush_w.data = l;
	ev_prepare_start(l->ev, &l->flush_w);
	ev_signal_init(&l->term_w, stop_cb, SIGTERM);
	ev_signal_init(&l->int_w, stop_cb, SIGINT);
	ev_signal_init(&l->hup_w, hup_cb, SIGHUP);
	l->hup_w.data = l;
	ev_signal_start(l->ev, &l->term_w);
	ev_signal_start(l->ev, &l->int_w);
	ev_signal_start(l->ev, &l->hup_w);
	/* Signal watchers must not keep the loop alive on their own. */
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

void mxd_loop_set_reload(struct mxd_loop *l, void (*fn)(void *arg), void *arg)
{
	l->reload = fn;
	l->reload_arg = arg;
}
