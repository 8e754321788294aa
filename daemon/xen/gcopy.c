/* SPDX-License-Identifier: MIT */
/* Guest-to-guest grant copies on a worker thread (see gcopy.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <xengnttab.h>
#include <xen/grant_table.h> /* GNTCOPY_*, GNTST_okay */
#include "gcopy.h"
#include "gcopy_plan.h"
#include "transport.h"
#include "validate.h"
#include "xen.h"

struct mxd_xen_gjob {
	struct mxd_xen_gcopy *g;
	struct mxd_region *from, *to;
	uint32_t src, dst, len;
	/* the worker's, while it holds the job (running) */
	struct mxd_gcopy_cursor cur;
	uint64_t calls;
	int err;
	/* under g->mu */
	enum { GJ_QUEUED, GJ_RUNNING, GJ_FINISHED } state;
	bool cancelled;
	/* loop thread only */
	mxd_xen_gcopy_done_fn *done;
	void *arg;
	TAILQ_ENTRY(mxd_xen_gjob) link; /* queue or finished */
};

struct mxd_xen_gcopy {
	struct ev_loop *loop;
	struct mxd_xen_stats *st;
	xengnttab_handle *gt;       /* the worker's own */
	ev_async async;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	TAILQ_HEAD(, mxd_xen_gjob) queue, finished;
	bool stopping;
	/* the worker's */
	struct mxd_gcopy_piece piece[MXD_XEN_GCOPY_BATCH];
	xengnttab_grant_copy_segment_t seg[MXD_XEN_GCOPY_BATCH];
};

/* ---- worker ---- */

/* One call of up to a batch; 1 when the job is over (done or failed). */
static int batch(struct mxd_xen_gcopy *g, struct mxd_xen_gjob *j)
{
	const struct mxd_gcopy_side src = { j->from->seg.grant, j->from->nsegs };
	const struct mxd_gcopy_side dst = { j->to->seg.grant, j->to->nsegs };
	uint32_t n = mxd_gcopy_plan(&src, &dst, j->len, &j->cur, g->piece, MXD_XEN_GCOPY_BATCH);

	if (!n) {
		j->err = j->cur.done == j->len ? 0 : -ERANGE;
		return 1;
	}
	memset(g->seg, 0, n * sizeof(g->seg[0]));
	for (uint32_t i = 0; i < n; i++) {
		g->seg[i].source.foreign.ref = g->piece[i].src_ref;
		g->seg[i].source.foreign.offset = g->piece[i].src_off;
		g->seg[i].source.foreign.domid = (uint16_t)j->src;
		g->seg[i].dest.foreign.ref = g->piece[i].dst_ref;
		g->seg[i].dest.foreign.offset = g->piece[i].dst_off;
		g->seg[i].dest.foreign.domid = (uint16_t)j->dst;
		g->seg[i].len = g->piece[i].len;
		g->seg[i].flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
	}
	j->calls++;
	if (xengnttab_grant_copy(g->gt, n, g->seg) < 0) {
		j->err = errno ? -errno : -EIO;
		return 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (g->seg[i].status != GNTST_okay) {
			j->err = -EFAULT;
			return 1;
		}
	}
	return j->cur.done == j->len;
}

static void *worker(void *arg)
{
	struct mxd_xen_gcopy *g = arg;
	struct mxd_xen_gjob *j;
	int over;

	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		j = TAILQ_FIRST(&g->queue);
		if (!j) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		TAILQ_REMOVE(&g->queue, j, link);
		j->state = GJ_RUNNING;
		pthread_mutex_unlock(&g->mu);
		over = batch(g, j);
		pthread_mutex_lock(&g->mu);
		if (over || j->cancelled) {
			j->state = GJ_FINISHED;
			TAILQ_INSERT_TAIL(&g->finished, j, link);
			ev_async_send(g->loop, &g->async);
		} else {
			j->state = GJ_QUEUED;
			TAILQ_INSERT_TAIL(&g->queue, j, link); /* round-robin */
		}
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* ---- loop side ---- */

static void job_free(struct mxd_xen_gjob *j)
{
	mxd_region_free(j->from);
	mxd_region_free(j->to);
	free(j);
}

static void account(struct mxd_xen_gcopy *g, const struct mxd_xen_gjob *j)
{
	uint64_t moved = j->err ? 0 : j->cur.done;

	g->st->copy_direct++;
	g->st->copy_direct_calls += j->calls;
	g->st->copy_direct_bytes += moved;
	if (j->err == -EFAULT)
		g->st->copy_faults++;
}

static void async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mxd_xen_gcopy *g = w->data;
	TAILQ_HEAD(, mxd_xen_gjob) done = TAILQ_HEAD_INITIALIZER(done);
	struct mxd_xen_gjob *j;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&g->mu);
	TAILQ_CONCAT(&done, &g->finished, link);
	pthread_mutex_unlock(&g->mu);
	while ((j = TAILQ_FIRST(&done))) {
		TAILQ_REMOVE(&done, j, link);
		account(g, j);
		if (!j->cancelled && j->done)
			j->done(j->arg, j->err, j->err ? 0 : j->len);
		job_free(j);
	}
}

int mxd_xen_gcopy_start(struct mxd_xen_gcopy *g, uint32_t src, const struct mxd_region *from,
			uint32_t dst, const struct mxd_region *to, uint32_t len,
			mxd_xen_gcopy_done_fn *done, void *arg, struct mxd_xen_gjob **out)
{
	struct mxd_xen_gjob *j = calloc(1, sizeof(*j));

	*out = NULL;
	if (!j)
		return -ENOMEM;
	j->g = g;
	j->src = src;
	j->dst = dst;
	j->len = len;
	j->done = done;
	j->arg = arg;
	if (from->kind != MXN_REGION_GRANT || to->kind != MXN_REGION_GRANT) {
		free(j);
		return -EINVAL;
	}
	j->from = mxd_region_dup(from);
	j->to = mxd_region_dup(to);
	if (!j->from || !j->to) {
		job_free(j);
		return -ENOMEM;
	}
	pthread_mutex_lock(&g->mu);
	TAILQ_INSERT_TAIL(&g->queue, j, link);
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	*out = j;
	return 0;
}

void mxd_xen_gcopy_cancel(struct mxd_xen_gjob *j)
{
	struct mxd_xen_gcopy *g = j->g;
	bool queued;

	pthread_mutex_lock(&g->mu);
	j->cancelled = true;
	queued = j->state == GJ_QUEUED;
	if (queued)
		TAILQ_REMOVE(&g->queue, j, link);
	pthread_mutex_unlock(&g->mu);
	if (queued) {
		account(g, j);
		job_free(j);
	}
	/* else: freed when the worker hands it back (async_cb) */
}

int mxd_xen_gcopy_new(struct ev_loop *loop, struct mxd_xen_stats *st, struct mxd_xen_gcopy **out)
{
	struct mxd_xen_gcopy *g = calloc(1, sizeof(*g));
	int err;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->loop = loop;
	g->st = st;
	g->gt = xengnttab_open(NULL, 0);
	if (!g->gt) {
		err = errno ? -errno : -ENOENT;
		free(g);
		return err;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	TAILQ_INIT(&g->queue);
	TAILQ_INIT(&g->finished);
	ev_async_init(&g->async, async_cb);
	g->async.data = g;
	err = -pthread_create(&g->thread, NULL, worker, g);
	if (err) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		xengnttab_close(g->gt);
		free(g);
		return err;
	}
	ev_async_start(loop, &g->async);
	ev_unref(loop); /* the copier alone must not keep the loop alive */
	*out = g;
	return 0;
}

void mxd_xen_gcopy_free(struct mxd_xen_gcopy *g)
{
	struct mxd_xen_gjob *j;

	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thread, NULL);
	ev_ref(g->loop);
	ev_async_stop(g->loop, &g->async);
	TAILQ_CONCAT(&g->finished, &g->queue, link);
	while ((j = TAILQ_FIRST(&g->finished))) {
		TAILQ_REMOVE(&g->finished, j, link);
		job_free(j);
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	xengnttab_close(g->gt);
	free(g);
}
