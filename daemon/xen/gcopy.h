/* SPDX-License-Identifier: MIT */
/*
 * Guest-to-guest copies with no dom0 buffer: a large message between two
 * guests of this host moves with GNTTABOP_copy from the sender's grant refs
 * straight into the receiver's (gcopy_plan.h), many segments per call, on
 * one worker thread with its own grant-table handle, so the loop and every
 * other guest go on meanwhile.  The worker takes transfers round-robin one
 * batch (MXD_XEN_GCOPY_BATCH pieces, at most 1 MiB) at a time: a 16 MiB
 * window never holds a small transfer behind it.
 *
 * A grant copy cannot stall: the hypervisor checks each ref and copies
 * pinned pages, so no time bound is needed.  A cancelled transfer stops at
 * the end of its current batch; what that batch still writes lands only in
 * pages the receiving guest itself granted for this message.
 * Loop-thread API; 0 or -errno.
 */
#ifndef MXD_XEN_GCOPY_H
#define MXD_XEN_GCOPY_H

#include <stdint.h>
#include <ev.h>

struct mxd_region;
struct mxd_xen_stats;
struct mxd_xen_gcopy;
struct mxd_xen_gjob;

#define MXD_XEN_GCOPY_BATCH 256u

/* err: 0, -EFAULT (the hypervisor refused a ref: counted in copy_faults),
 * -ERANGE (a region shorter than len), other -errno of the call. */
typedef void mxd_xen_gcopy_done_fn(void *arg, int err, uint32_t len);

/* st: the transport's counters, updated on the loop thread. */
int mxd_xen_gcopy_new(struct ev_loop *loop, struct mxd_xen_stats *st, struct mxd_xen_gcopy **out);
/* Stops the worker (after its current batch); pending transfers are dropped
 * without their callbacks (their endpoints are gone by then).  Accepts NULL. */
void mxd_xen_gcopy_free(struct mxd_xen_gcopy *g);
/* Copy the first len bytes of grant region 'from' (domain src) into grant
 * region 'to' (domain dst); both regions are duplicated.  done runs later
 * on the loop, unless cancelled first. */
int mxd_xen_gcopy_start(struct mxd_xen_gcopy *g, uint32_t src, const struct mxd_region *from,
			uint32_t dst, const struct mxd_region *to, uint32_t len,
			mxd_xen_gcopy_done_fn *done, void *arg, struct mxd_xen_gjob **out);
/* done will not be called. */
void mxd_xen_gcopy_cancel(struct mxd_xen_gjob *j);

#endif /* MXD_XEN_GCOPY_H */
