/* SPDX-License-Identifier: MIT */
/*
 * The daemon loop's spin (daemon/loop.c) on a clock of the test's own: a
 * forced spin over an active endpoint, with nothing else to watch, goes
 * back to libev (one epoll_wait each time) only every MXD_SPIN_EPOLL_NS,
 * and a descriptor that becomes ready during the spin is still served
 * within that period.  Counts libev iterations (ev_iteration), not time.
 */
#include <ev.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core.h"
#include "log.h"
#include "loop.h"
#include "tcheck.h"
#include "tself_region.h"

#define EPOLL_EVERY_US 100u  /* MXD_SPIN_EPOLL_NS */
#define PASSES 2000u
#define MAX_ITERS 1000u

static uint64_t t0, reads;

/* 1 us per reading: each spin pass reads the clock about once */
static uint64_t fake_now(void)
{
	return t0 + 1000u * ++reads;
}

static unsigned one_runnable(void)
{
	return 1;
}

struct spin_probe {
	struct mxd_loop *l;
	unsigned passes;
	int pipe[2];
	uint64_t written_ns, served_ns;
	ev_io io;
	ev_prepare prep;
};

/* Called once per spin pass: the pipe becomes ready at pass 450. */
static bool spin_rx(void *arg)
{
	struct spin_probe *p = arg;

	if (++p->passes == 450) {
		CHECK_EQ(write(p->pipe[1], "x", 1), 1);
		p->written_ns = fake_now();
	}
	if (p->passes >= PASSES)
		mxd_loop_stop(p->l);
	return false;
}

static void on_pipe(struct ev_loop *ev, ev_io *w, int revents)
{
	struct spin_probe *p = w->data;
	char c;

	(void)revents;
	CHECK_EQ(read(p->pipe[0], &c, 1), 1);
	p->served_ns = fake_now();
	ev_io_stop(ev, w);
}

static void on_alarm(int sig)
{
	static const char msg[] = "daemon loop: the spin stopped (the loop slept)\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/* The old spin made one libev iteration per pass, and none of its passes
 * reached spin_rx: stop it after far more iterations than the spin needs. */
static void on_prepare(struct ev_loop *ev, ev_prepare *w, int revents)
{
	struct spin_probe *p = w->data;

	(void)revents;
	if (ev_iteration(ev) > MAX_ITERS)
		mxd_loop_stop(p->l);
}

static int t_notify(struct mxd_endpoint *ep)
{
	(void)ep;
	return 0;
}

static void t_destroy(struct mxd_endpoint *ep)
{
	free(ep->tp);
}

static const struct mxd_transport_ops t_ops = {
	.name = "test", .region_kind = MXN_REGION_VADDR, .notify = t_notify,
	.region_read = tself_region_read, .region_write = tself_region_write, .destroy = t_destroy,
};

static struct mxd_endpoint *open_ep(struct mxd_core *core)
{
	struct mxd_endpoint_params p = { .ops = &t_ops, .key = 1, .endpoint = 0 };
	struct mxd_endpoint *ep;
	struct mxd_guest *g;

	CHECK_EQ(mxn_layout_compute(&p.geo, 4, 4, MXN_QUEUE_MIN, MXN_QUEUE_MIN), 0);
	p.area = aligned_alloc(MXN_PAGE_SIZE, p.geo.area_size);
	CHECK(p.area);
	memset(p.area, 0, p.geo.area_size);
	p.tp = p.area;
	CHECK_EQ(mxd_guest_get_as(core, MXD_GUEST_LOCAL, 1, 1, "test", &g), 0);
	CHECK_EQ(mxd_endpoint_attach(core, g, &p, &ep), 0);
	mxd_guest_put(g);
	return ep;
}

int main(void)
{
	struct mxd_config cfg;
	struct mxd_core *core;
	struct spin_probe p = { 0 };
	struct ev_loop *ev;
	unsigned iters, period;
	uint64_t spun_us;

	signal(SIGALRM, on_alarm);
	alarm(30);
	mxd_config_defaults(&cfg);
	cfg.limits.endpoints = 1;
	cfg.poll_spin_force = true;
	cfg.poll_window_us = 1000000;   /* the endpoint stays in its window */
	CHECK_EQ(mxd_core_new(&cfg, &core), 0);
	CHECK_EQ(mxd_loop_new(core, &p.l), 0);
	ev = mxd_loop_ev(p.l);
	mxd_loop_set_clock(p.l, fake_now, one_runnable);
	mxd_loop_set_spin_rx(p.l, spin_rx, &p);
	CHECK_EQ(pipe(p.pipe), 0);
	ev_io_init(&p.io, on_pipe, p.pipe[0], EV_READ);
	p.io.data = &p;
	ev_io_start(ev, &p.io);
	ev_prepare_init(&p.prep, on_prepare);
	p.prep.data = &p;
	ev_prepare_start(ev, &p.prep);
	mxd_endpoint_kick(open_ep(core));
	t0 = mxd_now_ns();   /* the endpoint's last work is on the real clock */
	iters = ev_iteration(ev);
	CHECK_EQ(mxd_loop_run(p.l), 0);
	iters = ev_iteration(ev) - iters;
	spun_us = reads;
	/* one epoll pass per period of spinning, not one per pass */
	if (iters > spun_us / EPOLL_EVERY_US + 2) {
		fprintf(stderr, "%u passes over %llu us of spin took %u libev iterations (want <= %llu)\n",
			p.passes, (unsigned long long)spun_us, iters,
			(unsigned long long)(spun_us / EPOLL_EVERY_US + 2));
		return 1;
	}
	CHECK(p.passes >= PASSES);   /* the spin ends its period after the stop */
	/* the pipe, ready mid-spin, waited at most one period */
	CHECK(p.served_ns);
	period = (unsigned)((p.served_ns - p.written_ns) / 1000u);
	if (period > EPOLL_EVERY_US + 2) {
		fprintf(stderr, "a descriptor ready mid-spin waited %u us (want <= %u)\n", period,
			EPOLL_EVERY_US + 2);
		return 1;
	}
	printf("daemon loop: ok (%u passes, %llu us, %u libev iterations, pipe served after %u us)\n",
	       p.passes, (unsigned long long)spun_us, iters, period);
	ev_prepare_stop(ev, &p.prep);
	ev_io_stop(ev, &p.io);
	close(p.pipe[0]);
	close(p.pipe[1]);
	mxd_loop_free(p.l);
	mxd_core_free(core);
	return 0;
}
