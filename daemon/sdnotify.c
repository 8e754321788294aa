/* SPDX-License-Identifier: MIT */
/*
 * systemd integration on the loop: a timer that sends WATCHDOG=1 at half of
 * WATCHDOG_USEC (so one late tick does not kill us) together with a fresh
 * STATUS= line ("N guests, N peers, link up|down|none").  Because the timer
 * runs on the same loop that polls the rings, a stuck loop stops the
 * keep-alives and systemd restarts the daemon.  Outside systemd
 * (no NOTIFY_SOCKET) nothing is started.  READY=1 is main.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include "core.h"
#include "ctl_int.h"
#include "daemon.h"

/* Without a watchdog, STATUS= is refreshed this often (seconds). */
#define MXD_STATUS_PERIOD_S 5.0

struct mxd_sdnotify {
	struct mxd_ctl *ctl;
	ev_timer timer;
	bool watchdog;
};

static void send_status(struct mxd_sdnotify *n, bool keepalive)
{
	struct mxd_daemon *d = n->ctl->d;
	struct mxd_core_stats st = { 0 };
	const char *link = mxd_ctl_link_name(n->ctl);

	if (d->core)
		mxd_core_get_stats(d->core, &st);
	/* one word a person reads at a glance: up, down, or none */
	if (strcmp(link, "up") && strcmp(link, "none"))
		link = "down";
	sd_notifyf(0, "%sSTATUS=%u guests, %u endpoints, %u peers, link %s",
		   keepalive ? "WATCHDOG=1\n" : "", st.guests, st.endpoints,
		   mxd_ctl_peer_count(n->ctl), link);
}

static void timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct mxd_sdnotify *n = w->data;

	(void)ev;
	(void)revents;
	send_status(n, n->watchdog);
}

int mxd_sdnotify_start(struct mxd_ctl *ctl, struct mxd_sdnotify **out)
{
	struct mxd_sdnotify *n;
	uint64_t usec = 0;
	double period = MXD_STATUS_PERIOD_S;

	*out = NULL;
	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->ctl = ctl;
	/* 0: keep WATCHDOG_USEC in the environment for a re-exec */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->watchdog = true;
		period = (double)usec / 2e6;
	}
	ev_timer_init(&n->timer, timer_cb, 0., period);
	n->timer.data = n;
	ev_timer_start(ctl->ev, &n->timer);
	*out = n;
	return 0;
}

void mxd_sdnotify_status(struct mxd_sdnotify *n)
{
	if (n)
		send_status(n, false);
}

void mxd_sdnotify_stop(struct mxd_sdnotify *n)
{
	if (!n)
		return;
	ev_timer_stop(n->ctl->ev, &n->timer);
	sd_notify(0, "STOPPING=1");
	free(n);
}
