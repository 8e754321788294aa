/* SPDX-License-Identifier: MIT */
/*
 * Planning a grant copy from one grant region straight into another (both
 * foreign to dom0: source and destination are grant refs of two guests, or
 * of one).  Pure logic, no Xen: the copier turns each piece into a
 * GNTTABOP_copy segment and the unit test drives it directly.
 *
 * Both segment lists were validated by mxd_region_copy (every segment
 * non-empty, offset + len <= MXN_PAGE_SIZE), so a piece never crosses a
 * page on either side and its length fits the hypercall's 16 bits.
 */
#ifndef MXD_XEN_GCOPY_PLAN_H
#define MXD_XEN_GCOPY_PLAN_H

#include <stdint.h>
#include <myrixen/abi.h>

/* One GNTTABOP_copy segment: src_ref/src_off of the source guest's page
 * into dst_ref/dst_off of the destination guest's page. */
struct mxd_gcopy_piece {
	uint32_t src_ref, dst_ref;
	uint16_t src_off, dst_off;
	uint16_t len;
};

/* Where the plan stands: segment index and offset in it, on both sides. */
struct mxd_gcopy_cursor {
	uint32_t si, di;
	uint32_t soff, doff;
	uint64_t done;              /* bytes planned so far */
};

struct mxd_gcopy_side {
	const struct mxn_grant_seg *seg;
	uint32_t nsegs;
};

/*
 * Plan up to max pieces moving the next bytes of the first len bytes of
 * src into dst, from *c (zeroed to start), and advance *c.  Returns the
 * number of pieces; 0 once c->done == len or when a side runs out of
 * segments first (c->done < len then: the caller's len was too long).
 */
uint32_t mxd_gcopy_plan(const struct mxd_gcopy_side *src, const struct mxd_gcopy_side *dst,
			uint64_t len, struct mxd_gcopy_cursor *c, struct mxd_gcopy_piece *out,
			uint32_t max);

#endif /* MXD_XEN_GCOPY_PLAN_H */
