/* SPDX-License-Identifier: MIT */
/*
 * Which domains just appeared.  xenstore's @introduceDomain says only that
 * some domain was introduced; the daemon lists the live domains each time
 * and compares with the ones it saw before.  A domain is "seen" once, when
 * it first shows up alive: a domain the operator detached is not attached
 * again at the next arrival, and a domain id freed by @releaseDomain is new
 * again when Xen hands it out once more.  Pure logic, no I/O.
 */
#ifndef MXD_XEN_ARRIVALS_H
#define MXD_XEN_ARRIVALS_H

#include <stdint.h>

#define MXD_XEN_DOMID_MAX 0x7fefu   /* below DOMID_FIRST_RESERVED */

struct mxd_xen_seen {
	uint64_t bits[(MXD_XEN_DOMID_MAX + 64) / 64];
};

/* PRESENT holds the N domain ids alive now (any order; 0 and ids above
 * MXD_XEN_DOMID_MAX are ignored).  Writes to OUT (room for N) those not
 * seen before, each once, and returns how many; afterwards exactly the
 * present ids are seen. */
uint32_t mxd_xen_arrivals(struct mxd_xen_seen *s, const uint32_t *present, uint32_t n,
			  uint32_t *out);

#endif /* MXD_XEN_ARRIVALS_H */
