/* SPDX-License-Identifier: MIT */
/* Mediated local copies on worker threads, bounded in time (see copy_pool.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include "copy_pool.h"
#include "log.h"
#include "validate.h"

enum job_state { J_QUEUED, J_RUNNING, J_FINISHED };
enum job_phase { PH_CHECK, PH_SRC, PH_DST };

struct mxd_copy_job {
	struct mxd_copy_pool *pool;
	struct mxd_principal *src, *dst;
	struct mxd_region *from, *to;
	uint32_t len;
	/* under pool->mu */
	enum job_state state;
	int err;
	uint32_t moved;
	atomic_int phase;           /* which guest's memory the worker touches */
	atomic_uint chunks;         /* chunks done: progress, read by the timer */
	unsigned chunks_seen;       /* loop: at the last timer tick */
	/* loop thread only */
	bool cancelled, charged;
	uid_t charged_uid;
	ev_timer timer;
	mxd_copy_done_fn *done;
	void *arg;
	TAILQ_ENTRY(mxd_copy_job) link; /* queue or finished (under mu) */
};

struct stuck_uid {
	uid_t uid;
	uint32_t n;
};

struct mxd_copy_pool {
	struct ev_loop *loop;
	double timeout_s;
	ev_async async;
	pthread_mutex_t mu;
	pthread_cond_t cv, exited;
	TAILQ_HEAD(, mxd_copy_job) queue, finished;
	uint32_t nthreads, idle;
	bool stopping;
	/* loop thread only */
	uint32_t nstuck;
	struct stuck_uid stuck[MXD_COPY_STUCK_MAX];
	struct mxd_ratelimit rl;
};

/* ---- worker ---- */

static int run(struct mxd_copy_job *j, uint8_t *buf, uint32_t *moved)
{
	int err = mxd_principal_check(j->src);

	if (!err)
		err = mxd_principal_check(j->dst);
	for (uint32_t off = 0, n; !err && off < j->len; off += n) {
		n = j->len - off < MXD_COPY_CHUNK ? j->len - off : MXD_COPY_CHUNK;
		atomic_store(&j->phase, PH_SRC);
		err = mxd_principal_copy(j->src, j->from, off, buf, n, false);
		if (err)
			break;
		atomic_store(&j->phase, PH_DST);
		err = mxd_principal_copy(j->dst, j->to, off, buf, n, true);
		if (!err)
			*moved = off + n;
		atomic_fetch_add_explicit(&j->chunks, 1, memory_order_relaxed);
	}
	atomic_store(&j->phase, PH_CHECK);
	return err;
}

static void *worker(void *arg)
{
	struct mxd_copy_pool *pool = arg;
	uint8_t *buf = malloc(MXD_COPY_CHUNK);
	struct mxd_copy_job *j;
	uint32_t moved;
	int err;

	pthread_mutex_lock(&pool->mu);
	while (!pool->stopping) {
		j = TAILQ_FIRST(&pool->queue);
		if (!j) {
			pool->idle++;
			pthread_cond_wait(&pool->cv, &pool->mu);
			pool->idle--;
			continue;
		}
		TAILQ_REMOVE(&pool->queue, j, link);
		j->state = J_RUNNING;
		pthread_mutex_unlock(&pool->mu);
		moved = 0;
		err = buf ? run(j, buf, &moved) : -ENOMEM;
		pthread_mutex_lock(&pool->mu);
		j->err = err;
		j->moved = moved;
		j->state = J_FINISHED;
		TAILQ_INSERT_TAIL(&pool->finished, j, link);
		ev_async_send(pool->loop, &pool->async);
	}
	pool->nthreads--;
	pthread_cond_broadcast(&pool->exited);
	pthread_mutex_unlock(&pool->mu);
	free(buf);
	return NULL;
}

/* Under mu.  One more worker when none is idle and fewer than
 * MXD_COPY_WORKERS are live (stuck ones do not count). */
static int maybe_spawn(struct mxd_copy_pool *pool)
{
	pthread_attr_t at;
	pthread_t t;
	int err;

	if (pool->idle || pool->nthreads >= pool->nstuck + MXD_COPY_WORKERS)
		return 0;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	err = -pthread_create(&t, &at, worker, pool);
	pthread_attr_destroy(&at);
	if (!err)
		pool->nthreads++;
	return err;
}

/* ---- loop side ---- */

static struct stuck_uid *stuck_of(struct mxd_copy_pool *pool, uid_t uid, bool add)
{
	struct stuck_uid *free_slot = NULL;

	for (uint32_t i = 0; i < MXD_COPY_STUCK_MAX; i++) {
		if (pool->stuck[i].n && pool->stuck[i].uid == uid)
			return &pool->stuck[i];
		if (!pool->stuck[i].n && !free_slot)
			free_slot = &pool->stuck[i];
	}
	if (add && free_slot)
		free_slot->uid = uid;
	return add ? free_slot : NULL;
}

static void job_free(struct mxd_copy_job *j)
{
	ev_timer_stop(j->pool->loop, &j->timer);
	mxd_principal_put(j->src);
	mxd_principal_put(j->dst);
	mxd_region_free(j->from);
	mxd_region_free(j->to);
	free(j);
}

static void notify(struct mxd_copy_job *j, int err, uint32_t len)
{
	mxd_copy_done_fn *fn = j->done;

	j->done = NULL;
	if (fn && !j->cancelled)
		fn(j->arg, err, len);
}

static void async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mxd_copy_pool *pool = w->data;
	TAILQ_HEAD(, mxd_copy_job) done = TAILQ_HEAD_INITIALIZER(done);
	struct mxd_copy_job *j;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&pool->mu);
	TAILQ_CONCAT(&done, &pool->finished, link);
	pthread_mutex_unlock(&pool->mu);
	while ((j = TAILQ_FIRST(&done))) {
		TAILQ_REMOVE(&done, j, link);
		if (j->charged) {
			struct stuck_uid *s = stuck_of(pool, j->charged_uid, false);

			if (s)
				s->n--;
			pool->nstuck--;
		}
		notify(j, j->err, j->err ? 0 : j->moved);
		job_free(j);
	}
}

/* No chunk done for a whole bound: fail the transfer now; a running worker
 * is abandoned and charged to the guest whose memory it is stuck in.  A
 * copy that progresses only re-arms (a 4 GiB message takes seconds). */
static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mxd_copy_job *j = w->data;
	struct mxd_copy_pool *pool = j->pool;
	unsigned chunks = atomic_load_explicit(&j->chunks, memory_order_relaxed);
	enum job_state st;
	struct stuck_uid *s;

	(void)revents;
	if (chunks != j->chunks_seen) {
		j->chunks_seen = chunks;
		ev_timer_set(w, pool->timeout_s, 0.);
		ev_timer_start(loop, w);
		return;
	}
	pthread_mutex_lock(&pool->mu);
	st = j->state;
	if (st == J_QUEUED)
		TAILQ_REMOVE(&pool->queue, j, link);
	pthread_mutex_unlock(&pool->mu);
	if (st == J_FINISHED)
		return; /* its completion is on the way */
	notify(j, -ETIMEDOUT, 0);
	if (st == J_QUEUED) {
		job_free(j);
		return;
	}
	j->charged_uid = atomic_load(&j->phase) == PH_DST ? j->dst->uid : j->src->uid;
	s = stuck_of(pool, j->charged_uid, true);
	if (s) {
		s->n++;
		j->charged = true;
		pool->nstuck++;
	}
	mxd_log_rl(&pool->rl, MXD_LOG_WARNING,
		   "copy: a transfer stalled in the memory of uid %u; worker abandoned",
		   (unsigned)j->charged_uid);
	pthread_mutex_lock(&pool->mu);
	if (!TAILQ_EMPTY(&pool->queue))
		(void)maybe_spawn(pool);
	pthread_mutex_unlock(&pool->mu);
}

static bool uid_blocked(struct mxd_copy_pool *pool, uid_t uid)
{
	struct stuck_uid *s = stuck_of(pool, uid, false);

	return s && s->n >= MXD_COPY_STUCK_PER_UID;
}

int mxd_copy_start(struct mxd_copy_pool *pool, struct mxd_principal *src,
		   const struct mxd_region *from, struct mxd_principal *dst,
		   const struct mxd_region *to, uint32_t len, mxd_copy_done_fn *done, void *arg,
		   struct mxd_copy_job **out)
{
	struct mxd_copy_job *j;
	int err = -EBUSY;

	*out = NULL;
	if (pool->nstuck >= MXD_COPY_STUCK_MAX || uid_blocked(pool, src->uid) ||
	    uid_blocked(pool, dst->uid))
		return err;
	err = -ENOMEM;
	j = calloc(1, sizeof(*j));
	if (!j)
		return err;
	j->pool = pool;
	j->src = mxd_principal_get(src);
	j->dst = mxd_principal_get(dst);
	j->from = mxd_region_dup(from);
	j->to = mxd_region_dup(to);
	j->len = len;
	j->done = done;
	j->arg = arg;
	ev_timer_init(&j->timer, timer_cb, pool->timeout_s, 0.);
	j->timer.data = j;
	if (!j->from || !j->to)
		goto out;
	pthread_mutex_lock(&pool->mu);
	err = maybe_spawn(pool);
	if (err && !pool->nthreads) {
		pthread_mutex_unlock(&pool->mu);
		goto out;
	}
	TAILQ_INSERT_TAIL(&pool->queue, j, link);
	pthread_cond_signal(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
	ev_timer_start(pool->loop, &j->timer);
	*out = j;
	return 0;
out:
	job_free(j);
	return err;
}

void mxd_copy_cancel(struct mxd_copy_job *j)
{
	struct mxd_copy_pool *pool = j->pool;
	bool queued;

	pthread_mutex_lock(&pool->mu);
	queued = j->state == J_QUEUED;
	if (queued)
		TAILQ_REMOVE(&pool->queue, j, link);
	pthread_mutex_unlock(&pool->mu);
	j->cancelled = true;
	if (queued)
		job_free(j);
	/* else: freed when its worker hands it back (async_cb) */
}

int mxd_copy_pool_new(struct ev_loop *loop, double timeout_s, struct mxd_copy_pool **out)
{
	struct mxd_copy_pool *pool = calloc(1, sizeof(*pool));

	*out = NULL;
	if (!pool)
		return -ENOMEM;
	pool->loop = loop;
	pool->timeout_s = timeout_s;
	pool->rl = (struct mxd_ratelimit)MXD_RATELIMIT_INIT(5000, 5);
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cv, NULL);
	pthread_cond_init(&pool->exited, NULL);
	TAILQ_INIT(&pool->queue);
	TAILQ_INIT(&pool->finished);
	ev_async_init(&pool->async, async_cb);
	pool->async.data = pool;
	ev_async_start(loop, &pool->async);
	*out = pool;
	return 0;
}

void mxd_copy_pool_free(struct mxd_copy_pool *pool)
{
	struct mxd_copy_job *j;
	struct timespec ts;
	int left;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->mu);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->cv);
	while ((j = TAILQ_FIRST(&pool->queue))) {
		TAILQ_REMOVE(&pool->queue, j, link);
		job_free(j);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 200 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (pool->nthreads &&
	       pthread_cond_timedwait(&pool->exited, &pool->mu, &ts) != ETIMEDOUT)
		;
	left = (int)pool->nthreads;
	pthread_mutex_unlock(&pool->mu);
	ev_async_stop(pool->loop, &pool->async);
	if (left) {
		/* Stuck in a guest's memory: leave them their pool. */
		mxd_log(MXD_LOG_WARNING, "copy: %d worker(s) still stuck at exit", left);
		return;
	}
	async_cb(pool->loop, &pool->async, 0);
	pthread_cond_destroy(&pool->cv);
	pthread_cond_destroy(&pool->exited);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}
