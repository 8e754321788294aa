/* SPDX-License-Identifier: MIT */
/*
 * Copies of a client's memory that the loop thread needs at once (the wire
 * engine reading a pull block from a local sender, writing one into a local
 * receiver), with a bound on how long the loop can wait.
 *
 * The copy itself runs on a helper thread, as the principal (principal.h),
 * through a private buffer; the loop waits at most MXD_BOUNDED_COPY_MS once
 * the helper has started the copy (MXD_BOUNDED_START_MS in all).  A
 * copy stalled past that (userfaultfd memory nobody serves, a FUSE file that
 * never answers) returns -ETIMEDOUT, the helper is abandoned to finish or
 * hang alone (it owns its buffer, so it can never write into the caller's
 * memory late), and that principal's copies fail at once while it stays
 * stuck: one hostile client costs the loop one bound, once, not every guest
 * a freeze.  At most MXD_BOUNDED_STUCK_MAX helpers are ever abandoned;
 * beyond, every bounded copy fails -EBUSY (counted by the caller as a fault).
 * Loop thread only.  0 or -errno.
 */
#ifndef MXD_COPY_BOUNDED_H
#define MXD_COPY_BOUNDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "principal.h"

#define MXD_BOUNDED_COPY_MS 50u
/* The most the loop waits for a helper a busy host has not run yet (the
 * bound above counts from when it starts the copy). */
#define MXD_BOUNDED_START_MS 1000u
#define MXD_BOUNDED_STUCK_MAX 16u

int mxd_bounded_copy(struct mxd_principal *p, const struct mxd_region *r, uint64_t off,
		     void *buf, size_t len, bool to_region);
/* Copies that stalled past the bound, and helpers still stuck now. */
uint64_t mxd_bounded_copy_stalls(void);
unsigned mxd_bounded_copy_stuck(void);

#endif /* MXD_COPY_BOUNDED_H */
