/* SPDX-License-Identifier: MIT */
/*
 * Daemon-mediated copies between two local processes, off the loop thread.
 * Used when the receiver may not read the sender's memory itself (another
 * uid): a worker thread checks both principals (principal.h) once per
 * transfer, then moves the bytes in 1 MiB chunks, reading as the sender and
 * writing as the receiver, so the kernel's access checks run with each
 * guest's own credentials.
 *
 * No guest's memory can stall the loop: a copy that completes no 1 MiB chunk
 * within the bound (a userfaultfd region nobody serves, a FUSE file that
 * never answers) is completed -ETIMEDOUT on the loop and its worker abandoned;
 * a replacement worker is started.  The side the stuck worker was touching
 * is charged: a uid with MXD_COPY_STUCK_PER_UID abandoned workers still
 * stuck gets -EBUSY for new copies, and at most MXD_COPY_STUCK_MAX are ever
 * abandoned host-wide.  Loop-thread API except where noted; 0 or -errno.
 */
#ifndef MXD_COPY_POOL_H
#define MXD_COPY_POOL_H

#include <stdint.h>
#include <ev.h>
#include "principal.h"

#define MXD_COPY_WORKERS 2u          /* live (not stuck) workers */
#define MXD_COPY_STUCK_MAX 16u       /* abandoned workers, host-wide */
#define MXD_COPY_STUCK_PER_UID 2u
#define MXD_COPY_CHUNK (1u << 20)

struct mxd_copy_pool;
struct mxd_copy_job;

/* err: 0, -ETIMEDOUT (stalled past the bound), -EPERM/-ESRCH (a principal
 * changed or the kernel refused), -EFAULT (bad memory). */
typedef void mxd_copy_done_fn(void *arg, int err, uint32_t len);

int mxd_copy_pool_new(struct ev_loop *loop, double timeout_s, struct mxd_copy_pool **out);
/* Workers still stuck keep the pool alive (it is leaked, not freed under them). */
void mxd_copy_pool_free(struct mxd_copy_pool *pool);
/* Copy len bytes of 'from' (src's) into 'to' (dst's); both regions are
 * duplicated.  done runs later on the loop, unless cancelled first. */
int mxd_copy_start(struct mxd_copy_pool *pool, struct mxd_principal *src,
		   const struct mxd_region *from, struct mxd_principal *dst,
		   const struct mxd_region *to, uint32_t len, mxd_copy_done_fn *done, void *arg,
		   struct mxd_copy_job **out);
/* The caller no longer wants the result: done will not be called. */
void mxd_copy_cancel(struct mxd_copy_job *j);

#endif /* MXD_COPY_POOL_H */
