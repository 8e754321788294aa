/* SPDX-License-Identifier: MIT */
/*
 * Loop-thread copies of a client's memory with a bound (copy_bounded.h).
 *
 * One helper thread at a time serves the loop; the loop hands it a job and
 * waits on a condition variable with a deadline.  The job owns a private
 * buffer and a duplicate of the region, so an abandoned helper touches only
 * its own memory whenever (if ever) its copy returns; it then frees the job,
 * clears its uid from the stuck list and exits.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "copy_bounded.h"
#include "validate.h"

struct job {
	struct mxd_principal *p;   /* a reference */
	struct mxd_region *r;      /* a duplicate */
	uint64_t off;
	size_t len;
	bool to_region;
	int err;
	uint8_t buf[];             /* the bytes, private to the job */
};

struct helper {
	pthread_t thread;
	pthread_cond_t job_cv;     /* a job was posted, or the helper dismissed */
	pthread_cond_t done_cv;    /* the job is done */
	struct job *job;           /* posted, not yet taken */
	struct timespec taken_at;  /* when the helper took the job posted last */
	bool done;                 /* the job taken last is done */
	bool abandoned;            /* the loop gave up on it: it frees itself */
};

/* Everything below is under mu: the loop and the helpers share it. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct helper *cur;          /* the loop's helper, or NULL */
static uid_t stuck_uid[MXD_BOUNDED_STUCK_MAX];
static unsigned nstuck;
static uint64_t nstalls;

static void job_free(struct job *j)
{
	if (!j)
		return;
	mxd_region_free(j->r);
	mxd_principal_put(j->p);
	free(j);
}

static bool uid_stuck(uid_t uid)
{
	for (unsigned i = 0; i < nstuck; i++)
		if (stuck_uid[i] == uid)
			return true;
	return false;
}

static void uid_unstuck(uid_t uid)
{
	for (unsigned i = 0; i < nstuck; i++)
		if (stuck_uid[i] == uid) {
			stuck_uid[i] = stuck_uid[--nstuck];
			return;
		}
}

static void helper_free(struct helper *h)
{
	pthread_cond_destroy(&h->job_cv);
	pthread_cond_destroy(&h->done_cv);
	free(h);
}

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	struct job *j;

	pthread_mutex_lock(&mu);
	for (;;) {
		while (!h->job)
			pthread_cond_wait(&h->job_cv, &mu);
		j = h->job;
		h->job = NULL;
		clock_gettime(CLOCK_MONOTONIC, &h->taken_at);
		pthread_mutex_unlock(&mu);
		j->err = mxd_principal_copy(j->p, j->r, j->off, j->buf, j->len, j->to_region);
		pthread_mutex_lock(&mu);
		if (h->abandoned)
			break;
		h->done = true;
		pthread_cond_signal(&h->done_cv);
	}
	uid_unstuck(j->p->uid);
	pthread_mutex_unlock(&mu);
	job_free(j);
	helper_free(h);
	return NULL;
}

/* The loop's helper, started on first use.  Signals stay with the loop. */
static int helper_get(struct helper **out)
{
	pthread_condattr_t ca;
	pthread_attr_t at;
	sigset_t all, old;
	struct helper *h;
	int err;

	if (cur) {
		*out = cur;
		return 0;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&h->job_cv, NULL);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&h->thread, &at, helper_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	if (err) {
		helper_free(h);
		return err;
	}
	*out = cur = h;
	return 0;
}

static struct job *job_new(struct mxd_principal *p, const struct mxd_region *r, uint64_t off,
			   void *buf, size_t len, bool to_region)
{
	struct job *j = malloc(sizeof(*j) + len);

	if (!j)
		return NULL;
	j->r = mxd_region_dup(r);
	if (!j->r) {
		free(j);
		return NULL;
	}
	j->p = mxd_principal_get(p);
	j->off = off;
	j->len = len;
	j->to_region = to_region;
	j->err = 0;
	if (to_region)
		memcpy(j->buf, buf, len);
	return j;
}

static struct timespec ts_after(struct timespec t, unsigned ms)
{
	t.tv_nsec += (long)ms * 1000000L;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

static bool ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/*
 * Under mu: wait for h's job until the bound.  False: it stalled.  The
 * bound runs from when the helper took the job: a helper that a loaded
 * host has not scheduled yet has touched nobody's memory, and judging it
 * stalled marked its user stuck, so that user's copies failed at once for
 * a while (large wire receives completed Rejected under load).  Waiting
 * for it to start is itself bounded (MXD_BOUNDED_START_MS).
 */
static bool wait_done(struct helper *h)
{
	struct timespec now, until, start_max;

	clock_gettime(CLOCK_MONOTONIC, &now);
	until = ts_after(now, MXD_BOUNDED_COPY_MS);
	start_max = ts_after(now, MXD_BOUNDED_START_MS);
	while (!h->done) {
		if (pthread_cond_timedwait(&h->done_cv, &mu, &until) != ETIMEDOUT)
			continue;
		if (h->done)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (h->job)         /* not started: wait for it, up to the cap */
			until = ts_after(now, MXD_BOUNDED_COPY_MS);
		else                /* started late: its own bound */
			until = ts_after(h->taken_at, MXD_BOUNDED_COPY_MS);
		if (ts_before(start_max, until))
			until = start_max;
		if (!ts_before(now, until))
			return false;
	}
	return true;
}

int mxd_bounded_copy(struct mxd_principal *p, const struct mxd_region *r, uint64_t off,
		     void *buf, size_t len, bool to_region)
{
	struct helper *h;
	struct job *j = NULL;
	int err;

	if (!len)
		return 0;
	pthread_mutex_lock(&mu);
	if (uid_stuck(p->uid)) {
		err = -ETIMEDOUT; /* its memory already stalled a copy: not again */
		goto out;
	}
	if (nstuck >= MXD_BOUNDED_STUCK_MAX) {
		err = -EBUSY;
		goto out;
	}
	err = helper_get(&h);
	if (err)
		goto out;
	j = job_new(p, r, off, buf, len, to_region);
	if (!j) {
		err = -ENOMEM;
		goto out;
	}
	h->job = j;
	h->done = false;
	pthread_cond_signal(&h->job_cv);
	if (!wait_done(h)) {
		/* The helper keeps the job and frees both when it returns. */
		h->abandoned = true;
		stuck_uid[nstuck++] = p->uid;
		nstalls++;
		cur = NULL;
		j = NULL;
		err = -ETIMEDOUT;
		goto out;
	}
	err = j->err;
	if (!err && !to_region)
		memcpy(buf, j->buf, len);
out:
	pthread_mutex_unlock(&mu);
	job_free(j);
	return err;
}

uint64_t mxd_bounded_copy_stalls(void)
{
	uint64_t n;

	pthread_mutex_lock(&mu);
	n = nstalls;
	pthread_mutex_unlock(&mu);
	return n;
}

unsigned mxd_bounded_copy_stuck(void)
{
	unsigned n;

	pthread_mutex_lock(&mu);
	n = nstuck;
	pthread_mutex_unlock(&mu);
	return n;
}
