/* SPDX-License-Identifier: MIT */
/*
 * Command validation: pure functions over a COPY of a guest's command slot
 * and the daemon's private geometry.  Nothing here reads shared memory
 * except mxd_region_copy, which copies the descriptor out first and then
 * validates the copy.
 *
 * Error convention: 0 or -errno (-EINVAL malformed, -E2BIG over a limit,
 * -ERANGE offset/length outside the sendq, -EOPNOTSUPP unknown opcode or
 * region kind, -ENOMEM).
 */
#ifndef MXD_VALIDATE_H
#define MXD_VALIDATE_H

#include <stdint.h>
#include <myrixen/abi.h>
#include "transport.h"

struct mxd_cmd_limits {
	uint32_t sendq_size;    /* the endpoint's private geometry */
	uint32_t medium_max;    /* largest SEND_QUEUED length */
	uint32_t region_kind;   /* the transport's region kind */
};

/*
 * Check every field of a command copy: opcode, flags allowed for it, length
 * against its class (tiny <= MXN_TINY_MAX, queued <= medium_max, rndv <=
 * MXN_LARGE_MAX), every sendq offset/length inside the sendq (contiguous, no
 * wrap: off + len <= sendq_size), descriptor lengths within the bounds of
 * the kind, lookup name length, and reserved bytes zero (abi.h rule; for a
 * known opcode: pad, the pad members of its union member, all of u for NOP
 * and WAKE).
 */
int mxd_cmd_validate(const struct mxn_cmd *c, const struct mxd_cmd_limits *lim);

/* Zero the reserved bytes of c for its opcode (the one definition of them:
 * the validator compares against it; harnesses use it to build commands). */
void mxd_cmd_clear_reserved(struct mxn_cmd *c);

/*
 * Copy a region descriptor of desc_len bytes at sendq[off] into a private
 * allocation and validate the copy: kind == want_kind, nsegs in 1..max for
 * the kind, or 0 only when total_len == 0 (the empty region of a 0-byte
 * synchronous send or pull), desc_len == header + nsegs * seg size, each
 * segment non-empty,
 * vaddr segments do not wrap the address space, grant segments stay inside
 * one page, sum of lengths (overflow-checked) == total_len <= MXN_LARGE_MAX.
 * The caller has already bounded off/desc_len with mxd_cmd_validate.
 */
int mxd_region_copy(const uint8_t *sendq, uint32_t sendq_size, uint32_t off,
		    uint32_t desc_len, uint32_t want_kind, struct mxd_region **out);
void mxd_region_free(struct mxd_region *r);
/* A private copy of a validated region (NULL when out of memory). */
struct mxd_region *mxd_region_dup(const struct mxd_region *r);

/* Map a region offset to (segment index, offset in it); -ERANGE past the end. */
int mxd_region_seek(const struct mxd_region *r, uint64_t off, uint32_t *seg, uint64_t *seg_off);

#endif /* MXD_VALIDATE_H */
